// RESHAPE: shape inference with copied and inferred dims (also with unknown
// dims, as the converter sees them), options round-trip and the Vulkan copy
// against the reference on odd sizes.
#include <doctest/doctest.h>

#include <vector>

#include "common/harness.h"
#include "ops/reshape.h"

namespace fennec {
namespace {

Shape infer(const ops::ReshapeOp& op, const Shape& in) {
  std::vector<Shape> out;
  const Shape inputs[] = {in};
  Status s = op.infer_shapes(inputs, out);
  REQUIRE_MESSAGE(s.ok(), s.to_string());
  return out[0];
}

}  // namespace

TEST_CASE("reshape: infer_shapes") {
  const int64_t U = kUnknownDim;
  CHECK(infer(ops::ReshapeOp({4, -1}, {}), {2, 3, 4}) == Shape{4, 6});
  CHECK(infer(ops::ReshapeOp({24}, {}), {2, 3, 4}) == Shape{24});
  CHECK(infer(ops::ReshapeOp({}, {}), {1}) == Shape{});
  // Flatten of [N,C,H,W]: N copied, the rest inferred even with N unknown.
  CHECK(infer(ops::ReshapeOp({0, -1}, {0, -1}), {U, 3, 4, 5}) == Shape{U, 60});
  // Unsqueeze-like: copies around an inserted 1.
  CHECK(infer(ops::ReshapeOp({0, 1, 0}, {0, -1, 1}), {U, 7}) == Shape{U, 1, 7});
  // An unknown dim that is not copied leaves the -1 unknown.
  CHECK(infer(ops::ReshapeOp({-1, 4}, {}), {U, 8}) == Shape{U, 4});
  // The same input dim copied twice cancels only once.
  CHECK(infer(ops::ReshapeOp({0, 0, -1}, {0, 0, -1}), {4, 4}) == Shape{4, 4, 1});

  std::vector<Shape> out;
  const Shape bad[] = {{2, 3, 4}};
  Status s = ops::ReshapeOp({5, -1}, {}).infer_shapes(bad, out);
  CHECK(s.code() == StatusCode::kInvalidModel);
  CHECK(s.message().find("RESHAPE") != std::string::npos);
  CHECK(ops::ReshapeOp({25}, {}).infer_shapes(bad, out).code() == StatusCode::kInvalidModel);
  CHECK(ops::ReshapeOp({-1, -1}, {}).infer_shapes(bad, out).code() == StatusCode::kInvalidModel);
  CHECK(ops::ReshapeOp({0}, {3}).infer_shapes(bad, out).code() == StatusCode::kInvalidModel);
  CHECK(ops::ReshapeOp({0, 1}, {0}).infer_shapes(bad, out).code() == StatusCode::kInvalidModel);
}

TEST_CASE("reshape: options round-trip and validation") {
  ops::ReshapeOp op({0, -1, 4}, {0, -1, -1});
  CHECK(op.describe() == "shape=[0,-1,4] copy_from=[0,-1,-1]");
  flatbuffers::FlatBufferBuilder fbb;
  auto [type, options] = op.write_options(fbb);
  fbb.Finish(schema::CreateOperator(fbb, schema::OpType::RESHAPE, 0, 0, 0, type, options));
  auto made = ops::make_op(*flatbuffers::GetRoot<schema::Operator>(fbb.GetBufferPointer()));
  REQUIRE(made.ok());
  const auto& back = static_cast<const ops::ReshapeOp&>(*made.value());
  CHECK(back.shape() == op.shape());
  CHECK(back.copy_from() == op.copy_from());

  flatbuffers::FlatBufferBuilder bad;
  auto shape = bad.CreateVector(std::vector<int64_t>{-1, -1});
  bad.Finish(schema::CreateOperator(bad, schema::OpType::RESHAPE, 0, 0, 0,
                                    schema::OpOptions::ReshapeOptions,
                                    schema::CreateReshapeOptions(bad, shape).Union()));
  made = ops::make_op(*flatbuffers::GetRoot<schema::Operator>(bad.GetBufferPointer()));
  CHECK(made.status().code() == StatusCode::kInvalidModel);
}

TEST_CASE("reshape: reference and vulkan keep the element order") {
  const HostTensor x = testing::tensor({2, 3}, {1, 2, 3, 4, 5, 6});
  auto ref = ops::run_reference(ops::ReshapeOp({3, -1}, {}), std::vector<const HostTensor*>{&x});
  REQUIRE(ref.ok());
  CHECK(ref.value()[0].shape == Shape{3, 2});
  CHECK(ref.value()[0].bytes == x.bytes);

  for (const Shape& in : {Shape{1}, Shape{13}, Shape{127, 1}, Shape{1, 4099}, Shape{3, 5, 7}}) {
    const HostTensor t = testing::random_tensor(in, 7);
    for (bool constant : {false, true}) {
      auto actual = testing::run_on_vulkan(std::make_unique<ops::ReshapeOp>(
                                               std::vector<int64_t>{-1, 1},
                                               std::vector<int32_t>{}),
                                           {&t}, {constant});
      REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());
      CHECK(actual.value()[0].shape == Shape{element_count(in), 1});
      CHECK(actual.value()[0].bytes == t.bytes);
    }
  }
}

}  // namespace fennec
