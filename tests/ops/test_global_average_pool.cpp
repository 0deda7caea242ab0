// GLOBAL_AVERAGE_POOL: shape inference, the reference against hand-computed
// values, the Vulkan kernel against the reference on odd plane sizes and
// plane counts.
#include <doctest/doctest.h>

#include "common/harness.h"
#include "ops/global_average_pool.h"

namespace fennec {
namespace {

using testing::tensor;

HostTensor reference(const HostTensor& x) {
  ops::GlobalAveragePoolOp op;
  const HostTensor* inputs[] = {&x};
  auto out = ops::run_reference(op, inputs);
  REQUIRE_MESSAGE(out.ok(), out.status().to_string());
  return std::move(out.value()[0]);
}

void check_vulkan(const HostTensor& x) {
  const HostTensor expected = reference(x);
  auto actual = testing::run_on_vulkan(std::make_unique<ops::GlobalAveragePoolOp>(), {&x});
  REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());
  const auto stats = testing::compare(expected, actual.value()[0]);
  INFO("GLOBAL_AVERAGE_POOL on ", shape_to_string(x.shape));
  CHECK(stats.shape_match);
  CHECK(stats.max_abs <= testing::kFp32MaxAbs);
  CHECK(stats.nmse <= testing::kFp32Nmse);
}

}  // namespace

TEST_CASE("global_average_pool: infer_shapes") {
  ops::GlobalAveragePoolOp op;
  std::vector<Shape> out;
  const Shape nchw[] = {{2, 3, 7, 9}};
  REQUIRE(op.infer_shapes(nchw, out).ok());
  CHECK(out == std::vector<Shape>{{2, 3, 1, 1}});
  const Shape ncd[] = {{2, 3, 7}};
  REQUIRE(op.infer_shapes(ncd, out).ok());
  CHECK(out == std::vector<Shape>{{2, 3, 1}});
  const Shape rank5[] = {{1, 2, 3, 4, 5}};
  REQUIRE(op.infer_shapes(rank5, out).ok());
  CHECK(out == std::vector<Shape>{{1, 2, 1, 1, 1}});
  const Shape unknown[] = {{kUnknownDim, 3, kUnknownDim, kUnknownDim}};
  REQUIRE(op.infer_shapes(unknown, out).ok());
  CHECK(out == std::vector<Shape>{{kUnknownDim, 3, 1, 1}});

  const Shape rank2[] = {{2, 3}};
  Status s = op.infer_shapes(rank2, out);
  CHECK(s.code() == StatusCode::kInvalidModel);
  CHECK(s.message().find("GLOBAL_AVERAGE_POOL") != std::string::npos);
  const Shape two[] = {{1, 1, 2, 2}, {1, 1, 2, 2}};
  CHECK(op.infer_shapes(two, out).code() == StatusCode::kInvalidModel);
}

TEST_CASE("global_average_pool: reference matches hand-computed values") {
  // ONNX doc example "globalaveragepool_precomputed": 1..9 in a 3x3 plane -> 5.
  HostTensor y = reference(tensor({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}));
  CHECK(y.shape == Shape{1, 1, 1, 1});
  CHECK(y.as<float>()[0] == doctest::Approx(5.0f));
  // Two images, two channels, 1x2 planes.
  y = reference(tensor({2, 2, 1, 2}, {1, 3, -2, 2, 10, 20, 0.5f, 0.25f}));
  CHECK(y.shape == Shape{2, 2, 1, 1});
  const float want[] = {2, 0, 15, 0.375f};
  for (int i = 0; i < 4; ++i) CHECK(y.as<float>()[i] == doctest::Approx(want[i]));
}

TEST_CASE("global_average_pool: vulkan matches reference on odd sizes") {
  const Shape shapes[] = {
      {1, 1, 1, 1},       // one element
      {1, 13, 1, 1},      // planes of one element
      {1, 1, 13, 1},      // one plane of 13
      {1, 1, 127, 1},
      {1, 1, 1, 4099},    // a plane longer than the workgroup
      {2, 3, 7, 9},
      {1, 127, 13, 11},
      {3, 5, 61, 67},     // 4087-element planes
      {2, 3, 7},          // rank 3
      {1, 2, 3, 5, 7},    // rank 5
      {1, 70001, 1, 1},   // more workgroups than one grid row holds
  };
  uint32_t seed = 100;
  for (const Shape& shape : shapes) check_vulkan(testing::random_tensor(shape, seed++, -2.0f, 3.0f));
}

}  // namespace fennec
