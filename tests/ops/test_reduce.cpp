// REDUCE: shape rules (keep_dims both ways, empty axes = all), the ONNX
// documentation examples for each kind, and the Vulkan kernel against the
// reference over inner, outer, middle, non-contiguous, multiple and all axes.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/harness.h"
#include "ops/reduce.h"

namespace fennec {
namespace {

using ops::ReduceKind;

constexpr ReduceKind kKinds[] = {
    ReduceKind::SUM, ReduceKind::MEAN,       ReduceKind::MAXIMUM, ReduceKind::MINIMUM,
    ReduceKind::PROD, ReduceKind::L1,        ReduceKind::L2,      ReduceKind::SUM_SQUARE,
    ReduceKind::LOG_SUM, ReduceKind::LOG_SUM_EXP,
};

HostTensor run(ReduceKind kind, std::vector<int> axes, bool keep, const HostTensor& x) {
  const HostTensor* inputs[] = {&x};
  auto out = ops::run_reference(ops::ReduceOp(kind, std::move(axes), keep), inputs);
  REQUIRE_MESSAGE(out.ok(), out.status().to_string());
  return std::move(out.value()[0]);
}

void expect(const HostTensor& got, const Shape& shape, const std::vector<float>& want) {
  CHECK(got.shape == shape);
  auto v = got.as<float>();
  REQUIRE(v.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i)
    CHECK(v[i] == doctest::Approx(want[i]).epsilon(1e-6).scale(1.0));
}

void check_vulkan(ReduceKind kind, const Shape& shape, const std::vector<int>& axes, bool keep) {
  // PROD needs values near 1 to keep a product of 4099 finite and moderate,
  // LOG_SUM positive sums.
  float lo = -2.0f, hi = 2.0f;
  if (kind == ReduceKind::PROD) lo = 0.98f, hi = 1.02f;
  if (kind == ReduceKind::LOG_SUM) lo = 0.1f;
  const HostTensor x = testing::random_tensor(shape, static_cast<uint32_t>(shape.size() * 13 + axes.size()),
                                              lo, hi);
  const HostTensor* inputs[] = {&x};
  auto expected = ops::run_reference(ops::ReduceOp(kind, axes, keep), inputs);
  REQUIRE_MESSAGE(expected.ok(), expected.status().to_string());
  auto actual = testing::run_on_vulkan(std::make_unique<ops::ReduceOp>(kind, axes, keep), {&x});
  REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());
  const auto stats = testing::compare(expected.value()[0], actual.value()[0]);
  INFO("REDUCE ", schema::EnumNameReduceKind(kind), " ", shape_to_string(shape), " axes ",
       axes.size(), keep ? " keep" : "", ": max_abs ", stats.max_abs, " nmse ", stats.nmse);
  // A sum of squares of 4099 values is near 5000, where one fp32 ulp is
  // 5e-4: the absolute bound grows by 16 ulps of the largest output.
  double largest = 0.0;
  for (float v : expected.value()[0].as<float>()) largest = std::max(largest, std::fabs(double{v}));
  CHECK(stats.shape_match);
  CHECK(stats.max_abs <= testing::kFp32MaxAbs + 2e-6 * largest);
  CHECK(stats.nmse <= testing::kFp32Nmse);
}

HostTensor iota12() { return testing::tensor({3, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}); }
HostTensor onnx_data() {
  return testing::tensor({3, 2, 2}, {5, 1, 20, 2, 30, 1, 40, 2, 55, 1, 60, 2});
}

}  // namespace

TEST_CASE("reduce: infer_shapes with keep_dims both ways, empty axes and unknown dims") {
  const int64_t U = kUnknownDim;
  std::vector<Shape> out;
  const Shape in[] = {{U, 3, 4, 5}};
  REQUIRE(ops::ReduceOp(ReduceKind::SUM, {1, 3}, true).infer_shapes(in, out).ok());
  CHECK(out[0] == Shape{U, 1, 4, 1});
  REQUIRE(ops::ReduceOp(ReduceKind::SUM, {1, 3}, false).infer_shapes(in, out).ok());
  CHECK(out[0] == Shape{U, 4});
  REQUIRE(ops::ReduceOp(ReduceKind::MEAN, {}, true).infer_shapes(in, out).ok());
  CHECK(out[0] == Shape{1, 1, 1, 1});
  REQUIRE(ops::ReduceOp(ReduceKind::MEAN, {}, false).infer_shapes(in, out).ok());
  CHECK(out[0] == Shape{});
  CHECK(ops::ReduceOp(ReduceKind::SUM, {4}, true).infer_shapes(in, out).code() ==
        StatusCode::kInvalidModel);
}

