// Memory budgets on a session: weights streamed through two slots when they
// do not fit, weights and arena split into blocks, the smallest budget named
// when nothing fits, and injected allocation failures reported cleanly. Every
// constrained run must give the unconstrained run's outputs bit for bit.
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <regex>

#include "common/harness.h"
#include "graph/graph.h"
#include "ops/binary.h"
#include "ops/concat.h"
#include "ops/conv.h"
#include "ops/global_average_pool.h"
#include "ops/unary.h"
#include "vulkan/context.h"
#include "vulkan/session.h"

using namespace fennec;

namespace {

constexpr int kChannels = 16;
constexpr int kLayers = 5;

// Appends conv layer `l` (CONV 3x3 pad 1, kChannels to kChannels, 9 KiB of
// weights from `seed`) reading `in`; returns its output.
int add_conv(graph::Graph& g, int l, int in, uint32_t seed, bool relu) {
  const std::string name = "conv" + std::to_string(l);
  const int w = g.add_constant(name + ".w", testing::random_tensor({kChannels, kChannels, 3, 3}, seed, -0.3f, 0.3f));
  const int b = g.add_constant(name + ".b", testing::random_tensor({kChannels}, seed + 10));
  const Shape any{1, kChannels, kUnknownDim, kUnknownDim};
  const int out = g.add_tensor({name + ".y", DataType::FLOAT32, any, {"", "", "", ""}});
  ops::ConvParams p;
  p.kernel_h = p.kernel_w = 3;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
  if (relu) p.activation.kind = schema::Activation::RELU;
  g.nodes.push_back({name, std::make_unique<ops::ConvOp>(p), {in, w, b}, {out}});
  return out;
}

// x -> CONV 3x3 +RELU -> ... (kLayers) -> y; each layer 9 KiB of weights.
graph::Graph make_chain() {
  graph::Graph g;
  int prev = g.add_tensor({"x", DataType::FLOAT32, {1, kChannels, kUnknownDim, kUnknownDim}, {"", "", "h", "w"}});
  g.inputs.push_back(prev);
  for (int l = 0; l < kLayers; ++l) prev = add_conv(g, l, prev, 10 + l, true);
  g.outputs.push_back(prev);
  return g;
}

// x -> conv0 -> a -> conv1 -> conv2 -> conv3 -> b; y = (a + b) + x. The
// activation a sits idle over two steps and the input x over five: both can
// be spilled to host memory when the arena does not fit.
graph::Graph make_skip() {
  graph::Graph g;
  const Shape any{1, kChannels, kUnknownDim, kUnknownDim};
  const int x = g.add_tensor({"x", DataType::FLOAT32, any, {"", "", "h", "w"}});
  g.inputs.push_back(x);
  int prev = x, a = -1;
  for (int l = 0; l < 4; ++l) {
    prev = add_conv(g, l, prev, 30 + l, false);
    if (l == 0) a = prev;
  }
  const int sum = g.add_tensor({"sum", DataType::FLOAT32, any, {"", "", "", ""}});
  g.nodes.push_back({"add_skip", std::make_unique<ops::BinaryOp>(ops::OpType::ADD), {a, prev}, {sum}});
  const int y = g.add_tensor({"y", DataType::FLOAT32, any, {"", "", "", ""}});
  g.nodes.push_back({"add_input", std::make_unique<ops::BinaryOp>(ops::OpType::ADD), {sum, x}, {y}});
  g.outputs.push_back(y);
  return g;
}

// Small at both ends, wide in the middle, so that the middle nodes touch
// more than any node that cannot run in bands (GLOBAL_AVERAGE_POOL, and
// those that read the input or write the output):
//   x [1,1,H,W] -> conv 1x1 (2) -> conv 3x3 p1 (16) -> conv 3x3 s2 p1 (32) = c
//   g = GAP(c); d = c * g; e = sigmoid(d); f = concat(d, e) (64)
//   -> conv 1x1 (2) -> conv 1x1 (1) = y
graph::Graph make_wide() {
  graph::Graph g;
  const Shape any{1, kUnknownDim, kUnknownDim, kUnknownDim};
  auto tensor = [&](const std::string& name) { return g.add_tensor({name, DataType::FLOAT32, any, {"", "", "", ""}}); };
  const int x = g.add_tensor({"x", DataType::FLOAT32, {1, 1, kUnknownDim, kUnknownDim}, {"", "", "h", "w"}});
  g.inputs.push_back(x);
  auto conv = [&](const std::string& name, int in, int in_channels, int out_channels, int kernel, int stride) {
    const uint32_t seed = static_cast<uint32_t>(g.tensors.size());
    const int w = g.add_constant(name + ".w", testing::random_tensor({out_channels, in_channels, kernel, kernel}, seed,
                                                                     -0.5f, 0.5f));
    const int b = g.add_constant(name + ".b", testing::random_tensor({out_channels}, seed + 1));
    ops::ConvParams p;
    p.kernel_h = p.kernel_w = kernel;
    p.stride_h = p.stride_w = stride;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = kernel / 2;
    const int out = tensor(name + ".y");
    g.nodes.push_back({name, std::make_unique<ops::ConvOp>(p), {in, w, b}, {out}});
    return out;
  };
  const int c = conv("c3", conv("c2", conv("c1", x, 1, 2, 1, 1), 2, 16, 3, 1), 16, 32, 3, 2);
  const int pooled = tensor("g");
  g.nodes.push_back({"gap", std::make_unique<ops::GlobalAveragePoolOp>(), {c}, {pooled}});
  const int d = tensor("d");
  g.nodes.push_back({"mul", std::make_unique<ops::BinaryOp>(ops::OpType::MUL), {c, pooled}, {d}});
  const int e = tensor("e");
  g.nodes.push_back({"sigmoid",
                     std::make_unique<ops::UnaryOp>(ops::OpType::SIGMOID,
                                                    ops::UnaryOp::activation_for(ops::OpType::SIGMOID, 0, 0)),
                     {d}, {e}});
  const int f = tensor("f");
  g.nodes.push_back({"concat", std::make_unique<ops::ConcatOp>(1), {d, e}, {f}});
  g.outputs.push_back(conv("c5", conv("c4", f, 64, 2, 1, 1), 2, 1, 1, 1));
  return g;
}

// Moves every constant of `g` into one page-aligned region, as a mapped
// model file holds them, so that unified-memory devices may import it.
struct Region {
  std::byte* data = nullptr;
  size_t size = 0;
  ~Region() { std::free(data); }
};
void place_in_one_region(graph::Graph& g, Region& region) {
  size_t size = 0;
  for (const auto& t : g.tensors)
    if (t.is_constant()) size = (size + t.data_bytes + 63) / 64 * 64;
  region.size = (size + 4095) / 4096 * 4096;
  region.data = static_cast<std::byte*>(std::aligned_alloc(4096, region.size));
  size_t offset = 0;
  for (auto& t : g.tensors) {
    if (!t.is_constant()) continue;
    std::memcpy(region.data + offset, t.data, t.data_bytes);
    t.data = region.data + offset;
    offset = (offset + t.data_bytes + 63) / 64 * 64;
  }
  g.constant_storage = {region.data, size};
}

struct Outcome {
  Status status;
  std::vector<std::byte> output;
  vulkan::SessionStats stats;
};

Outcome run_chain(vulkan::Context& context, const graph::Graph& g, const vulkan::SessionOptions& options,
                  const HostTensor& x) {
  Outcome outcome;
  auto session = vulkan::Session::create(context, g, options);
  if (!session.ok()) {
    outcome.status = session.status();
    return outcome;
  }
  vulkan::InputView view{DataType::FLOAT32, x.shape, x.bytes.data(), x.bytes.size()};
  outcome.status = session.value()->run({&view, 1});
  outcome.stats = session.value()->stats();
  if (outcome.status.ok()) outcome.output = session.value()->outputs()[0].bytes;
  return outcome;
}

// The smallest budget that an out-of-memory message names.
uint64_t named_minimum(const Status& status) {
  std::smatch match;
  const std::string message = status.message();
  static const std::regex pattern("smallest budget that works is ([0-9]+) bytes");
  return std::regex_search(message, match, pattern) ? std::stoull(match[1].str()) : 0;
}

// The smallest budget for `x`, from the error of a run with almost none.
uint64_t minimum_budget(vulkan::Context& context, const graph::Graph& g, const HostTensor& x,
                        vulkan::SessionOptions options = {}) {
  options.memory_budget_bytes = 1024;
  const Outcome outcome = run_chain(context, g, options, x);
  REQUIRE(outcome.status.code() == StatusCode::kOutOfMemory);
  return named_minimum(outcome.status);
}

// Runs `g` at the smallest budget its error names and `slack` bytes above:
// each run stays within its budget, gives `full`'s output bit for bit and
// passes `check`; one byte below the minimum is refused. Returns the minimum.
uint64_t check_from_minimum(vulkan::Context& context, const graph::Graph& g, const HostTensor& x,
                            vulkan::SessionOptions options, uint64_t slack, const Outcome& full,
                            const std::function<void(const Outcome&)>& check) {
  const uint64_t minimum = minimum_budget(context, g, x, options);
  REQUIRE(minimum > 0);
  for (uint64_t budget : {minimum, minimum + slack}) {
    CAPTURE(budget);
    options.memory_budget_bytes = budget;
    const Outcome run = run_chain(context, g, options, x);
    REQUIRE_MESSAGE(run.status.ok(), run.status.to_string());
    CHECK(run.stats.memory.peak_bytes <= budget);
    check(run);
    CHECK(run.output == full.output);
  }
  options.memory_budget_bytes = minimum - 1;
  CHECK(run_chain(context, g, options, x).status.code() == StatusCode::kOutOfMemory);
  return minimum;
}

}  // namespace

