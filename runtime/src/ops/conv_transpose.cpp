#include "ops/conv_transpose.h"

#include <fmt/format.h>

#include <algorithm>

namespace fennec::ops {
namespace {

bool known(int64_t d) { return d >= 0; }

// The output extent of one spatial axis (ONNX ConvTranspose with explicit
// pads), or kUnknownDim when the input extent is unknown.
Result<int64_t> conv_transpose_output_extent(const char* axis, int64_t in, int kernel, int stride,
                                             int dilation, int pad_begin, int pad_end,
                                             int output_pad) {
  if (!known(in)) return kUnknownDim;
  const int64_t span = static_cast<int64_t>(kernel - 1) * dilation + 1;
  const int64_t out =
      static_cast<int64_t>(stride) * (in - 1) + output_pad + span - pad_begin - pad_end;
  if (in < 1 || out < 1)
    return make_error(StatusCode::kInvalidModel,
                      "CONV_TRANSPOSE: output {} would be {} (input {}, stride {}, kernel {}, "
                      "dilation {}, pads {}+{}, output_pad {}); the pads are too large",
                      axis, out, in, stride, kernel, dilation, pad_begin, pad_end, output_pad);
  return out;
}

}  // namespace

Status ConvTransposeOp::infer_shapes(std::span<const Shape> inputs,
                                     std::vector<Shape>& outputs) const {
  const ConvTransposeParams& p = params_;
  if (inputs.size() < 2 || inputs.size() > 3)
    return make_error(StatusCode::kInvalidModel,
                      "CONV_TRANSPOSE takes 2 or 3 inputs (X, W, optional B), got {}",
                      inputs.size());
  const Shape& x = inputs[0];
  const Shape& w = inputs[1];
  if (x.size() != 4)
    return make_error(StatusCode::kInvalidModel,
                      "CONV_TRANSPOSE: input X must be rank 4 (NCHW), got {}", shape_to_string(x));
  if (w.size() != 4)
    return make_error(StatusCode::kInvalidModel,
                      "CONV_TRANSPOSE: weights W must be rank 4 (C, O/group, kh, kw), got {}",
                      shape_to_string(w));
  if ((known(w[2]) && w[2] != p.kernel_h) || (known(w[3]) && w[3] != p.kernel_w))
    return make_error(StatusCode::kInvalidModel,
                      "CONV_TRANSPOSE: weights W {} do not match the kernel size {}x{} in the "
                      "options",
                      shape_to_string(w), p.kernel_h, p.kernel_w);
  if (known(x[1]) && known(w[0]) && x[1] != w[0])
    return make_error(StatusCode::kInvalidModel,
                      "CONV_TRANSPOSE: input has {} channels but weights {} expect {} "
                      "(weights are [C, O/group, kh, kw])",
                      x[1], shape_to_string(w), w[0]);
  const int64_t c_in = known(x[1]) ? x[1] : w[0];
  if (known(c_in) && c_in % p.group != 0)
    return make_error(StatusCode::kInvalidModel,
                      "CONV_TRANSPOSE: input channels {} are not divisible by group {}", c_in,
                      p.group);
  const int64_t c_out = known(w[1]) ? w[1] * p.group : kUnknownDim;
  if (inputs.size() == 3 && !inputs[2].empty()) {
    const Shape& b = inputs[2];
    if (b.size() != 1 || (known(b[0]) && known(c_out) && b[0] != c_out))
      return make_error(StatusCode::kInvalidModel,
                        "CONV_TRANSPOSE: bias B must be rank 1 with {} values (one per output "
                        "channel), got {}",
                        c_out, shape_to_string(b));
  }
  FENNEC_ASSIGN_OR_RETURN(
      int64_t oh, conv_transpose_output_extent("height", x[2], p.kernel_h, p.stride_h, p.dilation_h,
                                               p.pad_top, p.pad_bottom, p.output_pad_h));
  FENNEC_ASSIGN_OR_RETURN(
      int64_t ow, conv_transpose_output_extent("width", x[3], p.kernel_w, p.stride_w, p.dilation_w,
                                               p.pad_left, p.pad_right, p.output_pad_w));
  outputs = {Shape{x[0], c_out, oh, ow}};
  return ok_status();
}

Status ConvTransposeOp::reference(std::span<const HostTensor* const> inputs,
                                  std::span<HostTensor> outputs) const {
  const ConvTransposeParams& p = params_;
  if (inputs.size() < 2 || !inputs[0] || !inputs[1])
    return make_error(StatusCode::kInvalidArgument,
                      "CONV_TRANSPOSE reference: X and W are required");
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

  // The scatter form, straight from the definition: every input pixel adds
  // its kernel-weighted copy into the output. The Vulkan kernel gathers
  // instead, so the two are independent formulations of the same sum.
  std::vector<double> acc(static_cast<size_t>(yt.elements()), 0.0);
  for (int64_t n = 0; n < n_batch; ++n)
    for (int64_t c = 0; c < c_in; ++c) {
      const int64_t g = c / cg;
      for (int64_t iy = 0; iy < h; ++iy)
        for (int64_t ix = 0; ix < wd; ++ix) {
          const double xv = x[((n * c_in + c) * h + iy) * wd + ix];
          for (int64_t oc = 0; oc < og; ++oc) {
            const int64_t o = g * og + oc;
            for (int64_t ky = 0; ky < kh; ++ky) {
              const int64_t oy = iy * p.stride_h - p.pad_top + ky * p.dilation_h;
              if (oy < 0 || oy >= oh) continue;
              for (int64_t kx = 0; kx < kw; ++kx) {
                const int64_t ox = ix * p.stride_w - p.pad_left + kx * p.dilation_w;
                if (ox < 0 || ox >= ow) continue;
                acc[((n * c_out + o) * oh + oy) * ow + ox] +=
                    xv * w[((c * og + oc) * kh + ky) * kw + kx];
              }
            }
          }
        }
    }
  for (int64_t n = 0; n < n_batch; ++n)
    for (int64_t o = 0; o < c_out; ++o) {
      const float bias = bt ? bt->as<float>()[o] : 0.0f;
      for (int64_t i = 0; i < oh * ow; ++i) {
        const int64_t at = (n * c_out + o) * oh * ow + i;
        y[at] = p.activation.apply(static_cast<float>(acc[at]) + bias);
      }
    }
  return ok_status();
}

OptionsOffset ConvTransposeOp::write_options(flatbuffers::FlatBufferBuilder& fbb) const {
  const ConvTransposeParams& p = params_;
  auto activation = p.activation.write(fbb);
  auto options = schema::CreateConvTranspose2DOptions(
      fbb, p.group, p.kernel_h, p.kernel_w, p.stride_h, p.stride_w, p.dilation_h, p.dilation_w,
      p.pad_top, p.pad_left, p.pad_bottom, p.pad_right, p.output_pad_h, p.output_pad_w, activation);
  return {schema::OpOptions::ConvTranspose2DOptions, options.Union()};
}

std::string ConvTransposeOp::describe() const {
  return describe_window(params_, params_.output_pad_h, params_.output_pad_w);
}

Result<std::unique_ptr<Op>> make_conv_transpose(const schema::Operator& op) {
  const auto* o = op.options_as_ConvTranspose2DOptions();
  if (!o)
    return make_error(StatusCode::kInvalidModel,
                      "CONV_TRANSPOSE operator without ConvTranspose2DOptions; re-convert the "
                      "model");
  ConvTransposeParams p;
  read_window(*o, p);
  p.output_pad_h = o->output_pad_h();
  p.output_pad_w = o->output_pad_w();
  FENNEC_RETURN_IF_ERROR(validate_window(p, "CONV_TRANSPOSE"));
  if (p.output_pad_h < 0 || p.output_pad_w < 0)
    return make_error(StatusCode::kInvalidModel,
                      "CONV_TRANSPOSE: negative output pads ({}, {}) are not supported", p.output_pad_h,
                      p.output_pad_w);
  return std::unique_ptr<Op>(std::make_unique<ConvTransposeOp>(p));
}

}  // namespace fennec::ops
