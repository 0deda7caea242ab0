// One Vulkan session over a small graph whose input shape changes between
// runs: each shape gets its own plan, a returning shape reuses its plan, and
// every result matches the reference kernels run node by node.
#include <doctest/doctest.h>

#include "common/harness.h"
#include "graph/graph.h"
#include "ops/binary.h"
#include "ops/conv.h"
#include "ops/global_average_pool.h"
#include "vulkan/context.h"
#include "vulkan/session.h"

using namespace fennec;

namespace {

// x -> CONV 3x3 (+RELU) -> c; GAP(c) -> g; MUL(c, g) -> y
graph::Graph make_graph() {
  graph::Graph g;
  graph::TensorInfo x{"x", DataType::FLOAT32, {kUnknownDim, 3, kUnknownDim, kUnknownDim}, {"n", "", "h", "w"}};
  const int xi = g.add_tensor(x);
  g.inputs.push_back(xi);
  const int wi = g.add_constant("w", testing::random_tensor({5, 3, 3, 3}, 1));
  const int bi = g.add_constant("b", testing::random_tensor({5}, 2));
  auto intermediate = [&](const char* name) {
    return g.add_tensor({name, DataType::FLOAT32, {kUnknownDim, 5, kUnknownDim, kUnknownDim}, {"", "", "", ""}});
  };
  const int ci = intermediate("c"), gi = intermediate("g"), yi = intermediate("y");
  ops::ConvParams p;
  p.kernel_h = p.kernel_w = 3;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
  p.activation.kind = schema::Activation::RELU;
  g.nodes.push_back({"conv", std::make_unique<ops::ConvOp>(p), {xi, wi, bi}, {ci}});
  g.nodes.push_back({"gap", std::make_unique<ops::GlobalAveragePoolOp>(), {ci}, {gi}});
  g.nodes.push_back({"mul", std::make_unique<ops::BinaryOp>(ops::OpType::MUL), {ci, gi}, {yi}});
  g.outputs.push_back(yi);
  return g;
}

HostTensor reference(const graph::Graph& g, const HostTensor& x) {
  HostTensor w = g.constant_value(1), b = g.constant_value(2);
  auto c = ops::run_reference(*g.nodes[0].op, std::vector<const HostTensor*>{&x, &w, &b});
  REQUIRE(c.ok());
  auto gap = ops::run_reference(*g.nodes[1].op, std::vector<const HostTensor*>{&c.value()[0]});
  REQUIRE(gap.ok());
  auto y = ops::run_reference(*g.nodes[2].op, std::vector<const HostTensor*>{&c.value()[0], &gap.value()[0]});
  REQUIRE(y.ok());
  return y.value()[0];
}

}  // namespace

TEST_CASE("session: input shapes change between runs") {
  auto context = vulkan::Context::create({});
  REQUIRE_MESSAGE(context.ok(), context.status().to_string());
  const graph::Graph g = make_graph();
  auto session = vulkan::Session::create(*context.value(), g, {});
  REQUIRE_MESSAGE(session.ok(), session.status().to_string());

  const Shape shapes[] = {{1, 3, 13, 17}, {2, 3, 31, 9}, {1, 3, 1, 1}, {1, 3, 13, 17}};
  uint32_t seed = 10;
  for (const Shape& shape : shapes) {
    CAPTURE(shape_to_string(shape));
    const HostTensor x = testing::random_tensor(shape, seed++);
    vulkan::InputView view{DataType::FLOAT32, x.shape, x.bytes.data(), x.bytes.size()};
    Status status = session.value()->run({&view, 1});
    REQUIRE_MESSAGE(status.ok(), status.to_string());
    const auto& stats = session.value()->stats();
    CHECK(stats.arena_bytes > 0);
    CHECK(stats.arena_bytes <= stats.naive_arena_bytes);
    CHECK(stats.memory.peak_bytes >= stats.weight_bytes + stats.arena_bytes);
    const auto e = testing::compare(reference(g, x), session.value()->outputs()[0]);
    CHECK(e.shape_match);
    CHECK(e.max_abs <= testing::kFp32MaxAbs);
  }
}

TEST_CASE("session: a wrong input is refused and the session still runs") {
  auto context = vulkan::Context::create({});
  REQUIRE(context.ok());
  const graph::Graph g = make_graph();
  auto session = vulkan::Session::create(*context.value(), g, {});
  REQUIRE(session.ok());
  const HostTensor bad = testing::random_tensor({1, 4, 8, 8}, 3);
  vulkan::InputView view{DataType::FLOAT32, bad.shape, bad.bytes.data(), bad.bytes.size()};
  Status status = session.value()->run({&view, 1});
  CHECK(status.code() == StatusCode::kInvalidArgument);
  CHECK(status.message().find("expects [?,3,?,?]") != std::string::npos);
  view.bytes -= 4;
  CHECK(session.value()->run({&view, 1}).code() == StatusCode::kInvalidArgument);

  const HostTensor good = testing::random_tensor({1, 3, 8, 8}, 4);
  vulkan::InputView ok{DataType::FLOAT32, good.shape, good.bytes.data(), good.bytes.size()};
  CHECK(session.value()->run({&ok, 1}).ok());
}

TEST_CASE("session: allocations over the memory budget fail cleanly") {
  auto context = vulkan::Context::create({});
  REQUIRE(context.ok());
  const graph::Graph g = make_graph();
  vulkan::SessionOptions options;
  options.memory_budget_bytes = 64 * 1024;
  auto session = vulkan::Session::create(*context.value(), g, options);
  REQUIRE_MESSAGE(session.ok(), session.status().to_string());
  const HostTensor x = testing::random_tensor({1, 3, 128, 128}, 5);
  vulkan::InputView view{DataType::FLOAT32, x.shape, x.bytes.data(), x.bytes.size()};
  Status status = session.value()->run({&view, 1});
  CHECK(status.code() == StatusCode::kOutOfMemory);
  CHECK(status.message().find("memory budget") != std::string::npos);
  CHECK(session.value()->stats().memory.peak_bytes <= options.memory_budget_bytes);
}

namespace fennec {

TEST_CASE("session: the default memory budget") {
  vulkan::DeviceCaps caps;
  std::string source;
  // VK_EXT_memory_budget reports 8 GiB: less 5%.
  caps.device_local_bytes = 16ull << 30;
  caps.device_budget_bytes = 8ull << 30;
  CHECK(vulkan::default_memory_budget(caps, &source) == (8ull << 30) - (8ull << 30) / 20);
  CHECK(source.find("VK_EXT_memory_budget") != std::string::npos);
  // No extension: 3/4 of the heap, less 5%.
  caps.device_budget_bytes = 0;
  caps.device_local_bytes = 4ull << 30;
  const uint64_t three_quarters = (4ull << 30) / 4 * 3;
  CHECK(vulkan::default_memory_budget(caps, &source) == three_quarters - three_quarters / 20);
  CHECK(source.find("3/4") != std::string::npos);
  // A small heap: the margin is at least 64 MiB.
  caps.device_local_bytes = 512ull << 20;
  CHECK(vulkan::default_memory_budget(caps, nullptr) == (384ull << 20) - (64ull << 20));
}

}  // namespace fennec