TEST_CASE("session budget: weights streamed through two slots give identical outputs") {
  auto context = vulkan::Context::create({});
  REQUIRE(context.ok());
  const graph::Graph g = make_chain();
  const HostTensor x = testing::random_tensor({1, kChannels, 20, 24}, 3);
  const Outcome full = run_chain(*context.value(), g, {}, x);
  REQUIRE_MESSAGE(full.status.ok(), full.status.to_string());
  CHECK(full.stats.streamed_weight_bytes == 0);
  CHECK(full.stats.stream_groups == 1);
  const uint64_t unconstrained = full.stats.memory.peak_bytes;

  // Below the minimum: the error names it; at the minimum the model runs.
  vulkan::SessionOptions options;
  options.memory_budget_bytes = unconstrained / 4;
  const Outcome tiny = run_chain(*context.value(), g, options, x);
  REQUIRE(tiny.status.code() == StatusCode::kOutOfMemory);
  const uint64_t minimum = named_minimum(tiny.status);
  INFO(tiny.status.message());
  REQUIRE(minimum > options.memory_budget_bytes);
  REQUIRE(minimum < unconstrained);
  CHECK(tiny.stats.memory.peak_bytes <= options.memory_budget_bytes);

  for (uint64_t budget : {minimum, minimum + 4096, (minimum + unconstrained) / 2, unconstrained - 1}) {
    CAPTURE(budget);
    options.memory_budget_bytes = budget;
    const Outcome constrained = run_chain(*context.value(), g, options, x);
    REQUIRE_MESSAGE(constrained.status.ok(), constrained.status.to_string());
    CHECK(constrained.stats.memory.peak_bytes <= budget);
    CHECK(constrained.stats.streamed_weight_bytes > 0);
    CHECK(constrained.stats.stream_groups >= 1);
    CHECK(constrained.output == full.output);
    // Device memory the host cannot write (FENNEC_DISCRETE_MEMORY=1 here, a
    // discrete GPU): the slots are device memory filled from two staging
    // buffers of their size where the budget has room for those, as it has
    // just under the unconstrained peak; at the minimum they are read in place.
    const auto staging =
        constrained.stats.memory.peak_by_category[static_cast<size_t>(vulkan::MemoryCategory::kStaging)];
    if (constrained.stats.weight_slots_staged) CHECK(staging >= 2 * constrained.stats.weight_slot_bytes);
    if (!context.value()->caps().map_device_memory) {
      if (budget == unconstrained - 1) CHECK(constrained.stats.weight_slots_staged);
      if (budget == minimum) CHECK(!constrained.stats.weight_slots_staged);
    } else if (context.value()->caps().type == VK_PHYSICAL_DEVICE_TYPE_CPU) {
      CHECK(!constrained.stats.weight_slots_staged);
    }
  }
  options.memory_budget_bytes = minimum;
  CHECK(run_chain(*context.value(), g, options, x).stats.stream_groups > 2);
  options.memory_budget_bytes = minimum - 1;
  CHECK(run_chain(*context.value(), g, options, x).status.code() == StatusCode::kOutOfMemory);
}

