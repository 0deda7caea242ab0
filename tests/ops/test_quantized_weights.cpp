// Quantized-weight kernels (CONV and MATMUL in every weight format, and the
// w8a8 kernels that also quantize their input) against the reference CPU
// kernels run on the decoded weights (and, for w8a8, on the input each value
// replaced by its int8 code times the scale): the reference decoders compute
// exactly what the shaders compute before the sums, so the two differ only
// by rounding in the sums and the house fp32 bounds apply. Shapes are odd
// (not multiples of workgroups, groups or blocks) so that ragged groups,
// padding and partial channel blocks are all exercised.
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "common/harness.h"
#include "ops/conv.h"
#include "ops/conv_transpose.h"
#include "ops/matmul.h"

namespace fennec {
namespace {

using quant::WeightFormat;
using quant::WeightQuant;

// The activation scale of the w8a8 case: inputs are uniform in [-1, 1), so
// 1/100 clips the largest ones (|x| > 1.27) never and rounds the rest.
constexpr float kActivationScale = 1.0f / 100.0f;

std::vector<WeightQuant> all_formats() {
  return {
      {WeightFormat::kFloat16, 0, false},      {WeightFormat::kInt8, 0, false},
      {WeightFormat::kInt8, 0, false, kActivationScale},  // w8a8
      {WeightFormat::kInt4, 32, false},        {WeightFormat::kInt4Asymmetric, 32, false},
      {WeightFormat::kInt4, 64, false},        {WeightFormat::kInt4, 128, false},
      {WeightFormat::kInt4Asymmetric, 6, false},  // a group that is not a multiple of 8
      {WeightFormat::kMxFp8, 0, false},
      {WeightFormat::kInt8Grouped, 32, false}, {WeightFormat::kInt8Grouped, 5, false},
  };
}

// What a w8a8 kernel sees of x: each value through its int8 code.
HostTensor activations_as_seen(const HostTensor& x, const WeightQuant& format) {
  if (!format.int8_activations()) return x;
  HostTensor out = x;
  for (float& v : out.as<float>())
    v = static_cast<float>(quant::quantize_activation(v, format.activation_scale)) * format.activation_scale;
  return out;
}

void check_stats(const HostTensor& expected, const HostTensor& actual, double k) {
  const testing::ErrorStats stats = testing::compare(expected, actual);
  INFO("max_abs ", stats.max_abs, " nmse ", stats.nmse);
  CHECK(stats.shape_match);
  CHECK_LE(stats.max_abs, testing::kFp32MaxAbs * std::max(1.0, k / 256.0));
  CHECK_LE(stats.nmse, testing::kFp32Nmse);
}

// MATMUL with a constant B stored as `format` (rows = N: transposed unless
// the op transposes B itself).
// Returns the Vulkan output; `integer_dot_product` false runs the w8a8
// kernels' plain path.
HostTensor check_matmul(WeightQuant format, const Shape& a_shape, const Shape& b_shape, bool transpose_b = false,
                        bool bias = false, uint32_t seed = 1, bool integer_dot_product = true) {
  ops::MatMulParams p;
  p.transpose_b = transpose_b;
  format.transposed = !transpose_b;
  const int64_t n = transpose_b ? b_shape[0] : b_shape[1];
  const int64_t k = transpose_b ? b_shape[1] : b_shape[0];
  const HostTensor a = testing::random_tensor(a_shape, seed);
  const HostTensor b = testing::random_tensor(b_shape, seed + 1);
  const HostTensor c = testing::random_tensor({n}, seed + 2);
  const HostTensor b_decoded = testing::dequantized(b, format);
  const HostTensor a_seen = activations_as_seen(a, format);
  std::vector<const HostTensor*> inputs{&a, &b}, reference_inputs{&a_seen, &b_decoded};
  if (bias) inputs.push_back(&c), reference_inputs.push_back(&c);
  INFO("MATMUL ", format.to_string(), " ", shape_to_string(a_shape), " @ ", shape_to_string(b_shape),
       transpose_b ? " transB" : "", bias ? " +bias" : "");
  auto expected = ops::run_reference(ops::MatMulOp(p), reference_inputs);
  REQUIRE_MESSAGE(expected.ok(), expected.status().to_string());
  auto actual = testing::run_on_vulkan(std::make_unique<ops::MatMulOp>(p), inputs, {false, true, true},
                                       {{}, format}, integer_dot_product);
  REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());
  check_stats(expected.value()[0], actual.value()[0], static_cast<double>(k));
  return actual.value()[0];
}

// `Op` (ConvOp or ConvTransposeOp with `Params`) with a square window, a
// constant weight of `w_shape` stored as `format` and a bias, against the
// reference on the decoded weight and, for w8a8, on the input as its codes
// see it; `sum_length` products make each output.
template <typename Op, typename Params>
void check_window_op(const char* label, const WeightQuant& format, const Shape& x_shape, const Shape& w_shape,
                     int64_t out_channels, int kernel, int group, int stride, int pad, uint32_t seed,
                     double sum_length) {
  Params p;
  p.kernel_h = p.kernel_w = kernel;
  p.stride_h = p.stride_w = stride;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = pad;
  p.group = group;
  p.dilation_h = p.dilation_w = 1;
  const HostTensor x = testing::random_tensor(x_shape, seed);
  const HostTensor w = testing::random_tensor(w_shape, seed + 1);
  const HostTensor b = testing::random_tensor({out_channels}, seed + 2);
  const HostTensor w_decoded = testing::dequantized(w, format);
  const HostTensor x_seen = activations_as_seen(x, format);
  INFO(label, " ", format.to_string(), " x ", shape_to_string(x_shape), " w ", shape_to_string(w_shape), " group ",
       group, " stride ", stride);
  const std::vector<const HostTensor*> reference_inputs{&x_seen, &w_decoded, &b};
  auto expected = ops::run_reference(Op(p), reference_inputs);
  REQUIRE_MESSAGE(expected.ok(), expected.status().to_string());
  auto actual = testing::run_on_vulkan(std::make_unique<Op>(p), {&x, &w, &b}, {false, true, true}, {{}, format});
  REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());
  check_stats(expected.value()[0], actual.value()[0], sum_length);
}

