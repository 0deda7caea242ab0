// UnaryOp (RELU, CLIP, SIGMOID, HARD_SIGMOID, HARD_SWISH): the reference
// against hand-computed values, the Vulkan kernel against the reference.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>

#include "common/harness.h"
#include "ops/unary.h"

namespace fennec {
namespace {

using schema::OpType;

std::unique_ptr<ops::Op> make(OpType type, float alpha = 0.0f, float beta = 0.0f) {
  return std::make_unique<ops::UnaryOp>(type, ops::UnaryOp::activation_for(type, alpha, beta));
}

using testing::tensor;

std::vector<float> reference_values(const ops::Op& op, const HostTensor& x) {
  const HostTensor* inputs[] = {&x};
  auto out = ops::run_reference(op, inputs);
  REQUIRE_MESSAGE(out.ok(), out.status().to_string());
  auto v = out.value()[0].as<float>();
  return {v.begin(), v.end()};
}

void check_vulkan(const std::function<std::unique_ptr<ops::Op>()>& make_op, const HostTensor& x) {
  auto op = make_op();
  const HostTensor* inputs[] = {&x};
  auto expected = ops::run_reference(*op, inputs);
  REQUIRE_MESSAGE(expected.ok(), expected.status().to_string());
  auto actual = testing::run_on_vulkan(make_op(), {&x});
  REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());
  const auto stats = testing::compare(expected.value()[0], actual.value()[0]);
  INFO(std::string(op->type_name()), " ", op->describe(), " on ", shape_to_string(x.shape));
  CHECK(stats.shape_match);
  CHECK(stats.max_abs <= testing::kFp32MaxAbs);
  CHECK(stats.nmse <= testing::kFp32Nmse);
}

struct Case {
  OpType type;
  float alpha, beta;
};
constexpr Case kCases[] = {
    {OpType::RELU, 0, 0},
    {OpType::CLIP, -0.5f, 0.75f},
    {OpType::CLIP, 0.0f, 6.0f},
    {OpType::SIGMOID, 0, 0},
    {OpType::HARD_SIGMOID, 0.2f, 0.5f},
    {OpType::HARD_SIGMOID, 1.0f / 6.0f, 0.5f},
    {OpType::HARD_SWISH, 0, 0},
};

}  // namespace

TEST_CASE("unary: reference matches hand-computed values") {
  const HostTensor x = tensor({7}, {-4.0f, -3.0f, -1.0f, 0.0f, 1.0f, 3.0f, 4.0f});
  const auto approx = [](const std::vector<float>& got, const std::vector<float>& want) {
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-6));
  };
  approx(reference_values(*make(OpType::RELU), x), {0, 0, 0, 0, 1, 3, 4});
  approx(reference_values(*make(OpType::CLIP, -2.0f, 2.0f), x), {-2, -2, -1, 0, 1, 2, 2});
  // sigmoid(1) = 1 / (1 + e^-1) = 0.7310585786, sigmoid(3) = 0.9525741268
  approx(reference_values(*make(OpType::SIGMOID), x),
         {0.0179862100f, 0.0474258732f, 0.2689414214f, 0.5f, 0.7310585786f, 0.9525741268f,
          0.9820137900f});
  // ONNX HardSigmoid defaults alpha 0.2, beta 0.5: max(0, min(1, 0.2x + 0.5))
  approx(reference_values(*make(OpType::HARD_SIGMOID, 0.2f, 0.5f), x),
         {0, 0, 0.3f, 0.5f, 0.7f, 1.0f, 1.0f});
  // HardSwish x * relu6(x + 3) / 6
  approx(reference_values(*make(OpType::HARD_SWISH), x),
         {0, 0, -1.0f / 3.0f, 0, 2.0f / 3.0f, 3.0f, 4.0f});
}

TEST_CASE("unary: shape passes through; wrong input count is an error") {
  auto op = make(OpType::RELU);
  std::vector<Shape> out;
  const Shape in[] = {{1, kUnknownDim, 5}};
  REQUIRE(op->infer_shapes(in, out).ok());
  CHECK(out == std::vector<Shape>{{1, kUnknownDim, 5}});
  const Shape two[] = {{1}, {1}};
  const Status s = op->infer_shapes(two, out);
  CHECK(s.code() == StatusCode::kInvalidModel);
  CHECK(s.message().find("RELU") != std::string::npos);
}

TEST_CASE("unary: options round-trip through the schema") {
  for (const Case& c : kCases) {
    auto op = make(c.type, c.alpha, c.beta);
    flatbuffers::FlatBufferBuilder fbb;
    auto [options_type, options] = op->write_options(fbb);
    fbb.Finish(schema::CreateOperator(fbb, c.type, 0, 0, 0, options_type, options));
    auto made = ops::make_op(*flatbuffers::GetRoot<schema::Operator>(fbb.GetBufferPointer()));
    REQUIRE(made.ok());
    const auto& back = static_cast<const ops::UnaryOp&>(*made.value());
    CHECK(back.type() == c.type);
    CHECK(back.activation().kind == static_cast<const ops::UnaryOp&>(*op).activation().kind);
    if (c.type == OpType::CLIP || c.type == OpType::HARD_SIGMOID) {
      CHECK(back.activation().alpha == c.alpha);
      CHECK(back.activation().beta == c.beta);
    }
  }
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(schema::CreateOperator(fbb, OpType::CLIP));
  auto made = ops::make_op(*flatbuffers::GetRoot<schema::Operator>(fbb.GetBufferPointer()));
  CHECK(made.status().code() == StatusCode::kInvalidModel);
}

TEST_CASE("unary: vulkan matches reference for each activation on odd sizes") {
  for (const Case& c : kCases) {
    for (int64_t n : {1, 13, 127, 4099}) {
      const HostTensor x = testing::random_tensor({n}, static_cast<uint32_t>(n) * 7 + 1, -8.0f, 8.0f);
      check_vulkan([&] { return make(c.type, c.alpha, c.beta); }, x);
    }
  }
}

TEST_CASE("unary: vulkan on a 4-D tensor") {
  const HostTensor x = testing::random_tensor({2, 3, 17, 19}, 5, -6.0f, 6.0f);
  check_vulkan([] { return make(OpType::HARD_SWISH); }, x);
  check_vulkan([] { return make(OpType::SIGMOID); }, x);
}

TEST_CASE("unary: vulkan covers dispatches of more than 65535 workgroups") {
  // 4.5M items need a 2-D grid of workgroups; every item must be written.
  const HostTensor x = testing::random_tensor({4500001}, 11, -6.0f, 6.0f);
  check_vulkan([] { return make(OpType::RELU); }, x);
}

}  // namespace fennec
