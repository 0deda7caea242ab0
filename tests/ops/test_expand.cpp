// EXPAND: numpy broadcasting shape rules, the ONNX documentation examples,
// and the Vulkan kernel against the reference.
#include <doctest/doctest.h>

#include <vector>

#include "common/harness.h"
#include "ops/expand.h"

namespace fennec {
namespace {

void check_vulkan(const Shape& in, const std::vector<int64_t>& shape) {
  const HostTensor x = testing::random_tensor(in, 31);
  auto expected = ops::run_reference(ops::ExpandOp(shape), std::vector<const HostTensor*>{&x});
  REQUIRE_MESSAGE(expected.ok(), expected.status().to_string());
  for (bool constant : {false, true}) {
    auto actual = testing::run_on_vulkan(std::make_unique<ops::ExpandOp>(shape), {&x}, {constant});
    REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());
    const auto stats = testing::compare(expected.value()[0], actual.value()[0]);
    INFO("EXPAND ", shape_to_string(in), " to ", ops::ExpandOp(shape).describe());
    CHECK(stats.shape_match);
    CHECK(stats.max_abs == 0.0);
  }
}

}  // namespace

TEST_CASE("expand: infer_shapes") {
  const int64_t U = kUnknownDim;
  std::vector<Shape> out;
  const Shape in[] = {{3, 1}};
  REQUIRE(ops::ExpandOp({2, 1, 6}).infer_shapes(in, out).ok());
  CHECK(out[0] == Shape{2, 3, 6});
  REQUIRE(ops::ExpandOp({1}).infer_shapes(in, out).ok());
  CHECK(out[0] == Shape{3, 1});
  const Shape unknown[] = {{U, 1}};
  REQUIRE(ops::ExpandOp({1, 4}).infer_shapes(unknown, out).ok());
  CHECK(out[0] == Shape{U, 4});
  REQUIRE(ops::ExpandOp({5, 4}).infer_shapes(unknown, out).ok());
  CHECK(out[0] == Shape{5, 4});
  Status s = ops::ExpandOp({2, 4}).infer_shapes(in, out);
  CHECK(s.code() == StatusCode::kInvalidModel);
  CHECK(s.message().find("EXPAND") != std::string::npos);
}

TEST_CASE("expand: reference matches the ONNX documentation examples") {
  const HostTensor x = testing::tensor({3, 1}, {1, 2, 3});
  auto y = ops::run_reference(ops::ExpandOp({3, 4}), std::vector<const HostTensor*>{&x});
  REQUIRE(y.ok());
  const std::vector<float> want = {1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3};
  CHECK(std::vector<float>(y.value()[0].as<float>().begin(), y.value()[0].as<float>().end()) ==
        want);
  auto z = ops::run_reference(ops::ExpandOp({2, 1, 6}), std::vector<const HostTensor*>{&x});
  REQUIRE(z.ok());
  CHECK(z.value()[0].shape == Shape{2, 3, 6});
  auto v = z.value()[0].as<float>();
  for (size_t i = 0; i < v.size(); ++i) CHECK(v[i] == static_cast<float>((i / 6) % 3 + 1));
}

TEST_CASE("expand: options round-trip") {
  ops::ExpandOp op({2, 1, 6});
  flatbuffers::FlatBufferBuilder fbb;
  auto [type, options] = op.write_options(fbb);
  fbb.Finish(schema::CreateOperator(fbb, schema::OpType::EXPAND, 0, 0, 0, type, options));
  auto made = ops::make_op(*flatbuffers::GetRoot<schema::Operator>(fbb.GetBufferPointer()));
  REQUIRE(made.ok());
  CHECK(static_cast<const ops::ExpandOp&>(*made.value()).shape() == op.shape());
}

TEST_CASE("expand: vulkan matches reference") {
  check_vulkan({1}, {1});
  check_vulkan({1}, {13});
  check_vulkan({127}, {3, 127});
  check_vulkan({4099, 1}, {4099, 3});
  check_vulkan({3, 1, 5}, {2, 3, 7, 5});
  check_vulkan({1, 13, 1, 1}, {2, 13, 5, 3});
  check_vulkan({2, 1, 3, 1, 2}, {3, 2, 2, 3, 5, 2});
}

}  // namespace fennec
