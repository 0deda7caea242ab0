// The Activation kinds TANH .. MISH as the UNARY op: the reference against
// hand-computed values and ONNX operator-doc examples, options round-trip,
// unknown codes rejected, and the Vulkan kernel (activation.glsl) against
// the reference on odd sizes over each kind's domain.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "common/harness.h"
#include "ops/binary.h"
#include "ops/unary.h"

namespace fennec {
namespace {

using K = schema::Activation;
using testing::tensor;

ops::Activation act(K kind, float alpha = 0.0f, float beta = 0.0f) {
  ops::Activation a;
  a.kind = kind;
  a.alpha = alpha;
  a.beta = beta;
  return a;
}

std::vector<float> apply(const ops::Activation& a, const std::vector<float>& x) {
  ops::UnaryOp op(schema::OpType::UNARY, a);
  const HostTensor in = tensor({static_cast<int64_t>(x.size())}, x);
  const HostTensor* inputs[] = {&in};
  auto out = ops::run_reference(op, inputs);
  REQUIRE_MESSAGE(out.ok(), out.status().to_string());
  auto v = out.value()[0].as<float>();
  return {v.begin(), v.end()};
}

void expect(const ops::Activation& a, const std::vector<float>& x, const std::vector<float>& want) {
  const auto got = apply(a, x);
  INFO(a.to_string());
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i)
    CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-6).scale(1.0));
}

struct Case {
  ops::Activation a;
  float lo, hi;  // input range: the function's domain, kept where fp32 values stay moderate
};

const Case kCases[] = {
    {act(K::TANH), -8, 8},
    {act(K::EXP), -4, 4},  // exp(4) = 54.6: its fp32 ulp is 4e-6
    {act(K::LOG), 0.01f, 8},
    {act(K::SQRT), 0, 8},
    {act(K::ABS), -8, 8},
    {act(K::NEG), -8, 8},
    {act(K::RECIPROCAL), 0.125f, 8},
    {act(K::ERF), -4, 4},
    {act(K::FLOOR), -8, 8},
    {act(K::CEIL), -8, 8},
    {act(K::ROUND), -8, 8},
    {act(K::SIGN), -8, 8},
    {act(K::SIN), -8, 8},
    {act(K::COS), -8, 8},
    {act(K::TAN), -1.4f, 1.4f},
    {act(K::ASIN), -0.99f, 0.99f},
    {act(K::ACOS), -0.99f, 0.99f},
    {act(K::ATAN), -8, 8},
    {act(K::SINH), -4, 4},
    {act(K::COSH), -4, 4},
    {act(K::ASINH), -8, 8},
    {act(K::ACOSH), 1.01f, 8},
    {act(K::ATANH), -0.99f, 0.99f},
    {act(K::LEAKY_RELU, 0.01f), -8, 8},
    {act(K::ELU, 1.0f), -8, 8},
    {act(K::SELU, 1.6732632f, 1.0507010f), -8, 8},
    {act(K::CELU, 2.0f), -8, 8},
    {act(K::SOFTPLUS), -8, 8},
    {act(K::SOFTSIGN), -8, 8},
    {act(K::GELU), -8, 8},
    {act(K::GELU_TANH), -8, 8},
    {act(K::SILU), -8, 8},
    {act(K::THRESHOLDED_RELU, 1.0f), -8, 8},
    {act(K::SHRINK, 0.5f, 0.25f), -8, 8},
    {act(K::MISH), -8, 8},
};

void check_vulkan(const ops::Activation& a, const HostTensor& x) {
  ops::UnaryOp op(schema::OpType::UNARY, a);
  const HostTensor* inputs[] = {&x};
  auto expected = ops::run_reference(op, inputs);
  REQUIRE_MESSAGE(expected.ok(), expected.status().to_string());
  auto actual = testing::run_on_vulkan(std::make_unique<ops::UnaryOp>(schema::OpType::UNARY, a), {&x});
  REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());
  const auto stats = testing::compare(expected.value()[0], actual.value()[0]);
  INFO(a.to_string(), " on ", shape_to_string(x.shape), ": max_abs ", stats.max_abs, " nmse ",
       stats.nmse);
  CHECK(stats.shape_match);
  CHECK(stats.max_abs <= testing::kFp32MaxAbs);
  CHECK(stats.nmse <= testing::kFp32Nmse);
}

}  // namespace