void check_conv(const WeightQuant& format, const Shape& x_shape, int64_t out_channels, int kernel, int group,
                int stride = 1, int pad = 1, uint32_t seed = 1) {
  const Shape w_shape{out_channels, x_shape[1] / group, kernel, kernel};
  check_window_op<ops::ConvOp, ops::ConvParams>("CONV", format, x_shape, w_shape, out_channels, kernel, group, stride,
                                                pad, seed, static_cast<double>(w_shape[1] * kernel * kernel));
}

// CONV_TRANSPOSE: the weight is [C, O/group, k, k] (rows = input channels).
void check_conv_transpose(const WeightQuant& format, const Shape& x_shape, int64_t out_channels, int kernel,
                          int group, int stride, int pad, uint32_t seed = 1) {
  const Shape w_shape{x_shape[1], out_channels / group, kernel, kernel};
  check_window_op<ops::ConvTransposeOp, ops::ConvTransposeParams>(
      "CONV_TRANSPOSE", format, x_shape, w_shape, out_channels, kernel, group, stride, pad, seed,
      static_cast<double>(x_shape[1] * kernel * kernel));
}

}  // namespace

TEST_CASE("quantized weights: the decoded weights differ from the originals") {
  // Guards the oracle: if encoding were lossless the tests below would not
  // show that the kernels decode the quantized bytes rather than fp32 ones.
  const HostTensor w = testing::random_tensor({13, 127}, 5);
  for (const WeightQuant& format : all_formats()) {
    const testing::ErrorStats stats = testing::compare(w, testing::dequantized(w, format));
    INFO(format.to_string());
    CHECK(stats.max_abs > 0.0);
    CHECK(stats.nmse < 0.02);
  }
}

TEST_CASE("quantized weights: int8 activation codes, by hand") {
  CHECK(quant::quantize_activation(0.0f, 0.5f) == 0);
  CHECK(quant::quantize_activation(0.25f, 0.5f) == 1);    // 0.5: ties away from zero
  CHECK(quant::quantize_activation(-0.25f, 0.5f) == -1);
  CHECK(quant::quantize_activation(0.2f, 0.5f) == 0);     // 0.4
  CHECK(quant::quantize_activation(63.3f, 0.5f) == 127);  // 126.6
  CHECK(quant::quantize_activation(64.0f, 0.5f) == 127);  // 128 clamps
  CHECK(quant::quantize_activation(-1e9f, 0.5f) == -127);
  const HostTensor x = testing::random_tensor({4099}, 3);
  const testing::ErrorStats stats = testing::compare(x, activations_as_seen(x, all_formats()[2]));
  CHECK(stats.max_abs > 0.0);
  CHECK(stats.max_abs <= 0.5 * kActivationScale * 1.0001);
}