TEST_CASE("session budget: idle activations spilled to host memory give identical outputs") {
  auto context = vulkan::Context::create({});
  REQUIRE(context.ok());
  const graph::Graph g = make_skip();
  const HostTensor x = testing::random_tensor({1, kChannels, 28, 20}, 8);
  const Outcome full = run_chain(*context.value(), g, {}, x);
  REQUIRE_MESSAGE(full.status.ok(), full.status.to_string());
  CHECK(full.stats.spills == 0);
  // Host copies straight to and from the arena where it is host-visible,
  // and through a transfer buffer as on a discrete GPU (small blocks too).
  for (bool staged : {false, true}) {
    CAPTURE(staged);
    vulkan::SessionOptions options;
    options.stage_host_copies = staged;
    options.max_block_bytes = staged ? 32 << 10 : 0;
    check_from_minimum(*context.value(), g, x, options, 8192, full, [&](const Outcome& spilled) {
      CHECK(spilled.stats.spills > 0);
      CHECK(spilled.stats.spill_copy_bytes > 0);
      CHECK(spilled.stats.arena_bytes < full.stats.arena_bytes);
      CHECK(spilled.stats.stream_groups > 1);
      if (staged) CHECK(spilled.stats.staging_bytes > 0);
    });
  }
}

TEST_CASE("session budget: nodes run in bands below what one node touches give identical outputs") {
  auto context = vulkan::Context::create({});
  REQUIRE(context.ok());
  const graph::Graph g = make_wide();
  const HostTensor x = testing::random_tensor({1, 1, 70, 96}, 21);
  const Outcome full = run_chain(*context.value(), g, {}, x);
  REQUIRE_MESSAGE(full.status.ok(), full.status.to_string());
  CHECK(full.stats.banded_nodes == 0);
  for (bool staged : {false, true}) {
    CAPTURE(staged);
    vulkan::SessionOptions options;
    options.stage_host_copies = staged;
    // Spilling alone stops at the concat, which touches d, e and f at once.
    const uint64_t concat_bytes = 4ull * 35 * 48 * (32 + 32 + 64);
    auto in_bands = [](const Outcome& banded) {
      CHECK(banded.stats.banded_nodes >= 4);
      CHECK(banded.stats.bands > banded.stats.banded_nodes);
    };
    const uint64_t minimum = check_from_minimum(*context.value(), g, x, options, 4096, full, in_bands);
    CHECK(minimum < concat_bytes);
  }
}