TEST_CASE("reduce: reference matches the ONNX documentation examples") {
  expect(run(ReduceKind::SUM, {1}, true, iota12()), {3, 1, 2}, {4, 6, 12, 14, 20, 22});
  expect(run(ReduceKind::SUM, {1}, false, iota12()), {3, 2}, {4, 6, 12, 14, 20, 22});
  expect(run(ReduceKind::SUM, {}, true, iota12()), {1, 1, 1}, {78});
  expect(run(ReduceKind::MEAN, {1}, true, onnx_data()), {3, 1, 2}, {12.5f, 1.5f, 35, 1.5f, 57.5f, 1.5f});
  expect(run(ReduceKind::MAXIMUM, {1}, true, onnx_data()), {3, 1, 2}, {20, 2, 40, 2, 60, 2});
  expect(run(ReduceKind::MINIMUM, {1}, true, onnx_data()), {3, 1, 2}, {5, 1, 30, 1, 55, 1});
  expect(run(ReduceKind::PROD, {1}, true, iota12()), {3, 1, 2}, {3, 8, 35, 48, 99, 120});
  expect(run(ReduceKind::L1, {2}, true, iota12()), {3, 2, 1}, {3, 7, 11, 15, 19, 23});
  expect(run(ReduceKind::L2, {2}, true, iota12()), {3, 2, 1},
         {2.23606798f, 5, 7.81024968f, 10.63014581f, 13.45362405f, 16.2788206f});
  expect(run(ReduceKind::SUM_SQUARE, {1}, true, iota12()), {3, 1, 2}, {10, 20, 74, 100, 202, 244});
  expect(run(ReduceKind::LOG_SUM, {0}, false, iota12()), {2, 2},
         {2.7080502f, 2.8903718f, 3.0445224f, 3.1780538f});
  expect(run(ReduceKind::LOG_SUM_EXP, {}, false, onnx_data()), {}, {60.00671387f});
  // Non-contiguous axes {0, 2} of 1..12: sums over i and k for each j.
  expect(run(ReduceKind::SUM, {0, 2}, false, iota12()), {2}, {33, 45});
}

TEST_CASE("reduce: options round-trip; bad axes and kinds are rejected") {
  flatbuffers::FlatBufferBuilder fbb;
  auto [type, options] = ops::ReduceOp(ReduceKind::L2, {0, 2}, false).write_options(fbb);
  fbb.Finish(schema::CreateOperator(fbb, schema::OpType::REDUCE, 0, 0, 0, type, options));
  auto made = ops::make_op(*flatbuffers::GetRoot<schema::Operator>(fbb.GetBufferPointer()));
  REQUIRE(made.ok());
  const auto& back = static_cast<const ops::ReduceOp&>(*made.value());
  CHECK(back.kind() == ReduceKind::L2);
  CHECK(back.axes() == std::vector<int>{0, 2});
  CHECK(!back.keep_dims());

  flatbuffers::FlatBufferBuilder bad;
  auto axes = bad.CreateVector(std::vector<int>{2, 1});
  auto o = schema::CreateReduceOptions(bad, ReduceKind::SUM, axes).Union();
  bad.Finish(schema::CreateOperator(bad, schema::OpType::REDUCE, 0, 0, 0, schema::OpOptions::ReduceOptions, o));
  CHECK(ops::make_op(*flatbuffers::GetRoot<schema::Operator>(bad.GetBufferPointer())).status().code() ==
        StatusCode::kInvalidModel);
  flatbuffers::FlatBufferBuilder kind;
  auto k = schema::CreateReduceOptions(kind, static_cast<ReduceKind>(77)).Union();
  kind.Finish(schema::CreateOperator(kind, schema::OpType::REDUCE, 0, 0, 0, schema::OpOptions::ReduceOptions, k));
  CHECK(ops::make_op(*flatbuffers::GetRoot<schema::Operator>(kind.GetBufferPointer())).status().code() ==
        StatusCode::kInvalidModel);
}

TEST_CASE("reduce: vulkan matches reference for every kind") {
  for (ReduceKind kind : kKinds) {
    for (bool keep : {true, false}) {
      for (int64_t n : {1, 13, 127, 4099}) {
        check_vulkan(kind, {n}, {0}, keep);         // everything
        check_vulkan(kind, {3, n}, {1}, keep);      // inner
        check_vulkan(kind, {n, 3}, {0}, keep);      // outer
      }
      check_vulkan(kind, {2, 13, 7}, {1}, keep);              // middle
      check_vulkan(kind, {2, 13, 7}, {0, 2}, keep);           // non-contiguous
      check_vulkan(kind, {3, 5, 7, 11}, {1, 2}, keep);        // several contiguous
      check_vulkan(kind, {3, 5, 1, 7, 11}, {0, 2, 4}, keep);  // alternating, size-1 axis
      check_vulkan(kind, {2, 3, 5, 7}, {}, keep);             // empty = all
      check_vulkan(kind, {1, 13, 1, 7}, {0, 2}, keep);        // only size-1 axes
    }
  }
}

}  // namespace fennec
