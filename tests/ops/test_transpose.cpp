// TRANSPOSE: shape inference, the reference on a hand-computed example, and
// the Vulkan kernel against the reference for ranks 1..6 on odd sizes.
#include <doctest/doctest.h>

#include <vector>

#include "common/harness.h"
#include "ops/transpose.h"

namespace fennec {
namespace {

void check_vulkan(const Shape& in, const std::vector<int32_t>& perm) {
  const HostTensor x = testing::random_tensor(in, 11, -3.0f, 3.0f);
  ops::TransposeOp op(perm);
  auto expected = ops::run_reference(op, std::vector<const HostTensor*>{&x});
  REQUIRE_MESSAGE(expected.ok(), expected.status().to_string());
  auto actual = testing::run_on_vulkan(std::make_unique<ops::TransposeOp>(perm), {&x});
  REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());
  const auto stats = testing::compare(expected.value()[0], actual.value()[0]);
  INFO("TRANSPOSE ", shape_to_string(in), " perm ", op.describe());
  CHECK(stats.shape_match);
  CHECK(stats.max_abs == 0.0);  // a copy is exact
}

}  // namespace

TEST_CASE("transpose: infer_shapes") {
  const int64_t U = kUnknownDim;
  std::vector<Shape> out;
  const Shape in[] = {{U, 3, 5}};
  REQUIRE(ops::TransposeOp({2, 0, 1}).infer_shapes(in, out).ok());
  CHECK(out[0] == Shape{5, U, 3});
  Status s = ops::TransposeOp({0, 1}).infer_shapes(in, out);
  CHECK(s.code() == StatusCode::kInvalidModel);
  CHECK(s.message().find("TRANSPOSE") != std::string::npos);
  CHECK(ops::TransposeOp({0, 0, 1}).infer_shapes(in, out).code() == StatusCode::kInvalidModel);
}

TEST_CASE("transpose: reference") {
  const HostTensor x = testing::tensor({2, 3}, {1, 2, 3, 4, 5, 6});
  auto y = ops::run_reference(ops::TransposeOp({1, 0}), std::vector<const HostTensor*>{&x});
  REQUIRE(y.ok());
  CHECK(y.value()[0].shape == Shape{3, 2});
  const std::vector<float> want = {1, 4, 2, 5, 3, 6};
  CHECK(std::vector<float>(y.value()[0].as<float>().begin(), y.value()[0].as<float>().end()) ==
        want);
  // [2,2,2] with perm [2,0,1]: y[k,i,j] = x[i,j,k].
  const HostTensor c = testing::tensor({2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
  auto z = ops::run_reference(ops::TransposeOp({2, 0, 1}), std::vector<const HostTensor*>{&c});
  REQUIRE(z.ok());
  const std::vector<float> want3 = {0, 2, 4, 6, 1, 3, 5, 7};
  CHECK(std::vector<float>(z.value()[0].as<float>().begin(), z.value()[0].as<float>().end()) ==
        want3);
}

TEST_CASE("transpose: options round-trip") {
  ops::TransposeOp op({0, 2, 1});
  CHECK(op.describe() == "perm=[0,2,1]");
  flatbuffers::FlatBufferBuilder fbb;
  auto [type, options] = op.write_options(fbb);
  fbb.Finish(schema::CreateOperator(fbb, schema::OpType::TRANSPOSE, 0, 0, 0, type, options));
  auto made = ops::make_op(*flatbuffers::GetRoot<schema::Operator>(fbb.GetBufferPointer()));
  REQUIRE(made.ok());
  CHECK(static_cast<const ops::TransposeOp&>(*made.value()).perm() == op.perm());
}

TEST_CASE("transpose: vulkan matches reference") {
  check_vulkan({1}, {0});
  check_vulkan({13}, {0});
  check_vulkan({127, 1}, {1, 0});
  check_vulkan({4099, 3}, {1, 0});
  check_vulkan({13, 7, 5}, {2, 0, 1});
  check_vulkan({1, 3, 13, 17}, {0, 2, 3, 1});  // NCHW -> NHWC
  check_vulkan({2, 13, 17, 3}, {0, 3, 1, 2});  // NHWC -> NCHW
  check_vulkan({3, 1, 5, 2, 7}, {4, 2, 0, 3, 1});
  check_vulkan({2, 3, 2, 5, 3, 2}, {5, 4, 3, 2, 1, 0});
  check_vulkan({2, 3, 2, 5, 3, 2}, {1, 0, 3, 2, 5, 4});
  // Rank 8 whose merged view has at most 6 axes.
  check_vulkan({2, 3, 1, 2, 2, 1, 3, 2}, {1, 0, 2, 3, 4, 5, 7, 6});
}

}  // namespace fennec
