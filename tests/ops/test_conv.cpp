// CONV: the reference against hand-computed values, shape inference, the
// option round trip, and the Vulkan kernel against the reference on odd
// shapes (spatial 1, 13, 127; channel counts off multiples of 4 and 64;
// depthwise, grouped, strided, dilated, asymmetric pads, every activation).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/harness.h"
#include "ops/conv.h"

namespace fennec {
namespace {

using ops::Activation;
using ops::ConvOp;
using ops::ConvParams;
using ops::OptionsOffset;
using ops::OpType;

using testing::tensor;

ConvParams conv(int kernel, int stride = 1, int pad = 0, int group = 1, int dilation = 1) {
  ConvParams p;
  p.kernel_h = p.kernel_w = kernel;
  p.stride_h = p.stride_w = stride;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = pad;
  p.group = group;
  p.dilation_h = p.dilation_w = dilation;
  return p;
}

Activation activation(schema::Activation kind, float alpha = 0.0f, float beta = 0.0f) {
  Activation a;
  a.kind = kind;
  a.alpha = alpha;
  a.beta = beta;
  return a;
}

std::vector<float> reference_values(const ConvParams& p, const std::vector<const HostTensor*>& in) {
  ConvOp op(p);
  auto out = ops::run_reference(op, in);
  REQUIRE_MESSAGE(out.ok(), out.status().to_string());
  auto v = out.value()[0].as<float>();
  return {v.begin(), v.end()};
}

Result<Shape> infer(const ConvParams& p, std::vector<Shape> inputs) {
  ConvOp op(p);
  std::vector<Shape> outputs;
  FENNEC_RETURN_IF_ERROR(op.infer_shapes(inputs, outputs));
  return outputs.at(0);
}

// Runs `p` on random X [x], W [out_channels, C/group, kh, kw] and B [out_channels]
// on Vulkan and on the reference and checks the fp32 bounds.
//
// The reference accumulates in double, so the difference is the kernel's own
// fp32 rounding, which grows with the accumulation length K = C/group*kh*kw
// and the output magnitude (about sqrt(K)/3 for inputs in [-1, 1)). Up to
// K = 256 the house bounds hold with a wide margin; beyond it the max-abs
// bound is scaled by K/256 (random-walk rounding grows like sqrt(K) times the
// output magnitude, itself ~sqrt(K)).
void check_vulkan(const ConvParams& p, const Shape& x_shape, int64_t out_channels, bool bias = true,
                  uint32_t seed = 1, bool pass_absent_bias = true) {
  const Shape w_shape{out_channels, x_shape[1] / p.group, p.kernel_h, p.kernel_w};
  const HostTensor x = testing::random_tensor(x_shape, seed);
  const HostTensor w = testing::random_tensor(w_shape, seed + 1);
  const HostTensor b = testing::random_tensor({out_channels}, seed + 2);
  std::vector<const HostTensor*> inputs{&x, &w};
  if (bias)
    inputs.push_back(&b);
  else if (pass_absent_bias)
    inputs.push_back(nullptr);

  ConvOp op(p);
  INFO("conv ", op.describe(), " x ", shape_to_string(x_shape), " o ", out_channels,
       bias ? " +bias" : " no bias");
  auto expected = ops::run_reference(op, inputs);
  REQUIRE_MESSAGE(expected.ok(), expected.status().to_string());
  auto actual = testing::run_on_vulkan(std::make_unique<ConvOp>(p), inputs, {false, true, bias});
  REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());

  const double k = static_cast<double>(w_shape[1] * w_shape[2] * w_shape[3]);
  const double max_abs_bound = testing::kFp32MaxAbs * std::max(1.0, k / 256.0);
  const testing::ErrorStats stats = testing::compare(expected.value()[0], actual.value()[0]);
  CHECK(stats.shape_match);
  CHECK_LE(stats.max_abs, max_abs_bound);
  CHECK_LE(stats.nmse, testing::kFp32Nmse);
}

}  // namespace

// --- The reference against values computed by hand -------------------------

