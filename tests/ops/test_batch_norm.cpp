// BATCH_NORM: the reference against hand-computed values, shape inference,
// the option round trip, and the Vulkan kernel against the reference for
// ranks 2 to 5 on odd shapes.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/harness.h"
#include "ops/batch_norm.h"

namespace fennec {
namespace {

using ops::BatchNormOp;
using ops::OptionsOffset;
using ops::OpType;

using testing::tensor;

Result<Shape> infer(std::vector<Shape> inputs) {
  BatchNormOp op(1e-5f);
  std::vector<Shape> outputs;
  FENNEC_RETURN_IF_ERROR(op.infer_shapes(inputs, outputs));
  return outputs.at(0);
}

// Random X and parameters (var in [0.05, 2) so that 1/sqrt(var) stays
// moderate), Vulkan against the reference within the house fp32 bounds.
void check_vulkan(const Shape& x_shape, float epsilon = 1e-5f, uint32_t seed = 1,
                  bool constant_params = true) {
  const int64_t c = x_shape[1];
  const HostTensor x = testing::random_tensor(x_shape, seed, -3.0f, 3.0f);
  const HostTensor scale = testing::random_tensor({c}, seed + 1, -2.0f, 2.0f);
  const HostTensor bias = testing::random_tensor({c}, seed + 2);
  const HostTensor mean = testing::random_tensor({c}, seed + 3);
  const HostTensor var = testing::random_tensor({c}, seed + 4, 0.05f, 2.0f);
  const std::vector<const HostTensor*> inputs{&x, &scale, &bias, &mean, &var};

  INFO("batch_norm x ", shape_to_string(x_shape), " eps ", epsilon);
  BatchNormOp op(epsilon);
  auto expected = ops::run_reference(op, inputs);
  REQUIRE_MESSAGE(expected.ok(), expected.status().to_string());
  const bool k = constant_params;
  auto actual =
      testing::run_on_vulkan(std::make_unique<BatchNormOp>(epsilon), inputs, {false, k, k, k, k});
  REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());

  const testing::ErrorStats stats = testing::compare(expected.value()[0], actual.value()[0]);
  CHECK(stats.shape_match);
  CHECK_LE(stats.max_abs, testing::kFp32MaxAbs);
  CHECK_LE(stats.nmse, testing::kFp32Nmse);
}

}  // namespace

TEST_CASE("batch_norm: reference by hand") {
  // Two channels of two values; epsilon chosen so that var + eps is a perfect square.
  // channel 0: (x - 1) / sqrt(3.75 + 0.25) * 2 + 0 = x - 1      -> (0, 1)
  // channel 1: (x - 3) / sqrt(0.75 + 0.25) * 1 + 1 = x - 2      -> (1, 2)
  const HostTensor x = tensor({1, 2, 1, 2}, {1, 2, 3, 4});
  const HostTensor scale = tensor({2}, {2, 1});
  const HostTensor bias = tensor({2}, {0, 1});
  const HostTensor mean = tensor({2}, {1, 3});
  const HostTensor var = tensor({2}, {3.75f, 0.75f});
  BatchNormOp op(0.25f);
  const std::vector<const HostTensor*> inputs{&x, &scale, &bias, &mean, &var};
  auto out = ops::run_reference(op, inputs);
  REQUIRE_MESSAGE(out.ok(), out.status().to_string());
  auto y = out.value()[0].as<float>();
  CHECK(std::vector<float>(y.begin(), y.end()) == std::vector<float>{0, 1, 1, 2});

  SUBCASE("rank 2 with batch 2: channels are axis 1") {
    const HostTensor x2 = tensor({2, 2}, {1, 3, 2, 4});
    const std::vector<const HostTensor*> inputs2{&x2, &scale, &bias, &mean, &var};
    auto out2 = ops::run_reference(op, inputs2);
    REQUIRE(out2.ok());
    auto y2 = out2.value()[0].as<float>();
    CHECK(std::vector<float>(y2.begin(), y2.end()) == std::vector<float>{0, 1, 1, 2});
  }
}