TEST_CASE("session budget: weights and arena split into small blocks give identical outputs") {
  auto context = vulkan::Context::create({});
  REQUIRE(context.ok());
  const graph::Graph g = make_chain();
  const HostTensor x = testing::random_tensor({1, kChannels, 24, 20}, 4);
  const Outcome full = run_chain(*context.value(), g, {}, x);
  REQUIRE(full.status.ok());
  // Each activation is 30 KiB and each weight 9 KiB: blocks of 32 KiB hold
  // one activation or three weights.
  vulkan::SessionOptions options;
  options.max_block_bytes = 32 << 10;
  const Outcome split = run_chain(*context.value(), g, options, x);
  REQUIRE_MESSAGE(split.status.ok(), split.status.to_string());
  CHECK(split.output == full.output);
  // Blocks and streaming together, at the smallest budget.
  options.memory_budget_bytes = minimum_budget(*context.value(), g, x);
  REQUIRE(options.memory_budget_bytes > 0);
  const Outcome both = run_chain(*context.value(), g, options, x);
  REQUIRE_MESSAGE(both.status.ok(), both.status.to_string());
  CHECK(both.stats.streamed_weight_bytes > 0);
  CHECK(both.output == full.output);
}

TEST_CASE("session budget: weights imported from one host region give identical outputs") {
  auto context = vulkan::Context::create({});
  REQUIRE(context.ok());
  graph::Graph g = make_chain();
  const HostTensor x = testing::random_tensor({1, kChannels, 20, 16}, 6);
  const Outcome copied = run_chain(*context.value(), g, {}, x);
  REQUIRE(copied.status.ok());
  CHECK(copied.stats.imported_weight_bytes == 0);
  Region region;
  place_in_one_region(g, region);
  const Outcome imported = run_chain(*context.value(), g, {}, x);
  REQUIRE_MESSAGE(imported.status.ok(), imported.status.to_string());
  const auto& caps = context.value()->caps();
  const bool unified = caps.type == VK_PHYSICAL_DEVICE_TYPE_CPU || caps.type == VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU;
  if (caps.external_memory_host && unified) CHECK(imported.stats.imported_weight_bytes >= region.size);
  CHECK(imported.output == copied.output);
  // Weights that must stream are copied into the slots, never imported.
  vulkan::SessionOptions options;
  options.memory_budget_bytes = minimum_budget(*context.value(), g, x);
  const Outcome streamed = run_chain(*context.value(), g, options, x);
  REQUIRE_MESSAGE(streamed.status.ok(), streamed.status.to_string());
  CHECK(streamed.stats.imported_weight_bytes == 0);
  CHECK(streamed.output == copied.output);
}

