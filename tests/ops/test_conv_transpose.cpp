// CONV_TRANSPOSE: the reference against hand-computed values (weight layout
// [C, O/group, kh, kw], output size, output padding), shape inference, the
// option round trip, and the Vulkan kernel against the reference on odd shapes.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/harness.h"
#include "ops/conv_transpose.h"

namespace fennec {
namespace {

using ops::Activation;
using ops::ConvTransposeOp;
using ops::ConvTransposeParams;
using ops::OptionsOffset;
using ops::OpType;

using testing::tensor;

ConvTransposeParams deconv(int kernel, int stride = 1, int pad = 0, int group = 1, int dilation = 1,
                           int output_pad = 0) {
  ConvTransposeParams p;
  p.kernel_h = p.kernel_w = kernel;
  p.stride_h = p.stride_w = stride;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = pad;
  p.group = group;
  p.dilation_h = p.dilation_w = dilation;
  p.output_pad_h = p.output_pad_w = output_pad;
  return p;
}

Activation activation(schema::Activation kind, float alpha = 0.0f, float beta = 0.0f) {
  Activation a;
  a.kind = kind;
  a.alpha = alpha;
  a.beta = beta;
  return a;
}

HostTensor reference_output(const ConvTransposeParams& p,
                            const std::vector<const HostTensor*>& in) {
  ConvTransposeOp op(p);
  auto out = ops::run_reference(op, in);
  REQUIRE_MESSAGE(out.ok(), out.status().to_string());
  return std::move(out.value()[0]);
}

std::vector<float> values(const HostTensor& t) {
  auto v = t.as<float>();
  return {v.begin(), v.end()};
}

Result<Shape> infer(const ConvTransposeParams& p, std::vector<Shape> inputs) {
  ConvTransposeOp op(p);
  std::vector<Shape> outputs;
  FENNEC_RETURN_IF_ERROR(op.infer_shapes(inputs, outputs));
  return outputs.at(0);
}

// Runs `p` on random X [x], W [C, out_channels/group, kh, kw] and B
// [out_channels] on Vulkan and on the reference and checks the fp32 bounds.
// The reference accumulates in double, so the difference is the kernel's own
// fp32 rounding. Each output sums at most K = C/group * ceil(kh/stride_h) *
// ceil(kw/stride_w) products; as for CONV, the max-abs bound is scaled by
// K/256 beyond K = 256 (rounding grows like sqrt(K) times an output magnitude
// that itself grows like sqrt(K)).
void check_vulkan(const ConvTransposeParams& p, const Shape& x_shape, int64_t out_channels,
                  bool bias = true, uint32_t seed = 1) {
  const Shape w_shape{x_shape[1], out_channels / p.group, p.kernel_h, p.kernel_w};
  const HostTensor x = testing::random_tensor(x_shape, seed);
  const HostTensor w = testing::random_tensor(w_shape, seed + 1);
  const HostTensor b = testing::random_tensor({out_channels}, seed + 2);
  const std::vector<const HostTensor*> inputs{&x, &w, bias ? &b : nullptr};

  ConvTransposeOp op(p);
  INFO("conv_transpose ", op.describe(), " x ", shape_to_string(x_shape), " o ", out_channels,
       bias ? " +bias" : " no bias");
  auto expected = ops::run_reference(op, inputs);
  REQUIRE_MESSAGE(expected.ok(), expected.status().to_string());
  auto actual =
      testing::run_on_vulkan(std::make_unique<ConvTransposeOp>(p), inputs, {false, true, bias});
  REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());

  const auto taps = [](int k, int s) { return static_cast<double>((k + s - 1) / s); };
  const double k = static_cast<double>(w_shape[0] / p.group) * taps(p.kernel_h, p.stride_h) *
                   taps(p.kernel_w, p.stride_w);
  const double max_abs_bound = testing::kFp32MaxAbs * std::max(1.0, k / 256.0);
  const testing::ErrorStats stats = testing::compare(expected.value()[0], actual.value()[0]);
  CHECK(stats.shape_match);
  CHECK_LE(stats.max_abs, max_abs_bound);
  CHECK_LE(stats.nmse, testing::kFp32Nmse);
}

}  // namespace

// --- The reference against values computed by hand -------------------------

