// LAYER_NORM: shape and parameter rules, hand-computed values, and the
// Vulkan kernel against the reference over the last 1 and 2 axes, with and
// without bias, per-element and single-value parameters.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "common/harness.h"
#include "ops/layer_norm.h"

namespace fennec {
namespace {

void check_vulkan(const Shape& shape, int axis, bool bias, bool scalar_params = false) {
  const Shape param = scalar_params ? Shape{1} : Shape(shape.begin() + axis, shape.end());
  const HostTensor x = testing::random_tensor(shape, static_cast<uint32_t>(shape.back() + axis), -3.0f, 5.0f);
  const HostTensor scale = testing::random_tensor(param, 9, 0.5f, 2.0f);
  const HostTensor b = testing::random_tensor(param, 10, -1.0f, 1.0f);
  std::vector<const HostTensor*> inputs = {&x, &scale, bias ? &b : nullptr};
  auto expected = ops::run_reference(ops::LayerNormOp(axis, 1e-5f), inputs);
  REQUIRE_MESSAGE(expected.ok(), expected.status().to_string());
  auto actual = testing::run_on_vulkan(std::make_unique<ops::LayerNormOp>(axis, 1e-5f), inputs,
                                       {false, true, true});
  REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());
  const auto stats = testing::compare(expected.value()[0], actual.value()[0]);
  INFO("LAYER_NORM ", shape_to_string(shape), " axis ", axis, bias ? " +bias" : "",
       scalar_params ? " scalar params" : "", ": max_abs ", stats.max_abs, " nmse ", stats.nmse);
  CHECK(stats.shape_match);
  CHECK(stats.max_abs <= testing::kFp32MaxAbs);
  CHECK(stats.nmse <= testing::kFp32Nmse);
}

}  // namespace

TEST_CASE("layer_norm: infer_shapes checks the axis and the parameter shapes") {
  const int64_t U = kUnknownDim;
  std::vector<Shape> out;
  const Shape ok[] = {{U, 7, 5}, {5}, {1, 5}};
  REQUIRE(ops::LayerNormOp(2, 1e-5f).infer_shapes(ok, out).ok());
  CHECK(out[0] == Shape{U, 7, 5});
  const Shape two[] = {{U, 7, 5}, {7, 5}, {}};
  CHECK(ops::LayerNormOp(1, 1e-5f).infer_shapes(two, out).ok());
  const Shape wrong[] = {{U, 7, 5}, {7}};
  CHECK(ops::LayerNormOp(2, 1e-5f).infer_shapes(wrong, out).code() == StatusCode::kUnsupported);
  CHECK(ops::LayerNormOp(3, 1e-5f).infer_shapes(ok, out).code() == StatusCode::kInvalidModel);
}

TEST_CASE("layer_norm: reference matches hand-computed values") {
  // Rows [1, 2, 3] and [4, 6, 8] both normalize to [-sqrt(1.5), 0, sqrt(1.5)].
  const HostTensor x = testing::tensor({2, 3}, {1, 2, 3, 4, 6, 8});
  const HostTensor scale = testing::tensor({3}, {1, 2, 3});
  const HostTensor bias = testing::tensor({3}, {0.5f, 0, -0.5f});
  auto y = ops::run_reference(ops::LayerNormOp(1, 0.0f), std::vector<const HostTensor*>{&x, &scale, &bias});
  REQUIRE(y.ok());
  const float r = 1.2247448714f;
  const std::vector<float> want = {0.5f - r, 0, 3 * r - 0.5f, 0.5f - r, 0, 3 * r - 0.5f};
  auto v = y.value()[0].as<float>();
  for (size_t i = 0; i < want.size(); ++i) CHECK(v[i] == doctest::Approx(want[i]).epsilon(1e-6));
  // Over both axes: mean 4, variance 34/6 (population).
  const HostTensor one = testing::tensor({1}, {1});
  auto z = ops::run_reference(ops::LayerNormOp(0, 0.0f), std::vector<const HostTensor*>{&x, &one, nullptr});
  REQUIRE(z.ok());
  CHECK(z.value()[0].as<float>()[0] == doctest::Approx(-3.0 / std::sqrt(34.0 / 6.0)));
}

TEST_CASE("layer_norm: options round-trip") {
  flatbuffers::FlatBufferBuilder fbb;
  auto [type, options] = ops::LayerNormOp(2, 1e-6f).write_options(fbb);
  fbb.Finish(schema::CreateOperator(fbb, schema::OpType::LAYER_NORM, 0, 0, 0, type, options));
  auto made = ops::make_op(*flatbuffers::GetRoot<schema::Operator>(fbb.GetBufferPointer()));
  REQUIRE(made.ok());
  const auto& back = static_cast<const ops::LayerNormOp&>(*made.value());
  CHECK(back.axis() == 2);
  CHECK(back.epsilon() == 1e-6f);
}

TEST_CASE("layer_norm: vulkan matches reference") {
  for (bool bias : {false, true}) {
    for (int64_t n : {1, 13, 127, 4099}) {
      check_vulkan({3, n}, 1, bias);
    }
    check_vulkan({2, 5, 13}, 2, bias);
    check_vulkan({2, 5, 13}, 1, bias);
    check_vulkan({7, 9, 127}, 1, bias);
    check_vulkan({4, 33}, 1, bias, true);
  }
}

}  // namespace fennec