TEST_CASE("activation: reference matches hand-computed values and ONNX examples") {
  expect(act(K::TANH), {-1, 0, 1}, {-0.7615941559f, 0, 0.7615941559f});
  expect(act(K::EXP), {-1, 0, 1}, {0.3678794412f, 1, 2.7182818285f});
  expect(act(K::LOG), {1, 10}, {0, 2.302585093f});
  expect(act(K::SQRT), {1, 4, 9}, {1, 2, 3});
  expect(act(K::ABS), {-2, 0, 3}, {2, 0, 3});
  expect(act(K::NEG), {-4, 2}, {4, -2});
  expect(act(K::RECIPROCAL), {-4, 2}, {-0.25f, 0.5f});
  expect(act(K::ERF), {-0.5f, 0, 1, 3}, {-0.5204998778f, 0, 0.8427007929f, 0.9999779095f});
  expect(act(K::FLOOR), {-1.5f, 1.2f, 2}, {-2, 1, 2});
  expect(act(K::CEIL), {-1.5f, 1.2f, 2}, {-1, 2, 2});
  // ONNX Round example: halves go to the even neighbour.
  expect(act(K::ROUND),
         {0.1f, 0.5f, 0.9f, 1.2f, 1.5f, 1.8f, 2.3f, 2.5f, 2.7f, -1.1f, -1.5f, -1.9f, -2.2f, -2.5f,
          -2.8f},
         {0, 0, 1, 1, 2, 2, 2, 2, 3, -1, -2, -2, -2, -2, -3});
  expect(act(K::SIGN), {-3, 0, 0.5f}, {-1, 0, 1});
  expect(act(K::SIN), {0, 1}, {0, 0.8414709848f});
  expect(act(K::COS), {0, 1}, {1, 0.5403023059f});
  expect(act(K::TAN), {0, 1}, {0, 1.5574077247f});
  expect(act(K::ASIN), {-1, 0.5f}, {-1.5707963268f, 0.5235987756f});
  expect(act(K::ACOS), {1, 0.5f}, {0, 1.0471975512f});
  expect(act(K::ATAN), {1}, {0.7853981634f});
  expect(act(K::SINH), {-1, 0, 1}, {-1.1752011936f, 0, 1.1752011936f});
  expect(act(K::COSH), {-1, 0, 1}, {1.5430806348f, 1, 1.5430806348f});
  expect(act(K::ASINH), {-1, 0, 1}, {-0.8813735870f, 0, 0.8813735870f});
  expect(act(K::ACOSH), {1, 2}, {0, 1.3169578969f});
  expect(act(K::ATANH), {-0.5f, 0, 0.5f}, {-0.5493061443f, 0, 0.5493061443f});
  // ONNX examples: LeakyRelu alpha 0.1, Elu alpha 2, Selu alpha 2 gamma 3,
  // ThresholdedRelu alpha 2, Shrink lambd 1.5 bias 1.5.
  expect(act(K::LEAKY_RELU, 0.1f), {-1, 0, 1}, {-0.1f, 0, 1});
  expect(act(K::ELU, 2.0f), {-1, 0, 1}, {-1.2642411177f, 0, 1});
  expect(act(K::SELU, 2.0f, 3.0f), {-1, 0, 1}, {-3.7927233528f, 0, 3});
  expect(act(K::CELU, 2.0f), {-1, 0, 1}, {-0.7869386806f, 0, 1});
  expect(act(K::THRESHOLDED_RELU, 2.0f), {-1, 0, 1, 2, 3}, {0, 0, 0, 0, 3});
  expect(act(K::SHRINK, 1.5f, 1.5f), {-2, -1, 0, 1, 2}, {-0.5f, 0, 0, 0, 0.5f});
  expect(act(K::SOFTPLUS), {-1, 0, 1, 100}, {0.3132616875f, 0.6931471806f, 1.3132616875f, 100});
  expect(act(K::SOFTSIGN), {-1, 0, 1}, {-0.5f, 0, 0.5f});
  expect(act(K::GELU), {-1, 0, 1}, {-0.1586552539f, 0, 0.8413447461f});
  expect(act(K::GELU_TANH), {-1, 0, 1}, {-0.1588080094f, 0, 0.8411919906f});
  expect(act(K::SILU), {-1, 0, 1}, {-0.2689414214f, 0, 0.7310585786f});
  expect(act(K::MISH), {-1, 0, 1}, {-0.3034014613f, 0, 0.8650983883f});
}

