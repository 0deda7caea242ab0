// SOFTMAX: shape rules, the ONNX documentation example (softmax and
// log-softmax), large inputs that would overflow without the max shift, and
// the Vulkan kernel against the reference on axis 0, middle and last axes.
#include <doctest/doctest.h>

#include <vector>

#include "common/harness.h"
#include "ops/softmax.h"

namespace fennec {
namespace {

std::vector<float> run(const ops::SoftmaxOp& op, const HostTensor& x) {
  const HostTensor* inputs[] = {&x};
  auto out = ops::run_reference(op, inputs);
  REQUIRE_MESSAGE(out.ok(), out.status().to_string());
  auto v = out.value()[0].as<float>();
  return {v.begin(), v.end()};
}

void expect_near(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i)
    CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-6).scale(1.0));
}

void check_vulkan(const Shape& shape, int axis, bool log, float range = 4.0f) {
  const HostTensor x = testing::random_tensor(shape, static_cast<uint32_t>(axis * 31 + shape.size()),
                                              -range, range);
  const HostTensor* inputs[] = {&x};
  auto expected = ops::run_reference(ops::SoftmaxOp(axis, log), inputs);
  REQUIRE_MESSAGE(expected.ok(), expected.status().to_string());
  auto actual = testing::run_on_vulkan(std::make_unique<ops::SoftmaxOp>(axis, log), {&x});
  REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());
  const auto stats = testing::compare(expected.value()[0], actual.value()[0]);
  INFO("SOFTMAX ", shape_to_string(shape), " axis ", axis, log ? " log" : "", ": max_abs ",
       stats.max_abs, " nmse ", stats.nmse);
  CHECK(stats.shape_match);
  CHECK(stats.max_abs <= testing::kFp32MaxAbs);
  CHECK(stats.nmse <= testing::kFp32Nmse);
}

}  // namespace

TEST_CASE("softmax: infer_shapes keeps the shape; axis out of range is an error") {
  std::vector<Shape> out;
  const Shape in[] = {{kUnknownDim, 3, 5}};
  REQUIRE(ops::SoftmaxOp(2, false).infer_shapes(in, out).ok());
  CHECK(out[0] == Shape{kUnknownDim, 3, 5});
  const Status s = ops::SoftmaxOp(3, false).infer_shapes(in, out);
  CHECK(s.code() == StatusCode::kInvalidModel);
  CHECK(s.message().find("SOFTMAX") != std::string::npos);
}

TEST_CASE("softmax: reference matches the ONNX examples and stays finite for large inputs") {
  const HostTensor x = testing::tensor({1, 3}, {-1, 0, 1});
  expect_near(run(ops::SoftmaxOp(1, false), x), {0.09003058f, 0.24472848f, 0.66524094f});
  expect_near(run(ops::SoftmaxOp(1, true), x), {-2.40760596f, -1.40760596f, -0.40760596f});
  // exp(1000) overflows fp32 and double; the max shift keeps it exact.
  const HostTensor big = testing::tensor({2, 2}, {1000, 1001, -1000, 0});
  expect_near(run(ops::SoftmaxOp(1, false), big), {0.26894142f, 0.73105858f, 0, 1});
  // Along axis 0 of [[1, 2], [3, 4]].
  expect_near(run(ops::SoftmaxOp(0, false), testing::tensor({2, 2}, {1, 2, 3, 4})),
              {0.11920292f, 0.11920292f, 0.88079708f, 0.88079708f});
}

TEST_CASE("softmax: options round-trip") {
  flatbuffers::FlatBufferBuilder fbb;
  auto [type, options] = ops::SoftmaxOp(2, true).write_options(fbb);
  fbb.Finish(schema::CreateOperator(fbb, schema::OpType::SOFTMAX, 0, 0, 0, type, options));
  auto made = ops::make_op(*flatbuffers::GetRoot<schema::Operator>(fbb.GetBufferPointer()));
  REQUIRE(made.ok());
  const auto& back = static_cast<const ops::SoftmaxOp&>(*made.value());
  CHECK(back.axis() == 2);
  CHECK(back.log());
}

TEST_CASE("softmax: vulkan matches reference") {
  for (bool log : {false, true}) {
    for (int64_t n : {1, 13, 127, 4099}) {
      check_vulkan({n}, 0, log);
      check_vulkan({3, n}, 1, log);
      check_vulkan({n, 3}, 0, log);
    }
    check_vulkan({2, 13, 7}, 1, log);
    check_vulkan({5, 127}, 1, log, 60.0f);  // wide range: the max shift matters
    check_vulkan({1, 4, 9, 11}, 3, log);
  }
}

}  // namespace fennec
