// GATHER: shape rules (scalar indices drop the axis), the ONNX documentation
// examples, negative and out-of-range indices, and the Vulkan kernel against
// the reference.
#include <doctest/doctest.h>

#include <vector>

#include "common/harness.h"
#include "ops/gather.h"

namespace fennec {
namespace {

HostTensor indices(const Shape& shape, const std::vector<int32_t>& values) {
  HostTensor t(DataType::INT32, shape);
  REQUIRE(static_cast<size_t>(t.elements()) == values.size());
  std::copy(values.begin(), values.end(), t.as<int32_t>().begin());
  return t;
}

std::vector<float> values(const HostTensor& t) {
  return {t.as<float>().begin(), t.as<float>().end()};
}

void check_vulkan(const Shape& data_shape, int axis, const HostTensor& idx) {
  const HostTensor x = testing::random_tensor(data_shape, 5, -4.0f, 4.0f);
  auto expected = ops::run_reference(ops::GatherOp(axis), std::vector<const HostTensor*>{&x, &idx});
  REQUIRE_MESSAGE(expected.ok(), expected.status().to_string());
  for (bool constant_data : {false, true}) {
    auto actual = testing::run_on_vulkan(std::make_unique<ops::GatherOp>(axis), {&x, &idx},
                                         {constant_data, true});
    REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());
    const auto stats = testing::compare(expected.value()[0], actual.value()[0]);
    INFO("GATHER ", shape_to_string(data_shape), " axis ", axis, " indices ",
         shape_to_string(idx.shape));
    CHECK(stats.shape_match);
    CHECK(stats.max_abs == 0.0);
  }
}

// Indices 0.., alternating with negative forms, for an axis of size `dim`.
HostTensor mixed_indices(const Shape& shape, int32_t dim) {
  std::vector<int32_t> v(static_cast<size_t>(element_count(shape)));
  for (size_t i = 0; i < v.size(); ++i) {
    const auto k = static_cast<int32_t>((i * 7 + 3) % static_cast<size_t>(dim));
    v[i] = i % 2 ? k - dim : k;
  }
  return indices(shape, v);
}

}  // namespace

TEST_CASE("gather: infer_shapes") {
  const int64_t U = kUnknownDim;
  std::vector<Shape> out;
  const Shape matrix[] = {{U, 5, 7}, {2, 3}};
  REQUIRE(ops::GatherOp(1).infer_shapes(matrix, out).ok());
  CHECK(out[0] == Shape{U, 2, 3, 7});
  const Shape scalar[] = {{4, 5, 7}, {}};
  REQUIRE(ops::GatherOp(2).infer_shapes(scalar, out).ok());
  CHECK(out[0] == Shape{4, 5});
  Status s = ops::GatherOp(3).infer_shapes(scalar, out);
  CHECK(s.code() == StatusCode::kInvalidModel);
  CHECK(s.message().find("GATHER") != std::string::npos);
}

TEST_CASE("gather: reference matches the ONNX documentation examples") {
  const HostTensor data = testing::tensor({3, 2}, {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f});
  const HostTensor idx = indices({2, 2}, {0, 1, 1, 2});
  auto y = ops::run_reference(ops::GatherOp(0), std::vector<const HostTensor*>{&data, &idx});
  REQUIRE(y.ok());
  CHECK(y.value()[0].shape == Shape{2, 2, 2});
  CHECK(values(y.value()[0]) ==
        std::vector<float>{1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f});

  const HostTensor data1 =
      testing::tensor({3, 3}, {1.0f, 1.2f, 1.9f, 2.3f, 3.4f, 3.9f, 4.5f, 5.7f, 5.9f});
  const HostTensor idx1 = indices({1, 2}, {0, 2});
  auto z = ops::run_reference(ops::GatherOp(1), std::vector<const HostTensor*>{&data1, &idx1});
  REQUIRE(z.ok());
  CHECK(z.value()[0].shape == Shape{3, 1, 2});
  CHECK(values(z.value()[0]) == std::vector<float>{1.0f, 1.9f, 2.3f, 3.9f, 4.5f, 5.9f});

  // Negative and scalar indices.
  const HostTensor last = indices({}, {-1});
  auto w = ops::run_reference(ops::GatherOp(1), std::vector<const HostTensor*>{&data1, &last});
  REQUIRE(w.ok());
  CHECK(w.value()[0].shape == Shape{3});
  CHECK(values(w.value()[0]) == std::vector<float>{1.9f, 3.9f, 5.9f});

  const HostTensor bad = indices({1}, {3});
  auto e = ops::run_reference(ops::GatherOp(0), std::vector<const HostTensor*>{&data1, &bad});
  CHECK(e.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("gather: options round-trip") {
  ops::GatherOp op(2);
  flatbuffers::FlatBufferBuilder fbb;
  auto [type, options] = op.write_options(fbb);
  fbb.Finish(schema::CreateOperator(fbb, schema::OpType::GATHER, 0, 0, 0, type, options));
  auto made = ops::make_op(*flatbuffers::GetRoot<schema::Operator>(fbb.GetBufferPointer()));
  REQUIRE(made.ok());
  CHECK(static_cast<const ops::GatherOp&>(*made.value()).axis() == 2);
}

TEST_CASE("gather: vulkan matches reference") {
  check_vulkan({1}, 0, indices({1}, {0}));
  check_vulkan({13}, 0, mixed_indices({13}, 13));
  check_vulkan({127, 3}, 0, mixed_indices({4, 5}, 127));
  check_vulkan({4099}, 0, mixed_indices({}, 4099));  // scalar index
  check_vulkan({5, 4099}, 1, mixed_indices({3}, 4099));
  check_vulkan({3, 13, 7}, 1, mixed_indices({2, 1, 3}, 13));
  check_vulkan({2, 3, 5, 7}, 3, mixed_indices({6}, 7));
  check_vulkan({2, 3, 5, 7, 3}, 0, mixed_indices({2}, 2));
}

}  // namespace fennec