TEST_CASE("conv: reference 2x2 kernel on a 3x3 input, by hand") {
  // x = [[1,2,3],[4,5,6],[7,8,9]], w = [[1,2],[3,4]]
  const HostTensor x = tensor({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  const HostTensor w = tensor({1, 1, 2, 2}, {1, 2, 3, 4});
  const HostTensor b = tensor({1}, {0.5f});

  SUBCASE("valid, with bias") {
    // y00 = 1*1 + 2*2 + 4*3 + 5*4 = 37, y01 = 2+6+15+24 = 47,
    // y10 = 4+10+21+32 = 67, y11 = 5+12+24+36 = 77
    CHECK(reference_values(conv(2), {&x, &w, &b}) ==
          std::vector<float>{37.5f, 47.5f, 67.5f, 77.5f});
  }
  SUBCASE("pad 1, stride 2") {
    // Windows start at (-1,-1), (-1,1), (1,-1), (1,1):
    // y00 = 4*x00 = 4, y01 = 3*x01 + 4*x02 = 18, y10 = 2*x10 + 4*x20 = 36,
    // y11 = 1*5 + 2*6 + 3*8 + 4*9 = 77
    CHECK(reference_values(conv(2, 2, 1), {&x, &w}) == std::vector<float>{4, 18, 36, 77});
  }
  SUBCASE("dilation 2") {
    // Taps at the four corners: 1*1 + 2*3 + 3*7 + 4*9 = 64
    CHECK(reference_values(conv(2, 1, 0, 1, 2), {&x, &w, nullptr}) == std::vector<float>{64});
  }
  SUBCASE("asymmetric pads (top 1, left 0, bottom 0, right 1)") {
    ConvParams p = conv(2);
    p.pad_top = 1;
    p.pad_right = 1;
    // Output 3x3; row 0 sees only x row 0 through w row 1:
    // y00 = 3*1 + 4*2 = 11, y01 = 3*2 + 4*3 = 18, y02 = 3*3 = 9;
    // y12 = 1*3 + 3*6 = 21, y22 = 1*6 + 3*9 = 33.
    const std::vector<float> y = reference_values(p, {&x, &w});
    REQUIRE(y.size() == 9);
    CHECK(y[0] == 11);
    CHECK(y[1] == 18);
    CHECK(y[2] == 9);
    CHECK(y[3] == 37);
    CHECK(y[5] == 21);
    CHECK(y[8] == 33);
  }
}

TEST_CASE("conv: reference groups and fused activation, by hand") {
  const HostTensor x = tensor({1, 2, 1, 1}, {1, 2});
  SUBCASE("group 2: each output channel sees only its own input channel") {
    const HostTensor w = tensor({2, 1, 1, 1}, {3, -5});
    CHECK(reference_values(conv(1, 1, 0, 2), {&x, &w}) == std::vector<float>{3, -10});
    ConvParams p = conv(1, 1, 0, 2);
    p.activation = activation(schema::Activation::RELU);
    CHECK(reference_values(p, {&x, &w}) == std::vector<float>{3, 0});
  }
  SUBCASE("group 1: OIHW layout") {
    // w[o][i]: o0 = (1, 2), o1 = (3, 4) -> y0 = 1*1 + 2*2 = 5, y1 = 3 + 8 = 11
    const HostTensor w = tensor({2, 2, 1, 1}, {1, 2, 3, 4});
    const HostTensor b = tensor({2}, {-6, 1});
    ConvParams p = conv(1);
    p.activation = activation(schema::Activation::CLIP, 0.0f, 6.0f);
    // bias before activation: clip(5 - 6) = 0, clip(11 + 1) = 6
    CHECK(reference_values(p, {&x, &w, &b}) == std::vector<float>{0, 6});
  }
}

// --- Shape inference -------------------------------------------------------

TEST_CASE("conv: shape inference") {
  SUBCASE("static") {
    auto s = infer(conv(3, 2, 1), {{2, 3, 224, 224}, {16, 3, 3, 3}, {16}});
    REQUIRE(s.ok());
    CHECK(s.value() == Shape{2, 16, 112, 112});
  }
  SUBCASE("unknown batch and spatial dims propagate") {
    auto s = infer(conv(3, 2, 1), {{kUnknownDim, 3, kUnknownDim, 20}, {8, 3, 3, 3}});
    REQUIRE(s.ok());
    CHECK(s.value() == Shape{kUnknownDim, 8, kUnknownDim, 10});
  }
  SUBCASE("unknown channels are accepted") {
    auto s = infer(conv(3), {{1, kUnknownDim, 8, 8}, {8, 3, 3, 3}, {}});
    REQUIRE(s.ok());
    CHECK(s.value() == Shape{1, 8, 6, 6});
  }
  SUBCASE("dilation, asymmetric pads, grouped") {
    ConvParams p = conv(3, 2, 0, 3, 2);
    p.pad_left = 2;
    p.pad_bottom = 1;
    // H: (13 + 1 - 5) / 2 + 1 = 5, W: (13 + 2 - 5) / 2 + 1 = 6
    auto s = infer(p, {{1, 6, 13, 13}, {9, 2, 3, 3}});
    REQUIRE(s.ok());
    CHECK(s.value() == Shape{1, 9, 5, 6});
  }
  SUBCASE("bad channel count") {
    auto s = infer(conv(3), {{1, 4, 8, 8}, {8, 3, 3, 3}});
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().code() == StatusCode::kInvalidModel);
    CHECK(s.status().message().find("CONV") != std::string::npos);
    CHECK(s.status().message().find("channels") != std::string::npos);
  }
  SUBCASE("output channels not divisible by group") {
    auto s = infer(conv(3, 1, 0, 3), {{1, 6, 8, 8}, {7, 2, 3, 3}});
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().message().find("group") != std::string::npos);
  }
  SUBCASE("weights disagree with the kernel size") {
    auto s = infer(conv(3), {{1, 3, 8, 8}, {8, 3, 5, 5}});
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().message().find("kernel") != std::string::npos);
  }
  SUBCASE("bias of the wrong size") {
    auto s = infer(conv(3), {{1, 3, 8, 8}, {8, 3, 3, 3}, {7}});
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().message().find("bias") != std::string::npos);
  }
  SUBCASE("wrong ranks") {
    CHECK_FALSE(infer(conv(3), {{3, 8, 8}, {8, 3, 3, 3}}).ok());
    CHECK_FALSE(infer(conv(3), {{1, 3, 8, 8}, {8, 3, 3}}).ok());
    CHECK_FALSE(infer(conv(3), {{1, 3, 8, 8}}).ok());
  }
  SUBCASE("kernel larger than the padded input") {
    auto s = infer(conv(3), {{1, 3, 2, 2}, {8, 3, 3, 3}});
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().message().find("larger") != std::string::npos);
  }
}