TEST_CASE("session budget: every injected allocation failure is reported cleanly") {
  // A context of its own, with the validation layer when it is installed:
  // destroying it reports any buffer, memory or pool left behind.
  vulkan::ContextOptions context_options;
  context_options.enable_validation = std::getenv("FENNEC_VALIDATION") != nullptr;
  const uint64_t errors_before = vulkan::validation_error_count();
  {
    auto context = vulkan::Context::create(context_options);
    REQUIRE(context.ok());
    graph::Graph g = make_chain();
    const HostTensor x = testing::random_tensor({1, kChannels, 16, 16}, 5);
    const Outcome full = run_chain(*context.value(), g, {}, x);
    REQUIRE(full.status.ok());
    const uint64_t minimum = minimum_budget(*context.value(), g, x);
    REQUIRE(minimum > 0);
    // Copied weights, streamed weights, and weights imported from host
    // memory where the device can.
    Region region;
    for (uint64_t budget : {uint64_t{0}, minimum, uint64_t{1}}) {
      if (budget == 1) {
        place_in_one_region(g, region);
        budget = 0;
      }
      int failures = 0;
      for (uint64_t n = 1; n < 100; ++n) {
        CAPTURE(budget);
        CAPTURE(n);
        vulkan::SessionOptions options;
        options.memory_budget_bytes = budget;
        options.fail_allocation = n;
        const Outcome outcome = run_chain(*context.value(), g, options, x);
        if (outcome.status.ok()) {
          CHECK(outcome.output == full.output);
          break;
        }
        ++failures;
        CHECK(outcome.status.code() == StatusCode::kOutOfMemory);
        CHECK_MESSAGE(outcome.status.message().find("injected allocation failure") != std::string::npos, outcome.status.message());
      }
      // The dummy, weights (or slots), the arena, and a transfer buffer
      // where the arena is not host-visible: several allocations.
      CHECK(failures >= 3);
    }
  }
  CHECK(vulkan::validation_error_count() == errors_before);
}
