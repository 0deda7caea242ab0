// CONCAT: shape inference, the reference against the ONNX documentation
// examples, the Vulkan kernel against the reference for 1..4 inputs on
// several axes and odd sizes.
#include <doctest/doctest.h>

#include <vector>

#include "common/harness.h"
#include "ops/concat.h"

namespace fennec {
namespace {

using testing::tensor;

HostTensor reference(int axis, const std::vector<const HostTensor*>& inputs) {
  ops::ConcatOp op(axis);
  auto out = ops::run_reference(op, inputs);
  REQUIRE_MESSAGE(out.ok(), out.status().to_string());
  return std::move(out.value()[0]);
}

void check_values(const HostTensor& got, const Shape& shape, const std::vector<float>& want) {
  CHECK(got.shape == shape);
  auto v = got.as<float>();
  REQUIRE(v.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) CHECK(v[i] == want[i]);
}

// Inputs of `base` shape with axis sizes `sizes`; every other input constant
// when `mixed`.
void check_vulkan(int axis, const Shape& base, const std::vector<int64_t>& sizes, bool mixed) {
  std::vector<HostTensor> tensors;
  for (size_t i = 0; i < sizes.size(); ++i) {
    Shape s = base;
    s[axis] = sizes[i];
    tensors.push_back(testing::random_tensor(s, 40 + static_cast<uint32_t>(i), -5.0f, 5.0f));
  }
  std::vector<const HostTensor*> inputs;
  std::vector<bool> constant;
  for (size_t i = 0; i < tensors.size(); ++i) {
    inputs.push_back(&tensors[i]);
    constant.push_back(mixed && i % 2 == 1);
  }
  const HostTensor expected = reference(axis, inputs);
  auto actual = testing::run_on_vulkan(std::make_unique<ops::ConcatOp>(axis), inputs, constant);
  REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());
  const auto stats = testing::compare(expected, actual.value()[0]);
  INFO("CONCAT axis ", axis, " of ", sizes.size(), " inputs, base ", shape_to_string(base),
       std::string(mixed ? " (some constant)" : ""));
  CHECK(stats.shape_match);
  CHECK(stats.max_abs == 0.0);  // a copy is exact
  CHECK(stats.nmse <= testing::kFp32Nmse);
}

}  // namespace

TEST_CASE("concat: infer_shapes") {
  const int64_t U = kUnknownDim;
  std::vector<Shape> out;
  ops::ConcatOp axis1(1);
  const Shape ok3[] = {{2, 3, 5}, {2, 4, 5}, {2, 1, 5}};
  REQUIRE(axis1.infer_shapes(ok3, out).ok());
  CHECK(out == std::vector<Shape>{{2, 8, 5}});
  const Shape unknown_axis[] = {{2, 3, 5}, {2, U, 5}};
  REQUIRE(axis1.infer_shapes(unknown_axis, out).ok());
  CHECK(out == std::vector<Shape>{{2, U, 5}});
  // An unknown dim off the axis takes the size the other inputs give it.
  const Shape unknown_other[] = {{U, 3, U}, {2, 4, U}};
  REQUIRE(axis1.infer_shapes(unknown_other, out).ok());
  CHECK(out == std::vector<Shape>{{2, 7, U}});
  const Shape single[] = {{4, 6}};
  REQUIRE(axis1.infer_shapes(single, out).ok());
  CHECK(out == std::vector<Shape>{{4, 6}});

  const Shape mismatch[] = {{2, 3, 5}, {2, 3, 6}};
  Status s = axis1.infer_shapes(mismatch, out);
  CHECK(s.code() == StatusCode::kInvalidModel);
  CHECK(s.message().find("CONCAT") != std::string::npos);
  const Shape rank[] = {{2, 3, 5}, {2, 3}};
  CHECK(axis1.infer_shapes(rank, out).code() == StatusCode::kInvalidModel);
  const Shape rank1[] = {{4}};
  s = axis1.infer_shapes(rank1, out);
  CHECK(s.code() == StatusCode::kInvalidModel);
  CHECK(s.message().find("axis 1") != std::string::npos);
  CHECK(axis1.infer_shapes({}, out).code() == StatusCode::kInvalidModel);
}