// --- Options ---------------------------------------------------------------

TEST_CASE("conv: options round trip, factory validation and describe") {
  ConvParams p = conv(3, 2, 1, 16);
  p.activation = activation(schema::Activation::HARD_SWISH);
  CHECK(ConvOp(p).describe() == "3x3 s2 p1 g16 +HARD_SWISH");

  auto build = [](const ConvOp* op, flatbuffers::FlatBufferBuilder& fbb) {
    OptionsOffset options{schema::OpOptions::NONE, 0};
    if (op) options = op->write_options(fbb);
    fbb.Finish(schema::CreateOperator(fbb, OpType::CONV, 0, 0, 0, options.first, options.second));
    return flatbuffers::GetRoot<schema::Operator>(fbb.GetBufferPointer());
  };

  SUBCASE("round trip") {
    ConvParams q = conv(5, 1, 0, 1, 2);
    q.kernel_w = 3;
    q.stride_w = 3;
    q.pad_top = 1;
    q.pad_right = 4;
    q.activation = activation(schema::Activation::CLIP, -1.0f, 2.5f);
    ConvOp original(q);
    flatbuffers::FlatBufferBuilder fbb;
    auto made = ops::make_op(*build(&original, fbb));
    REQUIRE_MESSAGE(made.ok(), made.status().to_string());
    REQUIRE(made.value()->type() == OpType::CONV);
    const ConvParams& r = static_cast<const ConvOp&>(*made.value()).params();
    CHECK(r.group == q.group);
    CHECK(r.kernel_h == 5);
    CHECK(r.kernel_w == 3);
    CHECK(r.stride_h == 1);
    CHECK(r.stride_w == 3);
    CHECK(r.dilation_h == 2);
    CHECK(r.dilation_w == 2);
    CHECK(r.pad_top == 1);
    CHECK(r.pad_left == 0);
    CHECK(r.pad_bottom == 0);
    CHECK(r.pad_right == 4);
    CHECK(r.activation.kind == schema::Activation::CLIP);
    CHECK(r.activation.alpha == -1.0f);
    CHECK(r.activation.beta == 2.5f);
    CHECK(made.value()->describe() == "5x3 s1x3 p1,0,0,4 d2 +Clip(-1, 2.5)");
  }
  SUBCASE("missing options") {
    flatbuffers::FlatBufferBuilder fbb;
    auto made = ops::make_op(*build(nullptr, fbb));
    REQUIRE_FALSE(made.ok());
    CHECK(made.status().code() == StatusCode::kInvalidModel);
  }
  SUBCASE("invalid values") {
    for (int which = 0; which < 5; ++which) {
      ConvParams bad = conv(3);
      if (which == 0) bad.kernel_h = 0;
      if (which == 1) bad.stride_w = 0;
      if (which == 2) bad.group = 0;
      if (which == 3) bad.dilation_h = -1;
      if (which == 4) bad.pad_left = -1;
      ConvOp op(bad);
      flatbuffers::FlatBufferBuilder fbb;
      auto made = ops::make_op(*build(&op, fbb));
      CAPTURE(which);
      REQUIRE_FALSE(made.ok());
      CHECK(made.status().code() == StatusCode::kInvalidModel);
    }
  }
}

// --- Vulkan against the reference -----------------------------------------

TEST_CASE("conv: vulkan spatial 1") {
  check_vulkan(conv(1), {1, 3, 1, 1}, 5);
  // Only the centre tap of a padded 3x3 kernel lands on the input.
  check_vulkan(conv(3, 1, 1), {1, 5, 1, 1}, 6, true, 11);
  check_vulkan(conv(3, 2, 1), {1, 1, 1, 1}, 1, true, 21);
}