TEST_CASE("activation: UNARY options round-trip; unknown codes are rejected") {
  const ops::Activation a = act(K::SELU, 1.5f, 2.5f);
  flatbuffers::FlatBufferBuilder fbb;
  auto [type, options] = ops::UnaryOp(schema::OpType::UNARY, a).write_options(fbb);
  CHECK(type == schema::OpOptions::UnaryOptions);
  fbb.Finish(schema::CreateOperator(fbb, schema::OpType::UNARY, 0, 0, 0, type, options));
  auto made = ops::make_op(*flatbuffers::GetRoot<schema::Operator>(fbb.GetBufferPointer()));
  REQUIRE_MESSAGE(made.ok(), made.status().to_string());
  const auto& back = static_cast<const ops::UnaryOp&>(*made.value());
  CHECK(back.type() == schema::OpType::UNARY);
  CHECK(back.activation().kind == K::SELU);
  CHECK(back.activation().alpha == 1.5f);
  CHECK(back.activation().beta == 2.5f);
  CHECK(back.describe() == "SELU(1.5, 2.5)");

  for (schema::OpType op_type : {schema::OpType::UNARY, schema::OpType::ADD}) {
    flatbuffers::FlatBufferBuilder bad;
    const auto unknown = static_cast<K>(200);
    if (op_type == schema::OpType::UNARY) {
      auto o = schema::CreateUnaryOptions(bad, unknown).Union();
      bad.Finish(schema::CreateOperator(bad, op_type, 0, 0, 0, schema::OpOptions::UnaryOptions, o));
    } else {
      auto fused = schema::CreateFusedActivation(bad, unknown);
      auto o = schema::CreateBinaryOptions(bad, fused).Union();
      bad.Finish(schema::CreateOperator(bad, op_type, 0, 0, 0, schema::OpOptions::BinaryOptions, o));
    }
    auto r = ops::make_op(*flatbuffers::GetRoot<schema::Operator>(bad.GetBufferPointer()));
    CHECK(r.status().code() == StatusCode::kInvalidModel);
    CHECK(r.status().message().find("200") != std::string::npos);
  }
  flatbuffers::FlatBufferBuilder none;
  none.Finish(schema::CreateOperator(none, schema::OpType::UNARY));
  CHECK(ops::make_op(*flatbuffers::GetRoot<schema::Operator>(none.GetBufferPointer())).status().code() ==
        StatusCode::kInvalidModel);
}

TEST_CASE("activation: vulkan matches reference for every kind on odd sizes") {
  for (const Case& c : kCases) {
    for (int64_t n : {1, 13, 127, 4099}) {
      const HostTensor x = testing::random_tensor({n}, static_cast<uint32_t>(n) * 3 + 7, c.lo, c.hi);
      check_vulkan(c.a, x);
    }
  }
}

TEST_CASE("activation: vulkan ROUND takes halves to even; erf and GELU near zero and far out") {
  check_vulkan(act(K::ROUND), tensor({10}, {-3.5f, -2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f, 3.5f,
                                            4.5f, 1e6f + 0.5f}));
  std::vector<float> xs;
  for (int i = -600; i <= 600; ++i) xs.push_back(static_cast<float>(i) * 0.01f);
  const HostTensor x = tensor({static_cast<int64_t>(xs.size())}, xs);
  check_vulkan(act(K::ERF), x);
  check_vulkan(act(K::GELU), x);
  check_vulkan(act(K::SOFTPLUS), tensor({4}, {-100, -30, 30, 100}));
  check_vulkan(act(K::TANH), tensor({4}, {-100, -30, 30, 100}));
}

TEST_CASE("activation: new kinds fused into a binary op on vulkan") {
  const HostTensor a = testing::random_tensor({3, 127}, 3, -3.0f, 3.0f);
  const HostTensor b = testing::random_tensor({127}, 4, -1.0f, 1.0f);
  for (const ops::Activation& f : {act(K::GELU), act(K::SILU), act(K::TANH), act(K::LEAKY_RELU, 0.2f)}) {
    ops::BinaryOp op(schema::OpType::ADD, f);
    const HostTensor* inputs[] = {&a, &b};
    auto expected = ops::run_reference(op, inputs);
    REQUIRE(expected.ok());
    auto actual = testing::run_on_vulkan(std::make_unique<ops::BinaryOp>(schema::OpType::ADD, f), {&a, &b});
    REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());
    const auto stats = testing::compare(expected.value()[0], actual.value()[0]);
    INFO(f.to_string());
    CHECK(stats.max_abs <= testing::kFp32MaxAbs);
    CHECK(stats.nmse <= testing::kFp32Nmse);
  }
}

}  // namespace fennec