TEST_CASE("conv_transpose: reference on a 2x2 input, by hand") {
  const HostTensor x = tensor({1, 1, 2, 2}, {1, 2, 3, 4});

  SUBCASE("stride 1, all-ones kernel: overlapping copies add up") {
    const HostTensor w = tensor({1, 1, 2, 2}, {1, 1, 1, 1});
    const HostTensor y = reference_output(deconv(2), {&x, &w});
    CHECK(y.shape == Shape{1, 1, 3, 3});
    CHECK(values(y) == std::vector<float>{1, 3, 2, 4, 10, 6, 3, 7, 4});
  }
  const HostTensor w = tensor({1, 1, 2, 2}, {1, 2, 3, 4});
  SUBCASE("stride 2: each input pixel stamps x * w into its own 2x2 block") {
    const HostTensor y = reference_output(deconv(2, 2), {&x, &w});
    CHECK(y.shape == Shape{1, 1, 4, 4});
    CHECK(values(y) == std::vector<float>{1, 2, 2, 4, 3, 4, 6, 8, 3, 6, 4, 8, 9, 12, 12, 16});
  }
  SUBCASE("stride 2, pad 1: pads crop the full output") {
    // Output 2*(2-1) + 2 - 2 = 2: the centre of the 4x4 above.
    const HostTensor y = reference_output(deconv(2, 2, 1), {&x, &w, nullptr});
    CHECK(y.shape == Shape{1, 1, 2, 2});
    CHECK(values(y) == std::vector<float>{4, 6, 6, 4});
  }
  SUBCASE("stride 2, output_pad 1: an extra row and column that only get the bias") {
    const HostTensor b = tensor({1}, {0.5f});
    const HostTensor y = reference_output(deconv(2, 2, 0, 1, 1, 1), {&x, &w, &b});
    CHECK(y.shape == Shape{1, 1, 5, 5});
    const std::vector<float> v = values(y);
    CHECK(v[0] == 1.5f);
    CHECK(v[3] == 4.5f);
    CHECK(v[3 * 5 + 3] == 16.5f);
    for (int i = 0; i < 5; ++i) {
      CHECK(v[4 * 5 + i] == 0.5f);
      CHECK(v[i * 5 + 4] == 0.5f);
    }
  }
  SUBCASE("asymmetric pads (top 1, left 0, bottom 0, right 2)") {
    ConvTransposeParams p = deconv(2, 2);
    p.pad_top = 1;
    p.pad_right = 2;
    // Rows 1..3 and columns 0..1 of the 4x4 stride-2 output.
    const HostTensor y = reference_output(p, {&x, &w});
    CHECK(y.shape == Shape{1, 1, 3, 2});
    CHECK(values(y) == std::vector<float>{3, 4, 3, 6, 9, 12});
  }
}

TEST_CASE("conv_transpose: reference layout, groups, dilation and activation, by hand") {
  SUBCASE("weights are [C, O, kh, kw]") {
    // w[c][o]: c0 = (1, 2), c1 = (3, 4); x = (1, 2)
    // y0 = x0*w[0][0] + x1*w[1][0] = 1 + 6 = 7, y1 = x0*w[0][1] + x1*w[1][1] = 2 + 8 = 10
    const HostTensor x = tensor({1, 2, 1, 1}, {1, 2});
    const HostTensor w = tensor({2, 2, 1, 1}, {1, 2, 3, 4});
    CHECK(values(reference_output(deconv(1), {&x, &w})) == std::vector<float>{7, 10});
  }
  SUBCASE("group 2") {
    const HostTensor x = tensor({1, 2, 1, 1}, {1, 2});
    const HostTensor w = tensor({2, 1, 1, 1}, {3, -5});
    const HostTensor b = tensor({2}, {1, 1});
    ConvTransposeParams p = deconv(1, 1, 0, 2);
    CHECK(values(reference_output(p, {&x, &w, &b})) == std::vector<float>{4, -9});
    p.activation = activation(schema::Activation::RELU);
    CHECK(values(reference_output(p, {&x, &w, &b})) == std::vector<float>{4, 0});
  }
  SUBCASE("dilation 2 spreads the taps") {
    const HostTensor x = tensor({1, 1, 1, 1}, {2});
    const HostTensor w = tensor({1, 1, 2, 2}, {1, 2, 3, 4});
    const HostTensor y = reference_output(deconv(2, 1, 0, 1, 2), {&x, &w});
    CHECK(y.shape == Shape{1, 1, 3, 3});
    CHECK(values(y) == std::vector<float>{2, 0, 4, 0, 0, 0, 6, 0, 8});
  }
}

// --- Shape inference -------------------------------------------------------

