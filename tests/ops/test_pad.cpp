// PAD: shape rules with negative pads, the ONNX documentation examples for
// the three modes, wide reflections, and the Vulkan kernel against the
// reference for ranks 1..6.
#include <doctest/doctest.h>

#include <vector>

#include "common/harness.h"
#include "ops/pad.h"

namespace fennec {
namespace {

using ops::PadMode;

std::vector<float> values(const HostTensor& t) {
  return {t.as<float>().begin(), t.as<float>().end()};
}

HostTensor reference(PadMode mode, const std::vector<int64_t>& pads, const HostTensor& x,
                     float value = 0.0f) {
  auto y = ops::run_reference(ops::PadOp(mode, pads, value), std::vector<const HostTensor*>{&x});
  REQUIRE_MESSAGE(y.ok(), y.status().to_string());
  return std::move(y.value()[0]);
}

void check_vulkan(const Shape& in, const std::vector<int64_t>& pads) {
  const HostTensor x = testing::random_tensor(in, 17);
  for (PadMode mode : {PadMode::CONSTANT, PadMode::REFLECT, PadMode::EDGE}) {
    const HostTensor expected = reference(mode, pads, x, 2.5f);
    auto actual = testing::run_on_vulkan(std::make_unique<ops::PadOp>(mode, pads, 2.5f), {&x});
    REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());
    const auto stats = testing::compare(expected, actual.value()[0]);
    INFO("PAD ", shape_to_string(in), " ", ops::PadOp(mode, pads, 2.5f).describe());
    CHECK(stats.shape_match);
    CHECK(stats.max_abs == 0.0);
  }
}

}  // namespace

TEST_CASE("pad: infer_shapes") {
  const int64_t U = kUnknownDim;
  std::vector<Shape> out;
  const Shape in[] = {{U, 3, 5}};
  REQUIRE(ops::PadOp(PadMode::CONSTANT, {1, 0, -2, 1, 2, 3}, 0).infer_shapes(in, out).ok());
  CHECK(out[0] == Shape{U, 5, 6});
  Status s = ops::PadOp(PadMode::CONSTANT, {0, 0}, 0).infer_shapes(in, out);
  CHECK(s.code() == StatusCode::kInvalidModel);
  CHECK(s.message().find("PAD") != std::string::npos);
  CHECK(ops::PadOp(PadMode::EDGE, {0, -4, 0, 0, 0, 0}, 0).infer_shapes(in, out).code() ==
        StatusCode::kInvalidModel);
  const Shape empty[] = {{0, 2}};
  CHECK(ops::PadOp(PadMode::REFLECT, {1, 0, 0, 0}, 0).infer_shapes(empty, out).code() ==
        StatusCode::kInvalidModel);
}

TEST_CASE("pad: reference matches the ONNX documentation examples") {
  const HostTensor x = testing::tensor({3, 2}, {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f});
  const std::vector<int64_t> pads = {0, 2, 0, 0};
  HostTensor y = reference(PadMode::CONSTANT, pads, x);
  CHECK(y.shape == Shape{3, 4});
  CHECK(values(y) == std::vector<float>{0, 0, 1.0f, 1.2f, 0, 0, 2.3f, 3.4f, 0, 0, 4.5f, 5.7f});
  y = reference(PadMode::REFLECT, pads, x);
  CHECK(values(y) ==
        std::vector<float>{1.0f, 1.2f, 1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f, 4.5f, 5.7f});
  y = reference(PadMode::EDGE, pads, x);
  CHECK(values(y) ==
        std::vector<float>{1.0f, 1.0f, 1.0f, 1.2f, 2.3f, 2.3f, 2.3f, 3.4f, 4.5f, 4.5f, 4.5f, 5.7f});
}

TEST_CASE("pad: wide reflections, crops and constant values") {
  const HostTensor x = testing::tensor({3}, {1, 2, 3});
  // Reflection keeps mirroring past the border (period 2(n-1)).
  CHECK(values(reference(PadMode::REFLECT, {4, 5}, x)) ==
        std::vector<float>{1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2});
  CHECK(values(reference(PadMode::EDGE, {2, 1}, x)) == std::vector<float>{1, 1, 1, 2, 3, 3});
  CHECK(values(reference(PadMode::CONSTANT, {-1, 2}, x, -7.0f)) ==
        std::vector<float>{2, 3, -7, -7});
  const HostTensor one = testing::tensor({1}, {9});
  CHECK(values(reference(PadMode::REFLECT, {2, 1}, one)) == std::vector<float>{9, 9, 9, 9});
}

TEST_CASE("pad: options round-trip") {
  ops::PadOp op(PadMode::REFLECT, {0, 1, 2, 3}, 1.5f);
  CHECK(op.describe() == "mode=REFLECT pads=[0,1,2,3]");
  flatbuffers::FlatBufferBuilder fbb;
  auto [type, options] = op.write_options(fbb);
  fbb.Finish(schema::CreateOperator(fbb, schema::OpType::PAD, 0, 0, 0, type, options));
  auto made = ops::make_op(*flatbuffers::GetRoot<schema::Operator>(fbb.GetBufferPointer()));
  REQUIRE(made.ok());
  const auto& back = static_cast<const ops::PadOp&>(*made.value());
  CHECK(back.mode() == PadMode::REFLECT);
  CHECK(back.pads() == op.pads());
  CHECK(back.value() == 1.5f);
}

TEST_CASE("pad: vulkan matches reference") {
  check_vulkan({1}, {0, 0});
  check_vulkan({1}, {3, 2});
  check_vulkan({13}, {5, 20});  // reflection wider than the axis
  check_vulkan({127}, {-3, 1});
  check_vulkan({4099}, {1, -2});
  check_vulkan({13, 7}, {2, -1, 3, 6});
  check_vulkan({1, 3, 13, 17}, {0, 0, 1, 2, 0, 0, 3, 1});  // spatial pads of NCHW
  check_vulkan({2, 3, 4, 5, 3}, {1, 0, 2, 0, 1, 0, 1, 3, 2, 1});
  check_vulkan({2, 1, 3, 2, 3, 2}, {0, 1, 1, 0, 2, 1, 1, 0, -1, 1, 0, 2});
}

}  // namespace fennec