TEST_CASE("concat: reference matches the ONNX documentation examples") {
  const HostTensor a1 = tensor({2}, {1, 2}), b1 = tensor({2}, {3, 4});
  check_values(reference(0, {&a1, &b1}), {4}, {1, 2, 3, 4});
  const HostTensor a = tensor({2, 2}, {1, 2, 3, 4}), b = tensor({2, 2}, {5, 6, 7, 8});
  check_values(reference(0, {&a, &b}), {4, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  check_values(reference(1, {&a, &b}), {2, 4}, {1, 2, 5, 6, 3, 4, 7, 8});
  // 3-D, axis 2: [[[1,2],[3,4]],[[5,6],[7,8]]] with [[[9],[10]],[[11],[12]]]
  const HostTensor c = tensor({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  const HostTensor d = tensor({2, 2, 1}, {9, 10, 11, 12});
  check_values(reference(2, {&c, &d}), {2, 2, 3}, {1, 2, 9, 3, 4, 10, 5, 6, 11, 7, 8, 12});
}

TEST_CASE("concat: options round-trip and validation") {
  ops::ConcatOp op(3);
  CHECK(op.describe() == "axis=3");
  flatbuffers::FlatBufferBuilder fbb;
  auto [options_type, options] = op.write_options(fbb);
  fbb.Finish(schema::CreateOperator(fbb, schema::OpType::CONCAT, 0, 0, 0, options_type, options));
  auto made = ops::make_op(*flatbuffers::GetRoot<schema::Operator>(fbb.GetBufferPointer()));
  REQUIRE(made.ok());
  CHECK(static_cast<ops::ConcatOp&>(*made.value()).axis() == 3);

  flatbuffers::FlatBufferBuilder none;
  none.Finish(schema::CreateOperator(none, schema::OpType::CONCAT));
  made = ops::make_op(*flatbuffers::GetRoot<schema::Operator>(none.GetBufferPointer()));
  CHECK(made.status().code() == StatusCode::kInvalidModel);

  flatbuffers::FlatBufferBuilder negative;
  auto neg = schema::CreateConcatOptions(negative, -1);
  negative.Finish(schema::CreateOperator(negative, schema::OpType::CONCAT, 0, 0, 0,
                                         schema::OpOptions::ConcatOptions, neg.Union()));
  made = ops::make_op(*flatbuffers::GetRoot<schema::Operator>(negative.GetBufferPointer()));
  CHECK(made.status().code() == StatusCode::kInvalidModel);
}

TEST_CASE("concat: vulkan matches reference") {
  for (bool mixed : {false, true}) {
    // Odd element counts: 1+... and 13, 127, 4099 along one axis.
    check_vulkan(0, {1}, {1, 13}, mixed);
    check_vulkan(0, {1}, {127, 4099, 1}, mixed);
    // Axis 0 of NCHW.
    check_vulkan(0, {1, 3, 7, 5}, {1, 2}, mixed);
    check_vulkan(0, {1, 3, 7, 5}, {2, 1, 3, 1}, mixed);
    // Axis 1 (channels), as in PaddleOCR's FPN and DBHead.
    check_vulkan(1, {1, 1, 13, 17}, {3, 5}, mixed);
    check_vulkan(1, {2, 1, 9, 11}, {1, 4, 2}, mixed);
    check_vulkan(1, {1, 1, 41, 100}, {1, 1, 1, 1}, mixed);  // 4100-element inputs
    // Axis 3 (innermost): each outer row gets a short copy.
    check_vulkan(3, {2, 3, 5, 1}, {1, 7}, mixed);
    check_vulkan(3, {1, 2, 13, 1}, {3, 1, 5, 2}, mixed);
    check_vulkan(3, {1, 1, 127, 1}, {1, 1, 1}, mixed);
    // Rank 2 and 3, axis in the middle.
    check_vulkan(1, {13, 1}, {1, 2}, mixed);
    check_vulkan(1, {3, 1, 5}, {2, 3, 4}, mixed);
  }
  // A single input is a copy.
  check_vulkan(2, {2, 3, 1, 4}, {5}, false);
}

}  // namespace fennec