TEST_CASE("conv: vulkan spatial 13") {
  ConvParams p = conv(3, 1, 1);
  p.activation = activation(schema::Activation::RELU);
  check_vulkan(p, {1, 7, 13, 13}, 13);
  check_vulkan(conv(3, 1, 0), {2, 7, 13, 13}, 13, true, 5);  // batch 2
}

TEST_CASE("conv: vulkan spatial 127") {
  check_vulkan(conv(3, 1, 1), {1, 5, 127, 127}, 6);  // 6 = one full and one partial block of 4
  ConvParams stem = conv(3, 2, 1);
  stem.activation = activation(schema::Activation::HARD_SWISH);
  check_vulkan(stem, {1, 3, 127, 127}, 10, true, 7);
}

TEST_CASE("conv: vulkan 4099 outputs") {
  ConvParams p = conv(1);
  p.kernel_w = 3;  // 1x3 kernel over a 1x4101 row -> 1x1x1x4099
  check_vulkan(p, {1, 3, 1, 4101}, 1);
  // 4099 pixels x 5 channels through the four-channel path.
  check_vulkan(conv(1), {1, 3, 1, 4099}, 5, true, 3);
}

TEST_CASE("conv: vulkan depthwise") {
  ConvParams p = conv(3, 2, 1, 19);
  p.activation = activation(schema::Activation::RELU);
  check_vulkan(p, {1, 19, 13, 13}, 19);
  check_vulkan(conv(5, 1, 4, 3, 2), {1, 3, 127, 127}, 3, true, 9);  // dilated 5x5
  check_vulkan(conv(3, 1, 1, 8), {1, 8, 13, 13}, 16, true, 13);     // channel multiplier 2
  check_vulkan(conv(3, 1, 1, 8), {1, 8, 13, 13}, 32, true, 17);     // multiplier 4: wide path
}

TEST_CASE("conv: vulkan grouped") {
  check_vulkan(conv(3, 1, 1, 3), {1, 12, 13, 13}, 18);            // 4 in, 6 out per group
  check_vulkan(conv(3, 2, 1, 2), {1, 10, 13, 13}, 10, true, 4);   // 5 out per group
  check_vulkan(conv(1, 1, 0, 4), {1, 68, 13, 13}, 132, true, 8);  // 17 in, 33 out per group
}

TEST_CASE("conv: vulkan stride 2, dilation 2, asymmetric pads") {
  ConvParams p = conv(3, 2, 0, 1, 2);
  p.pad_left = 2;
  p.pad_bottom = 1;
  check_vulkan(p, {1, 6, 13, 13}, 9);
  ConvParams q = conv(3);
  q.kernel_w = 1;
  q.stride_w = 2;
  q.pad_top = 2;
  q.pad_right = 3;
  check_vulkan(q, {1, 5, 13, 127}, 7, true, 2);
  ConvParams r = conv(2, 2, 0);
  r.pad_bottom = r.pad_right = 1;  // even kernel, "same" padding on one side
  check_vulkan(r, {1, 4, 13, 13}, 4, true, 3);
}

TEST_CASE("conv: vulkan without bias") {
  check_vulkan(conv(3, 1, 1), {1, 7, 13, 13}, 9, false);
  check_vulkan(conv(3, 2, 1, 7), {1, 7, 13, 13}, 7, false, 2);
  check_vulkan(conv(3, 1, 1), {1, 7, 13, 13}, 9, false, 3, /*pass_absent_bias=*/false);
}

TEST_CASE("conv: vulkan fused activations") {
  const Activation kinds[] = {
      activation(schema::Activation::NONE),
      activation(schema::Activation::RELU),
      activation(schema::Activation::CLIP, -0.5f, 0.75f),
      activation(schema::Activation::SIGMOID),
      activation(schema::Activation::HARD_SIGMOID, 0.2f, 0.5f),
      activation(schema::Activation::HARD_SWISH),
  };
  uint32_t seed = 100;
  for (const Activation& a : kinds) {
    CAPTURE(a.to_string());
    ConvParams p = conv(3, 1, 1);
    p.activation = a;
    check_vulkan(p, {1, 5, 13, 13}, 7, true, seed++);  // four-channel path
    ConvParams dw = conv(3, 2, 1, 5);
    dw.activation = a;
    check_vulkan(dw, {1, 5, 13, 13}, 5, true, seed++);  // one-channel path
  }
}

TEST_CASE("conv: vulkan many channels") {
  check_vulkan(conv(1), {2, 67, 13, 13}, 70);                  // pointwise, K = 67
  check_vulkan(conv(3, 1, 1), {1, 130, 13, 13}, 67, true, 5);  // K = 1170
}

}  // namespace fennec