TEST_CASE("conv_transpose: shape inference") {
  SUBCASE("static: 2*(13-1) + 1 + 3 - 2 = 26") {
    auto s = infer(deconv(3, 2, 1, 1, 1, 1), {{1, 7, 13, 13}, {7, 5, 3, 3}, {5}});
    REQUIRE(s.ok());
    CHECK(s.value() == Shape{1, 5, 26, 26});
  }
  SUBCASE("grouped: output channels are W[1] * group") {
    auto s = infer(deconv(4, 2, 1, 4), {{2, 8, 5, 6}, {8, 3, 4, 4}});
    REQUIRE(s.ok());
    CHECK(s.value() == Shape{2, 12, 10, 12});
  }
  SUBCASE("unknown dims propagate") {
    auto s = infer(deconv(2, 2), {{kUnknownDim, 4, kUnknownDim, 7}, {4, 3, 2, 2}});
    REQUIRE(s.ok());
    CHECK(s.value() == Shape{kUnknownDim, 3, kUnknownDim, 14});
    auto t = infer(deconv(2, 2), {{1, 4, 3, 3}, {4, kUnknownDim, 2, 2}});
    REQUIRE(t.ok());
    CHECK(t.value() == Shape{1, kUnknownDim, 6, 6});
  }
  SUBCASE("dilation and asymmetric pads per axis") {
    ConvTransposeParams p = deconv(3, 2, 0, 1, 2);
    p.pad_top = 1;
    p.pad_right = 2;
    p.output_pad_h = 1;
    // H: 2*12 + 1 + 5 - 1 = 29, W: 2*12 + 5 - 2 = 27
    auto s = infer(p, {{1, 5, 13, 13}, {5, 7, 3, 3}});
    REQUIRE(s.ok());
    CHECK(s.value() == Shape{1, 7, 29, 27});
  }
  SUBCASE("bad channel count") {
    auto s = infer(deconv(3), {{1, 4, 8, 8}, {3, 8, 3, 3}});
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().code() == StatusCode::kInvalidModel);
    CHECK(s.status().message().find("CONV_TRANSPOSE") != std::string::npos);
    CHECK(s.status().message().find("channels") != std::string::npos);
  }
  SUBCASE("input channels not divisible by group") {
    auto s = infer(deconv(3, 1, 0, 2), {{1, 3, 8, 8}, {3, 2, 3, 3}});
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().message().find("group") != std::string::npos);
  }
  SUBCASE("bias of the wrong size, wrong kernel, wrong ranks") {
    CHECK_FALSE(infer(deconv(3), {{1, 3, 8, 8}, {3, 4, 3, 3}, {3}}).ok());
    CHECK_FALSE(infer(deconv(3), {{1, 3, 8, 8}, {3, 4, 2, 2}}).ok());
    CHECK_FALSE(infer(deconv(3), {{3, 8, 8}, {3, 4, 3, 3}}).ok());
    CHECK_FALSE(infer(deconv(3), {{1, 3, 8, 8}}).ok());
  }
  SUBCASE("pads that leave no output") {
    auto s = infer(deconv(1, 1, 1), {{1, 3, 1, 1}, {3, 4, 1, 1}});
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().message().find("pads") != std::string::npos);
  }
}

// --- Options ---------------------------------------------------------------

TEST_CASE("conv_transpose: options round trip, factory validation and describe") {
  ConvTransposeParams p = deconv(3, 2, 1, 16, 1, 1);
  p.activation = activation(schema::Activation::SIGMOID);
  CHECK(ConvTransposeOp(p).describe() == "3x3 s2 p1 op1 g16 +SIGMOID");

  auto build = [](const ConvTransposeOp* op, flatbuffers::FlatBufferBuilder& fbb) {
    OptionsOffset options{schema::OpOptions::NONE, 0};
    if (op) options = op->write_options(fbb);
    fbb.Finish(schema::CreateOperator(fbb, OpType::CONV_TRANSPOSE, 0, 0, 0, options.first,
                                      options.second));
    return flatbuffers::GetRoot<schema::Operator>(fbb.GetBufferPointer());
  };

  SUBCASE("round trip") {
    ConvTransposeParams q = deconv(4, 2, 1, 3, 2, 1);
    q.kernel_w = 2;
    q.stride_w = 3;
    q.pad_bottom = 0;
    q.output_pad_w = 2;
    q.activation = activation(schema::Activation::HARD_SIGMOID, 0.25f, 0.5f);
    ConvTransposeOp original(q);
    flatbuffers::FlatBufferBuilder fbb;
    auto made = ops::make_op(*build(&original, fbb));
    REQUIRE_MESSAGE(made.ok(), made.status().to_string());
    REQUIRE(made.value()->type() == OpType::CONV_TRANSPOSE);
    const ConvTransposeParams& r = static_cast<const ConvTransposeOp&>(*made.value()).params();
    CHECK(r.group == 3);
    CHECK(r.kernel_h == 4);
    CHECK(r.kernel_w == 2);
    CHECK(r.stride_h == 2);
    CHECK(r.stride_w == 3);
    CHECK(r.dilation_h == 2);
    CHECK(r.dilation_w == 2);
    CHECK(r.pad_top == 1);
    CHECK(r.pad_left == 1);
    CHECK(r.pad_bottom == 0);
    CHECK(r.pad_right == 1);
    CHECK(r.output_pad_h == 1);
    CHECK(r.output_pad_w == 2);
    CHECK(r.activation.kind == schema::Activation::HARD_SIGMOID);
    CHECK(r.activation.alpha == 0.25f);
    CHECK(r.activation.beta == 0.5f);
    CHECK(made.value()->describe() == "4x2 s2x3 p1,1,0,1 op1x2 d2 g3 +HardSigmoid(0.25, 0.5)");
  }
  SUBCASE("missing options") {
    flatbuffers::FlatBufferBuilder fbb;
    auto made = ops::make_op(*build(nullptr, fbb));
    REQUIRE_FALSE(made.ok());
    CHECK(made.status().code() == StatusCode::kInvalidModel);
  }
  SUBCASE("invalid values") {
    for (int which = 0; which < 5; ++which) {
      ConvTransposeParams bad = deconv(3);
      if (which == 0) bad.kernel_w = 0;
      if (which == 1) bad.stride_h = 0;
      if (which == 2) bad.group = -2;
      if (which == 3) bad.dilation_w = 0;
      if (which == 4) bad.output_pad_h = -1;
      ConvTransposeOp op(bad);
      flatbuffers::FlatBufferBuilder fbb;
      auto made = ops::make_op(*build(&op, fbb));
      CAPTURE(which);
      REQUIRE_FALSE(made.ok());
      CHECK(made.status().code() == StatusCode::kInvalidModel);
    }
  }
}

