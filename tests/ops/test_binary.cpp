// BinaryOp (ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM): broadcasting shape inference, the reference
// against hand-computed values, the Vulkan kernel against the reference on
// odd sizes, every broadcast pattern and every fused activation.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "common/harness.h"
#include "ops/binary.h"

namespace fennec {
namespace {

using schema::OpType;

constexpr OpType kTypes[] = {OpType::ADD, OpType::SUB, OpType::MUL, OpType::DIV};

ops::Activation activation(schema::Activation kind, float alpha = 0.0f, float beta = 0.0f) {
  ops::Activation a;
  a.kind = kind;
  a.alpha = alpha;
  a.beta = beta;
  return a;
}

const ops::Activation kActivations[] = {
    activation(schema::Activation::NONE),
    activation(schema::Activation::RELU),
    activation(schema::Activation::CLIP, -0.25f, 0.5f),
    activation(schema::Activation::SIGMOID),
    activation(schema::Activation::HARD_SIGMOID, 0.2f, 0.5f),
    activation(schema::Activation::HARD_SWISH),
};

using testing::tensor;

// DIV's divisor stays away from zero so that quotients (and the 2.5 ulp
// that Vulkan allows for division) stay within the absolute bound.
HostTensor operand(OpType type, int index, const Shape& shape, uint32_t seed) {
  if (type == OpType::DIV && index == 1) return testing::random_tensor(shape, seed, 0.5f, 2.0f);
  return testing::random_tensor(shape, seed, -2.0f, 2.0f);
}

HostTensor reference(OpType type, ops::Activation act, const HostTensor& a, const HostTensor& b) {
  ops::BinaryOp op(type, act);
  const HostTensor* inputs[] = {&a, &b};
  auto out = ops::run_reference(op, inputs);
  REQUIRE_MESSAGE(out.ok(), out.status().to_string());
  return std::move(out.value()[0]);
}

void check_values(const HostTensor& got, const Shape& shape, const std::vector<float>& want) {
  CHECK(got.shape == shape);
  auto v = got.as<float>();
  REQUIRE(v.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) CHECK(v[i] == doctest::Approx(want[i]).epsilon(1e-6));
}

void check_vulkan(OpType type, ops::Activation act, const HostTensor& a, const HostTensor& b,
                  bool b_constant = false) {
  const HostTensor expected = reference(type, act, a, b);
  auto actual = testing::run_on_vulkan(std::make_unique<ops::BinaryOp>(type, act), {&a, &b},
                                       {false, b_constant});
  REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());
  const auto stats = testing::compare(expected, actual.value()[0]);
  INFO(std::string(schema::EnumNameOpType(type)), " ", act.to_string(), " ",
       shape_to_string(a.shape), " x ", shape_to_string(b.shape),
       std::string(b_constant ? " (B constant)" : ""));
  CHECK(stats.shape_match);
  CHECK(stats.max_abs <= testing::kFp32MaxAbs);
  CHECK(stats.nmse <= testing::kFp32Nmse);
}

Shape broadcast(const Shape& a, const Shape& b) {
  auto r = ops::broadcast_shapes(a, b);
  REQUIRE_MESSAGE(r.ok(), r.status().to_string());
  return r.value();
}

}  // namespace

TEST_CASE("binary: broadcast_shapes follows numpy rules") {
  const int64_t U = kUnknownDim;
  CHECK(broadcast({2, 3, 4, 5}, {2, 3, 4, 5}) == Shape{2, 3, 4, 5});
  CHECK(broadcast({2, 3, 4, 5}, {2, 3, 1, 1}) == Shape{2, 3, 4, 5});
  CHECK(broadcast({2, 3, 4, 5}, {1}) == Shape{2, 3, 4, 5});
  CHECK(broadcast({1}, {2, 3, 4, 5}) == Shape{2, 3, 4, 5});
  CHECK(broadcast({2, 3, 4, 5}, {3, 1, 1}) == Shape{2, 3, 4, 5});
  CHECK(broadcast({3, 1}, {1, 5}) == Shape{3, 5});
  CHECK(broadcast({}, {4}) == Shape{4});
  CHECK(broadcast({U, 3}, {5, 1}) == Shape{5, 3});
  CHECK(broadcast({U, 1}, {1, U}) == Shape{U, U});
  CHECK(broadcast({U}, {1}) == Shape{U});
  CHECK(broadcast({U}, {4}) == Shape{4});
  CHECK(broadcast({U}, {U}) == Shape{U});
  auto bad = ops::broadcast_shapes({2, 3}, {4, 3});
  REQUIRE(!bad.ok());
  CHECK(bad.status().code() == StatusCode::kInvalidModel);
  CHECK(bad.status().message().find("[2,3]") != std::string::npos);
}