TEST_CASE("batch_norm: shape inference") {
  SUBCASE("same shape as X") {
    auto s = infer({{2, 3, 5, 7}, {3}, {3}, {3}, {3}});
    REQUIRE(s.ok());
    CHECK(s.value() == Shape{2, 3, 5, 7});
  }
  SUBCASE("unknown dims propagate") {
    auto s = infer({{kUnknownDim, 3, kUnknownDim}, {3}, {3}, {3}, {3}});
    REQUIRE(s.ok());
    CHECK(s.value() == Shape{kUnknownDim, 3, kUnknownDim});
    auto t = infer({{1, kUnknownDim, 4, 4}, {5}, {5}, {kUnknownDim}, {5}});
    REQUIRE(t.ok());
    CHECK(t.value() == Shape{1, kUnknownDim, 4, 4});
  }
  SUBCASE("parameter size differs from the channel count") {
    auto s = infer({{1, 3, 4, 4}, {3}, {3}, {4}, {3}});
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().code() == StatusCode::kInvalidModel);
    CHECK(s.status().message().find("BATCH_NORM") != std::string::npos);
    CHECK(s.status().message().find("mean") != std::string::npos);
  }
  SUBCASE("parameters disagree with each other when C is unknown") {
    CHECK_FALSE(infer({{1, kUnknownDim, 4}, {3}, {3}, {3}, {2}}).ok());
  }
  SUBCASE("wrong ranks and input counts") {
    CHECK_FALSE(infer({{3}, {3}, {3}, {3}, {3}}).ok());
    CHECK_FALSE(infer({{1, 3, 4}, {3}, {3}, {1, 3}, {3}}).ok());
    CHECK_FALSE(infer({{1, 3, 4}, {3}, {3}, {3}}).ok());
  }
}

TEST_CASE("batch_norm: options round trip, factory validation and describe") {
  auto build = [](const BatchNormOp* op, flatbuffers::FlatBufferBuilder& fbb) {
    OptionsOffset options{schema::OpOptions::NONE, 0};
    if (op) options = op->write_options(fbb);
    fbb.Finish(
        schema::CreateOperator(fbb, OpType::BATCH_NORM, 0, 0, 0, options.first, options.second));
    return flatbuffers::GetRoot<schema::Operator>(fbb.GetBufferPointer());
  };
  CHECK(BatchNormOp(1e-3f).describe() == "eps=0.001");
  SUBCASE("round trip") {
    BatchNormOp original(1e-3f);
    flatbuffers::FlatBufferBuilder fbb;
    auto made = ops::make_op(*build(&original, fbb));
    REQUIRE_MESSAGE(made.ok(), made.status().to_string());
    REQUIRE(made.value()->type() == OpType::BATCH_NORM);
    CHECK(static_cast<const BatchNormOp&>(*made.value()).epsilon() == 1e-3f);
  }
  SUBCASE("missing options") {
    flatbuffers::FlatBufferBuilder fbb;
    auto made = ops::make_op(*build(nullptr, fbb));
    REQUIRE_FALSE(made.ok());
    CHECK(made.status().code() == StatusCode::kInvalidModel);
  }
  SUBCASE("negative epsilon") {
    BatchNormOp bad(-1.0f);
    flatbuffers::FlatBufferBuilder fbb;
    auto made = ops::make_op(*build(&bad, fbb));
    REQUIRE_FALSE(made.ok());
    CHECK(made.status().code() == StatusCode::kInvalidModel);
  }
}

TEST_CASE("batch_norm: vulkan rank 4, spatial 1, 13, 127") {
  check_vulkan({1, 1, 1, 1});
  check_vulkan({1, 3, 1, 1}, 1e-5f, 2);
  check_vulkan({2, 67, 13, 13}, 1e-3f, 3);
  check_vulkan({1, 19, 127, 127}, 1e-5f, 4);
}

TEST_CASE("batch_norm: vulkan ranks 2, 3 and 5") {
  check_vulkan({13, 67});
  check_vulkan({1, 4099});  // 4099 channels of one value
  check_vulkan({2, 67, 127}, 1e-5f, 2);
  check_vulkan({1, 1, 4099}, 1e-5f, 3);
  check_vulkan({1, 3, 4, 5, 7}, 1e-5f, 4);
}

TEST_CASE("batch_norm: vulkan parameters fed at run time") {
  check_vulkan({1, 13, 13, 13}, 1e-5f, 9, /*constant_params=*/false);
}

}  // namespace fennec
