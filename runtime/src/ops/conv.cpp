#include "ops/conv.h"

#include <fmt/format.h>

namespace fennec::ops {
namespace {

bool known(int64_t d) { return d >= 0; }

// The output extent of one spatial axis, or kUnknownDim when the input extent
// is unknown. Fails when the dilated kernel does not fit the padded input.
Result<int64_t> conv_output_extent(const char* axis, int64_t in, int kernel, int stride,
                                   int dilation, int pad_begin, int pad_end) {
  if (!known(in)) return kUnknownDim;
  const int64_t span = static_cast<int64_t>(kernel - 1) * dilation + 1;
  const int64_t padded = in + pad_begin + pad_end;
  if (padded < span)
    return make_error(StatusCode::kInvalidModel,
                      "CONV: dilated kernel {} along {} is larger than the padded input {} "
                      "({} + pads {}+{}); check kernel, dilation and pads",
                      span, axis, padded, in, pad_begin, pad_end);
  return (padded - span) / stride + 1;
}

}  // namespace

Status ConvOp::infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const {
  const ConvParams& p = params_;
  if (inputs.size() < 2 || inputs.size() > 3)
    return make_error(StatusCode::kInvalidModel,
                      "CONV takes 2 or 3 inputs (X, W, optional B), got {}", inputs.size());
  const Shape& x = inputs[0];
  const Shape& w = inputs[1];
  if (x.size() != 4)
    return make_error(StatusCode::kInvalidModel, "CONV: input X must be rank 4 (NCHW), got {}",
                      shape_to_string(x));
  if (w.size() != 4)
    return make_error(StatusCode::kInvalidModel,
                      "CONV: weights W must be rank 4 (O, C/group, kh, kw), got {}",
                      shape_to_string(w));
  if ((known(w[2]) && w[2] != p.kernel_h) || (known(w[3]) && w[3] != p.kernel_w))
    return make_error(StatusCode::kInvalidModel,
                      "CONV: weights W {} do not match the kernel size {}x{} in the options",
                      shape_to_string(w), p.kernel_h, p.kernel_w);
  if (known(x[1]) && known(w[1]) && x[1] != w[1] * p.group)
    return make_error(StatusCode::kInvalidModel,
                      "CONV: input has {} channels but weights {} with group {} expect {}", x[1],
                      shape_to_string(w), p.group, w[1] * p.group);
  if (known(x[1]) && x[1] % p.group != 0)
    return make_error(StatusCode::kInvalidModel,
                      "CONV: input channels {} are not divisible by group {}", x[1], p.group);
  if (known(w[0]) && w[0] % p.group != 0)
    return make_error(StatusCode::kInvalidModel,
                      "CONV: output channels {} are not divisible by group {}", w[0], p.group);
  if (inputs.size() == 3 && !inputs[2].empty()) {
    const Shape& b = inputs[2];
    if (b.size() != 1 || (known(b[0]) && known(w[0]) && b[0] != w[0]))
      return make_error(
          StatusCode::kInvalidModel,
          "CONV: bias B must be rank 1 with {} values (one per output channel), got {}", w[0],
          shape_to_string(b));
  }
  FENNEC_ASSIGN_OR_RETURN(int64_t oh, conv_output_extent("height", x[2], p.kernel_h, p.stride_h,
                                                         p.dilation_h, p.pad_top, p.pad_bottom));
  FENNEC_ASSIGN_OR_RETURN(int64_t ow, conv_output_extent("width", x[3], p.kernel_w, p.stride_w,
                                                         p.dilation_w, p.pad_left, p.pad_right));
  outputs = {Shape{x[0], w[0], oh, ow}};
  return ok_status();
}

Status ConvOp::reference(std::span<const HostTensor* const> inputs,
                         std::span<HostTensor> outputs) const {
  const ConvParams& p = params_;
  if (inputs.size() < 2 || !inputs[0] || !inputs[1])
    return make_error(StatusCode::kInvalidArgument, "CONV reference: X and W are required");
  FENNEC_RETURN_IF_ERROR(require_float32(*this, inputs));
  const HostTensor& xt = *inputs[0];
  const HostTensor& wt = *inputs[1];
  const HostTensor* bt = inputs.size() > 2 ? inputs[2] : nullptr;
  HostTensor& yt = outputs[0];
  auto x = xt.as<float>();
  auto w = wt.as<float>();
  auto y = yt.as<float>();

  const int64_t n_batch = xt.shape[0], c_in = xt.shape[1], h = xt.shape[2], wd = xt.shape[3];
  const int64_t c_out = yt.shape[1], oh = yt.shape[2], ow = yt.shape[3];
  const int64_t cg = c_in / p.group, og = c_out / p.group;
  const int64_t kh = p.kernel_h, kw = p.kernel_w;

  for (int64_t n = 0; n < n_batch; ++n)
    for (int64_t o = 0; o < c_out; ++o) {
      const int64_t g = o / og;
      const float bias = bt ? bt->as<float>()[o] : 0.0f;
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          // Double accumulation keeps the oracle's own rounding well below the
          // fp32 bounds that the Vulkan kernel is held to.
          double acc = 0.0;
          for (int64_t ic = 0; ic < cg; ++ic) {
            const int64_t c = g * cg + ic;
            for (int64_t ky = 0; ky < kh; ++ky) {
              const int64_t iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
              if (iy < 0 || iy >= h) continue;
              for (int64_t kx = 0; kx < kw; ++kx) {
                const int64_t ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
                if (ix < 0 || ix >= wd) continue;
                acc += static_cast<double>(x[((n * c_in + c) * h + iy) * wd + ix]) *
                       w[((o * cg + ic) * kh + ky) * kw + kx];
              }
            }
          }
          const float v = static_cast<float>(acc) + bias;
          y[((n * c_out + o) * oh + oy) * ow + ox] = p.activation.apply(v);
        }
    }
  return ok_status();
}

OptionsOffset ConvOp::write_options(flatbuffers::FlatBufferBuilder& fbb) const {
  const ConvParams& p = params_;
  auto activation = p.activation.write(fbb);
  auto options = schema::CreateConv2DOptions(fbb, p.group, p.kernel_h, p.kernel_w, p.stride_h,
                                             p.stride_w, p.dilation_h, p.dilation_w, p.pad_top,
                                             p.pad_left, p.pad_bottom, p.pad_right, activation);
  return {schema::OpOptions::Conv2DOptions, options.Union()};
}

std::string ConvOp::describe() const { return describe_window(params_); }

Result<std::unique_ptr<Op>> make_conv(const schema::Operator& op) {
  const auto* o = op.options_as_Conv2DOptions();
  if (!o)
    return make_error(StatusCode::kInvalidModel,
                      "CONV operator without Conv2DOptions; re-convert the model");
  ConvParams p;
  read_window(*o, p);
  FENNEC_RETURN_IF_ERROR(validate_window(p, "CONV"));
  return std::unique_ptr<Op>(std::make_unique<ConvOp>(p));
}

}  // namespace fennec::ops