TEST_CASE("binary: infer_shapes errors name the op and the problem") {
  ops::BinaryOp op(OpType::MUL);
  std::vector<Shape> out;
  const Shape one[] = {{2, 3}};
  Status s = op.infer_shapes(one, out);
  CHECK(s.code() == StatusCode::kInvalidModel);
  CHECK(s.message().find("MUL") != std::string::npos);
  const Shape mismatched[] = {{2, 3}, {4, 3}};
  s = op.infer_shapes(mismatched, out);
  CHECK(s.code() == StatusCode::kInvalidModel);
  CHECK(s.message().find("MUL") != std::string::npos);
  const Shape rank7[] = {{1, 1, 1, 1, 1, 1, 2}, {2}};
  s = op.infer_shapes(rank7, out);
  CHECK(s.code() == StatusCode::kUnsupported);
  const Shape unknown[] = {{kUnknownDim, 3, 8, 8}, {1, 3, 1, 1}};
  REQUIRE(op.infer_shapes(unknown, out).ok());
  CHECK(out == std::vector<Shape>{{kUnknownDim, 3, 8, 8}});
}

TEST_CASE("binary: reference matches hand-computed values") {
  const ops::Activation none;
  // The ONNX operator documentation examples (Add/Sub/Mul/Div).
  check_values(reference(OpType::ADD, none, tensor({3}, {1, 2, 3}), tensor({3}, {4, 5, 6})), {3},
               {5, 7, 9});
  check_values(reference(OpType::SUB, none, tensor({3}, {1, 2, 3}), tensor({3}, {3, 2, 1})), {3},
               {-2, 0, 2});
  check_values(reference(OpType::MUL, none, tensor({3}, {1, 2, 3}), tensor({3}, {4, 5, 6})), {3},
               {4, 10, 18});
  check_values(reference(OpType::DIV, none, tensor({2}, {3, 4}), tensor({2}, {1, 2})), {2}, {3, 2});
  // Row vector against a column: both operands broadcast.
  check_values(reference(OpType::SUB, none, tensor({3, 1}, {1, 2, 3}), tensor({1, 2}, {10, 20})),
               {3, 2}, {-9, -19, -8, -18, -7, -17});
  // Per-channel bias [C,1,1] on [1,C,H,W] (C=2, H=1, W=3).
  check_values(reference(OpType::ADD, none, tensor({1, 2, 1, 3}, {1, 2, 3, 4, 5, 6}),
                         tensor({2, 1, 1}, {10, 100})),
               {1, 2, 1, 3}, {11, 12, 13, 104, 105, 106});
  // Scalar first operand, then a fused ReLU and Clip.
  check_values(reference(OpType::SUB, none, tensor({1}, {1}), tensor({2, 2}, {0, 1, 2, 3})),
               {2, 2}, {1, 0, -1, -2});
  check_values(reference(OpType::MUL, activation(schema::Activation::RELU),
                         tensor({4}, {-1, 2, -3, 4}), tensor({1}, {2})),
               {4}, {0, 4, 0, 8});
  check_values(reference(OpType::ADD, activation(schema::Activation::CLIP, 0.0f, 6.0f),
                         tensor({4}, {-3, 2, 5, 9}), tensor({1}, {1})),
               {4}, {0, 3, 6, 6});
  // HardSwish(2 + 1) = 3 * (3/6 + 0.5) = 3; HardSigmoid(0.2 * (1 + 1) + 0.5) = 0.9.
  check_values(reference(OpType::ADD, activation(schema::Activation::HARD_SWISH), tensor({1}, {2}),
                         tensor({1}, {1})),
               {1}, {3});
  check_values(reference(OpType::ADD, activation(schema::Activation::HARD_SIGMOID, 0.2f, 0.5f),
                         tensor({1}, {1}), tensor({1}, {1})),
               {1}, {0.9f});
}

