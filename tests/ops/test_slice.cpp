// SLICE: ONNX clamping rules, the ONNX documentation examples, and the Vulkan
// kernel against the reference with negative steps and odd sizes.
#include <doctest/doctest.h>

#include <limits>
#include <vector>

#include "common/harness.h"
#include "ops/slice.h"

namespace fennec {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

std::vector<float> values(const HostTensor& t) {
  return {t.as<float>().begin(), t.as<float>().end()};
}

HostTensor reference(const ops::SliceParams& p, const HostTensor& x) {
  auto y = ops::run_reference(ops::SliceOp(p), std::vector<const HostTensor*>{&x});
  REQUIRE_MESSAGE(y.ok(), y.status().to_string());
  return std::move(y.value()[0]);
}

void check_vulkan(const Shape& in, const ops::SliceParams& p) {
  const HostTensor x = testing::random_tensor(in, 23, -2.0f, 2.0f);
  const HostTensor expected = reference(p, x);
  auto actual = testing::run_on_vulkan(std::make_unique<ops::SliceOp>(p), {&x});
  REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());
  const auto stats = testing::compare(expected, actual.value()[0]);
  INFO("SLICE ", shape_to_string(in), " ", ops::SliceOp(p).describe());
  CHECK(stats.shape_match);
  CHECK(stats.max_abs == 0.0);
}

}  // namespace

TEST_CASE("slice: infer_shapes clamps like ONNX") {
  const int64_t U = kUnknownDim;
  std::vector<Shape> out;
  const Shape in[] = {{10, U, 6}};
  REQUIRE(ops::SliceOp({{0, 1, 2}, {2, 0, -1}, {kMax, 3, kMin}, {3, 1, -2}})
              .infer_shapes(in, out)
              .ok());
  CHECK(out[0] == Shape{3, U, 3});  // 2,5,8 | unknown | 5,3,1
  REQUIRE(ops::SliceOp({{0}, {-3}, {-100}, {}}).infer_shapes(in, out).ok());
  CHECK(out[0] == Shape{0, U, 6});
  REQUIRE(ops::SliceOp({{2}, {100}, {-100}, {-1}}).infer_shapes(in, out).ok());
  CHECK(out[0] == Shape{10, U, 6});  // the whole axis reversed
  CHECK(ops::SliceOp({{3}, {0}, {1}, {}}).infer_shapes(in, out).code() ==
        StatusCode::kInvalidModel);
  CHECK(ops::SliceOp({{0}, {0}, {1}, {0}}).infer_shapes(in, out).code() ==
        StatusCode::kInvalidModel);
  CHECK(ops::SliceOp({{0, 0}, {0, 0}, {1, 1}, {}}).infer_shapes(in, out).code() ==
        StatusCode::kInvalidModel);
}

TEST_CASE("slice: reference matches the ONNX documentation examples") {
  const HostTensor x = testing::tensor({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  HostTensor y = reference({{0, 1}, {1, 0}, {2, 3}, {1, 2}}, x);
  CHECK(y.shape == Shape{1, 2});
  CHECK(values(y) == std::vector<float>{5, 7});
  y = reference({{0, 1}, {0, 1}, {-1, 1000}, {}}, x);
  CHECK(y.shape == Shape{1, 3});
  CHECK(values(y) == std::vector<float>{2, 3, 4});
  // Negative step: rows reversed, every second column from the end.
  y = reference({{0, 1}, {-1, -1}, {kMin, kMin}, {-1, -2}}, x);
  CHECK(y.shape == Shape{2, 2});
  CHECK(values(y) == std::vector<float>{8, 6, 4, 2});
}

TEST_CASE("slice: options round-trip") {
  ops::SliceOp op({{1, 0}, {2, -1}, {5, kMin}, {1, -1}});
  flatbuffers::FlatBufferBuilder fbb;
  auto [type, options] = op.write_options(fbb);
  fbb.Finish(schema::CreateOperator(fbb, schema::OpType::SLICE, 0, 0, 0, type, options));
  auto made = ops::make_op(*flatbuffers::GetRoot<schema::Operator>(fbb.GetBufferPointer()));
  REQUIRE(made.ok());
  CHECK(made.value()->describe() == op.describe());
}

TEST_CASE("slice: vulkan matches reference") {
  check_vulkan({1}, {{0}, {0}, {1}, {}});
  check_vulkan({13}, {{0}, {2}, {11}, {3}});
  check_vulkan({127}, {{0}, {-1}, {kMin}, {-1}});
  check_vulkan({4099}, {{0}, {5}, {-7}, {2}});
  check_vulkan({13, 7}, {{1}, {6}, {0}, {-2}});
  check_vulkan({3, 13, 17}, {{0, 2}, {1, -3}, {3, 1}, {1, -4}});
  check_vulkan({1, 5, 13, 17}, {{2, 3}, {1, 2}, {12, 15}, {}});  // crop H, W
  check_vulkan({2, 3, 4, 5, 7}, {{0, 2, 4}, {-1, 0, 6}, {kMin, 4, 0}, {-1, 3, -3}});
  check_vulkan({2, 3, 2, 5, 3, 3}, {{1, 3, 5}, {2, 1, 0}, {0, 4, 3}, {-1, 2, 2}});
  // An empty result.
  check_vulkan({5, 3}, {{0}, {4}, {1}, {1}});
}

}  // namespace fennec