// --- Vulkan against the reference -----------------------------------------

TEST_CASE("conv_transpose: vulkan spatial 1") {
  check_vulkan(deconv(3), {1, 3, 1, 1}, 5);
  check_vulkan(deconv(1), {1, 5, 1, 1}, 3, true, 7);
}

TEST_CASE("conv_transpose: vulkan spatial 13") {
  check_vulkan(deconv(3, 2, 1, 1, 1, 1), {1, 7, 13, 13}, 5);   // 26x26 upsampling
  check_vulkan(deconv(3, 1, 1), {2, 6, 13, 13}, 11, true, 3);  // stride 1, batch 2
}

TEST_CASE("conv_transpose: vulkan spatial 127") {
  check_vulkan(deconv(4, 2, 1), {1, 4, 127, 127}, 2);  // 254x254
  check_vulkan(deconv(2, 2), {1, 3, 127, 127}, 3, true, 5);
}

TEST_CASE("conv_transpose: vulkan 4099 outputs") {
  ConvTransposeParams p = deconv(1);
  p.kernel_w = 3;  // 1x4097 -> 1x4099
  check_vulkan(p, {1, 3, 1, 4097}, 1);
}

TEST_CASE("conv_transpose: vulkan depthwise and grouped") {
  ConvTransposeParams dw = deconv(4, 2, 1, 9);
  dw.activation = activation(schema::Activation::RELU);
  check_vulkan(dw, {1, 9, 13, 13}, 9);
  check_vulkan(deconv(3, 2, 1, 2, 1, 1), {1, 8, 13, 13}, 6, true, 4);  // 4 in, 3 out per group
  check_vulkan(deconv(2, 2, 0, 5), {1, 10, 13, 13}, 15, true, 6);      // channel multiplier 3
}

TEST_CASE("conv_transpose: vulkan stride, dilation 2, asymmetric pads") {
  ConvTransposeParams p = deconv(3, 2, 0, 1, 2);
  p.pad_top = 0;
  p.pad_left = 1;
  p.pad_bottom = 2;
  p.pad_right = 0;
  p.output_pad_h = 1;
  check_vulkan(p, {1, 5, 13, 13}, 7);
  // Stride larger than the kernel leaves gaps that only get the bias.
  check_vulkan(deconv(2, 3), {1, 4, 13, 13}, 3, true, 2);
  ConvTransposeParams q = deconv(3);
  q.kernel_w = 5;
  q.stride_h = 1;
  q.stride_w = 2;
  q.dilation_h = 2;
  q.pad_right = 3;
  check_vulkan(q, {1, 3, 13, 127}, 4, true, 3);
}

TEST_CASE("conv_transpose: vulkan without bias") {
  check_vulkan(deconv(3, 2, 1, 1, 1, 1), {1, 7, 13, 13}, 5, false);
  check_vulkan(deconv(4, 2, 1, 6), {1, 6, 13, 13}, 6, false, 2);
}

TEST_CASE("conv_transpose: vulkan fused activations") {
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
    ConvTransposeParams p = deconv(3, 2, 1, 1, 1, 1);
    p.activation = a;
    check_vulkan(p, {1, 5, 13, 13}, 7, true, seed++);
  }
}

TEST_CASE("conv_transpose: vulkan many channels") {
  check_vulkan(deconv(2, 2), {1, 67, 13, 13}, 70);               // K = 67 per output
  check_vulkan(deconv(3, 1, 1), {1, 130, 13, 13}, 65, true, 5);  // K = 1170
}

}  // namespace fennec