TEST_CASE("binary: options round-trip through the schema") {
  for (OpType type : kTypes) {
    for (const ops::Activation& act : kActivations) {
      ops::BinaryOp op(type, act);
      flatbuffers::FlatBufferBuilder fbb;
      auto [options_type, options] = op.write_options(fbb);
      fbb.Finish(schema::CreateOperator(fbb, type, 0, 0, 0, options_type, options));
      auto made = ops::make_op(*flatbuffers::GetRoot<schema::Operator>(fbb.GetBufferPointer()));
      REQUIRE_MESSAGE(made.ok(), made.status().to_string());
      auto* back = dynamic_cast<ops::BinaryOp*>(made.value().get());
      REQUIRE(back != nullptr);
      CHECK(back->type() == type);
      CHECK(back->activation().kind == act.kind);
      CHECK(back->activation().alpha == act.alpha);
      CHECK(back->activation().beta == act.beta);
      CHECK(back->fused_activation() != nullptr);
    }
  }
  CHECK(ops::BinaryOp(OpType::ADD).function_code() == 0);
  CHECK(ops::BinaryOp(OpType::SUB).function_code() == 1);
  CHECK(ops::BinaryOp(OpType::MUL).function_code() == 2);
  CHECK(ops::BinaryOp(OpType::DIV).function_code() == 3);

  // No options: no activation. Options of another op: invalid model.
  flatbuffers::FlatBufferBuilder plain;
  plain.Finish(schema::CreateOperator(plain, OpType::ADD));
  auto made = ops::make_op(*flatbuffers::GetRoot<schema::Operator>(plain.GetBufferPointer()));
  REQUIRE(made.ok());
  CHECK(static_cast<ops::BinaryOp&>(*made.value()).activation().is_none());
  flatbuffers::FlatBufferBuilder wrong;
  auto concat = schema::CreateConcatOptions(wrong, 1);
  wrong.Finish(schema::CreateOperator(wrong, OpType::ADD, 0, 0, 0,
                                      schema::OpOptions::ConcatOptions, concat.Union()));
  made = ops::make_op(*flatbuffers::GetRoot<schema::Operator>(wrong.GetBufferPointer()));
  CHECK(made.status().code() == StatusCode::kInvalidModel);
}

TEST_CASE("binary: vulkan - same shapes with odd element counts") {
  for (OpType type : kTypes) {
    for (int64_t n : {1, 13, 127, 4099}) {
      const HostTensor a = operand(type, 0, {n}, 11);
      const HostTensor b = operand(type, 1, {n}, 12);
      check_vulkan(type, {}, a, b);
      check_vulkan(type, {}, a, b, /*b_constant=*/true);
    }
  }
}

TEST_CASE("binary: vulkan - broadcast patterns") {
  struct Pattern {
    Shape a, b;
  };
  const Pattern patterns[] = {
      {{2, 3, 17, 13}, {2, 3, 1, 1}},        // per (n, c)
      {{2, 3, 17, 13}, {1}},                 // scalar B
      {{1}, {2, 3, 17, 13}},                 // scalar A
      {{2, 3, 17, 13}, {3, 1, 1}},           // per channel, lower rank
      {{2, 3, 17, 13}, {13}},                // rank mismatch, last axis
      {{3, 1, 7}, {2, 1, 3, 5, 1}},          // rank mismatch, both broadcast
      {{3, 1}, {1, 5}},                      // both operands broadcast
      {{1, 5}, {3, 1}},
      {{2, 1, 3, 1, 5, 2}, {1, 4, 1, 3, 1, 2}},  // rank 6
      {{1, 1, 127}, {1, 1, 127}},            // same elements, rank kept
      {{4099}, {1, 4099}},                   // same elements, rank differs
      {{1, 3, 1, 1}, {1, 3, 41, 100}},       // broadcast A (4099+ elements)
  };
  for (OpType type : kTypes) {
    for (const Pattern& p : patterns) {
      const HostTensor a = operand(type, 0, p.a, 21);
      const HostTensor b = operand(type, 1, p.b, 22);
      check_vulkan(type, {}, a, b);
      check_vulkan(type, {}, a, b, /*b_constant=*/true);
    }
  }
}

