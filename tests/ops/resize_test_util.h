// Shared pieces of the RESIZE tests (test_resize.cpp, test_resize_cubic.cpp):
// the transforms to sweep, the reference kernel on a tensor, inline expected
// values, and the Vulkan kernel against the reference.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <vector>

#include "common/harness.h"
#include "ops/resize.h"

namespace fennec::resize_test {

using schema::CoordinateTransform;

inline constexpr CoordinateTransform kTransforms[] = {
    CoordinateTransform::HALF_PIXEL, CoordinateTransform::ASYMMETRIC,
    CoordinateTransform::ALIGN_CORNERS, CoordinateTransform::PYTORCH_HALF_PIXEL,
    CoordinateTransform::TF_HALF_PIXEL_FOR_NEAREST};

// 1, 2, 3, ... (from `first`) in row-major order.
inline HostTensor iota(const Shape& shape, float first = 1.0f) {
  HostTensor t(DataType::FLOAT32, shape);
  float v = first;
  for (float& x : t.as<float>()) x = v++;
  return t;
}

inline HostTensor reference(const ops::ResizeParams& p, const HostTensor& x) {
  ops::ResizeOp op(p);
  const HostTensor* inputs[] = {&x};
  auto out = ops::run_reference(op, inputs);
  REQUIRE_MESSAGE(out.ok(), out.status().to_string());
  return std::move(out.value()[0]);
}

inline void check_values(const HostTensor& got, const Shape& shape, const std::vector<float>& want) {
  REQUIRE(got.shape == shape);
  auto v = got.as<float>();
  REQUIRE(v.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("element ", i);
    CHECK(v[i] == doctest::Approx(want[i]).epsilon(1e-5));
  }
}

inline void check_vulkan(const ops::ResizeParams& p, const Shape& in, uint32_t seed = 7) {
  const HostTensor x = testing::random_tensor(in, seed, -3.0f, 3.0f);
  const HostTensor expected = reference(p, x);
  auto actual = testing::run_on_vulkan(std::make_unique<ops::ResizeOp>(p), {&x});
  REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());
  const auto stats = testing::compare(expected, actual.value()[0]);
  INFO("RESIZE ", ops::ResizeOp(p).describe(), " ", shape_to_string(in), " -> ",
       shape_to_string(expected.shape));
  CHECK(stats.shape_match);
  CHECK(stats.max_abs <= testing::kFp32MaxAbs);
  CHECK(stats.nmse <= testing::kFp32Nmse);
}

}  // namespace fennec::resize_test