TEST_CASE("quantized weights: MATMUL matrix-vector kernel, every format") {
  for (const WeightQuant& format : all_formats()) {
    check_matmul(format, {1, 4099}, {4099, 127});
    check_matmul(format, {1, 13}, {13, 40}, false, true);
    check_matmul(format, {2, 2, 67}, {67, 9}, false, true);  // four rows from two batches
    check_matmul(format, {3, 37}, {29, 37}, true);           // B already [N, K]
    check_matmul(format, {1}, {1, 1});
    // K a multiple of 32: the 32-value block path, one and four rows.
    check_matmul(format, {1, 4096}, {4096, 67});
    check_matmul(format, {4, 96}, {11, 96}, true);
    // Ten rows: on CPU devices, the lane kernels' row per invocation.
    check_matmul(format, {2, 5, 64}, {64, 19});
  }
}

TEST_CASE("quantized weights: MATMUL tiled kernel, every format") {
  for (const WeightQuant& format : all_formats()) {
    check_matmul(format, {13, 127}, {127, 13});
    check_matmul(format, {2, 5, 33}, {33, 17}, false, true);  // batched A, shared B
    check_matmul(format, {45, 37}, {29, 37}, true, true);
  }
}

TEST_CASE("quantized weights: w8a8 MATMUL with packed integer dot products and without") {
  // Both paths sum the same int8 products exactly in int32 and scale them
  // the same way, so their outputs are identical, not just close.
  INFO("VK_KHR_shader_integer_dot_product on the test device: ", testing::device_has_integer_dot_product());
  const WeightQuant w8a8{WeightFormat::kInt8, 0, false, kActivationScale};
  const struct {
    Shape a, b;
    bool transpose_b;
  } cases[] = {
      {{1, 4099}, {4099, 127}, false},  // matrix-vector, K not a multiple of 4
      {{3, 4096}, {4096, 33}, false},   // matrix-vector, K a multiple of 4 (whole words)
      {{1, 3}, {3, 5}, false},          // K below one word
      {{13, 127}, {127, 13}, false},    // tiled
      {{45, 36}, {29, 36}, true},       // tiled, B [N, K]
      {{2, 5, 33}, {33, 17}, false},    // tiled, batched A
  };
  for (const auto& c : cases) {
    const HostTensor dot = check_matmul(w8a8, c.a, c.b, c.transpose_b, true, 3, true);
    const HostTensor plain = check_matmul(w8a8, c.a, c.b, c.transpose_b, true, 3, false);
    CHECK(dot.as<float>().size() == plain.as<float>().size());
    CHECK(std::equal(dot.as<float>().begin(), dot.as<float>().end(), plain.as<float>().begin()));
  }
}

TEST_CASE("quantized weights: CONV direct and tiled kernels, every format") {
  for (const WeightQuant& format : all_formats()) {
    check_conv(format, {1, 13, 9, 11}, 8, 3, 1);        // tiled: 4-channel blocks
    check_conv(format, {1, 13, 9, 11}, 6, 3, 1, 2);     // tiled, one partial block, stride 2
    check_conv(format, {1, 13, 13, 7}, 13, 3, 13);      // depthwise: direct
    check_conv(format, {2, 10, 7, 9}, 6, 1, 2, 1, 0);   // 3 out per group: direct, 1x1
    check_conv(format, {1, 3, 17, 17}, 5, 7, 1, 2, 3);  // stem-like 7x7, K = 147
  }
}

TEST_CASE("quantized weights: CONV_TRANSPOSE, every weight-only format") {
  for (const WeightQuant& format : all_formats()) {
    if (format.int8_activations()) continue;                // w8a8 stores these weights as plain int8
    check_conv_transpose(format, {1, 13, 5, 7}, 8, 2, 1, 2, 0);   // 2x2 s2 upsampling, 4-channel blocks
    check_conv_transpose(format, {1, 9, 6, 5}, 6, 3, 3, 2, 1);    // grouped, 2 out per group
    check_conv_transpose(format, {2, 40, 4, 4}, 5, 4, 1, 2, 1);   // rows of 40, a partial block
  }
}

}  // namespace fennec