TEST_CASE("binary: vulkan - every fused activation") {
  for (OpType type : kTypes) {
    for (const ops::Activation& act : kActivations) {
      const HostTensor a = operand(type, 0, {1, 7, 9, 11}, 31);
      const HostTensor b = operand(type, 1, {1, 7, 1, 1}, 32);
      check_vulkan(type, act, a, b);
      const HostTensor c = operand(type, 1, {1, 7, 9, 11}, 33);
      check_vulkan(type, act, a, c, /*b_constant=*/true);
      const HostTensor s = operand(type, 1, {1}, 34);
      check_vulkan(type, act, a, s);
    }
  }
}

}  // namespace fennec

namespace fennec {

TEST_CASE("binary: POW, MAXIMUM, MINIMUM reference values") {
  const ops::Activation none;
  // ONNX Pow examples, plus negative bases with integer exponents.
  check_values(reference(OpType::POW, none, tensor({3}, {1, 2, 3}), tensor({3}, {4, 5, 6})), {3},
               {1, 32, 729});
  check_values(reference(OpType::POW, none, tensor({2, 3}, {1, 2, 3, 4, 5, 6}), tensor({3}, {1, 2, 3})),
               {2, 3}, {1, 4, 27, 4, 25, 216});
  check_values(reference(OpType::POW, none, tensor({4}, {-2, -2, -3, 4}), tensor({4}, {2, 3, -1, 0.5f})),
               {4}, {4, -8, -1.0f / 3.0f, 2});
  // ONNX Max / Min examples (two inputs each).
  check_values(reference(OpType::MAXIMUM, none, tensor({3}, {3, 2, 1}), tensor({3}, {1, 4, 4})), {3},
               {3, 4, 4});
  check_values(reference(OpType::MINIMUM, none, tensor({3}, {3, 2, 1}), tensor({3}, {1, 4, 4})), {3},
               {1, 2, 1});
  check_values(reference(OpType::MAXIMUM, none, tensor({2, 1}, {0, 5}), tensor({3}, {-1, 2, 7})), {2, 3},
               {0, 2, 7, 5, 5, 7});
}

TEST_CASE("binary: vulkan POW, MAXIMUM, MINIMUM match the reference") {
  for (OpType type : {OpType::MAXIMUM, OpType::MINIMUM}) {
    for (int64_t n : {1, 13, 127, 4099}) {
      check_vulkan(type, {}, testing::random_tensor({n}, 1, -2, 2), testing::random_tensor({n}, 2, -2, 2));
      check_vulkan(type, {}, testing::random_tensor({3, n}, 3, -2, 2), testing::random_tensor({n}, 4, -2, 2));
    }
  }
  for (int64_t n : {1, 13, 127, 4099}) {
    // Positive bases with real exponents; negative bases with integer ones
    // (GLSL pow is undefined for negative bases, the kernel handles them).
    check_vulkan(OpType::POW, {}, testing::random_tensor({n}, 5, 0.1f, 3.0f),
                 testing::random_tensor({n}, 6, -2.0f, 2.0f));
    HostTensor exps = testing::random_tensor({n}, 7, -3.0f, 4.0f);
    for (float& e : exps.as<float>()) e = std::round(e);
    // Bases of magnitude 0.5 .. 2 so that negative exponents stay moderate.
    HostTensor bases = testing::random_tensor({n}, 8, 0.5f, 2.0f);
    for (size_t i = 0; i < bases.as<float>().size(); i += 2) bases.as<float>()[i] *= -1.0f;
    check_vulkan(OpType::POW, {}, bases, exps);
  }
  check_vulkan(OpType::POW, {}, testing::random_tensor({2, 127}, 9, -3.0f, 3.0f), tensor({1}, {3}), true);
  check_vulkan(OpType::POW, {}, testing::random_tensor({2, 127}, 9, 0.0f, 3.0f), tensor({1}, {0.5f}), true);
  check_vulkan(OpType::POW, {}, testing::random_tensor({2, 127}, 9, -1.2f, 1.2f), tensor({1}, {10}), true);
}

}  // namespace fennec
