#include "ops/pool2d.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

namespace fennec::ops {

Result<int64_t> pool_output_extent(int64_t in, int kernel, int stride, int dilation,
                                   int pad_begin, int pad_end, bool ceil_mode) {
  if (in < 0) return kUnknownDim;
  const int64_t span = static_cast<int64_t>(kernel - 1) * dilation + 1;
  const int64_t room = in + pad_begin + pad_end - span;
  if (room < 0)
    return make_error(StatusCode::kInvalidModel,
                      "POOL2D: dilated kernel {} is larger than the padded input {} ({} + pads "
                      "{}+{}); check kernel, dilation and pads",
                      span, in + pad_begin + pad_end, in, pad_begin, pad_end);
  int64_t out = (ceil_mode ? (room + stride - 1) / stride : room / stride) + 1;
  // ONNX: the last window must start inside the input or its begin padding.
  if (ceil_mode && (out - 1) * stride >= in + pad_begin) --out;
  return out;
}

Status Pool2DOp::infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const {
  const Pool2DParams& p = params_;
  if (inputs.size() != 1)
    return make_error(StatusCode::kInvalidModel, "POOL2D takes 1 input, got {}", inputs.size());
  const Shape& x = inputs[0];
  if (x.size() != 4)
    return make_error(StatusCode::kInvalidModel, "POOL2D: input must be rank 4 (NCHW), got {}",
                      shape_to_string(x));
  FENNEC_ASSIGN_OR_RETURN(int64_t oh, pool_output_extent(x[2], p.kernel_h, p.stride_h, p.dilation_h,
                                                         p.pad_top, p.pad_bottom, p.ceil_mode));
  FENNEC_ASSIGN_OR_RETURN(int64_t ow, pool_output_extent(x[3], p.kernel_w, p.stride_w, p.dilation_w,
                                                         p.pad_left, p.pad_right, p.ceil_mode));
  outputs = {Shape{x[0], x[1], oh, ow}};
  return ok_status();
}

Status Pool2DOp::reference(std::span<const HostTensor* const> inputs,
                           std::span<HostTensor> outputs) const {
  const Pool2DParams& p = params_;
  FENNEC_RETURN_IF_ERROR(require_float32(*this, inputs));
  const HostTensor& xt = *inputs[0];
  HostTensor& yt = outputs[0];
  auto x = xt.as<float>();
  auto y = yt.as<float>();
  const int64_t planes = xt.shape[0] * xt.shape[1];
  const int64_t h = xt.shape[2], w = xt.shape[3];
  const int64_t oh = yt.shape[2], ow = yt.shape[3];
  const bool average = p.kind == PoolKind::AVERAGE;
  for (int64_t plane = 0; plane < planes; ++plane)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        double sum = 0.0;
        float best = -std::numeric_limits<float>::infinity();
        int64_t inside = 0, padded = 0;
        for (int64_t ky = 0; ky < p.kernel_h; ++ky) {
          const int64_t iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
          const bool row_in = iy >= 0 && iy < h;
          const bool row_padded = iy >= -p.pad_top && iy < h + p.pad_bottom;
          for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
            const int64_t ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
            if (row_padded && ix >= -p.pad_left && ix < w + p.pad_right) ++padded;
            if (!row_in || ix < 0 || ix >= w) continue;
            const float v = x[(plane * h + iy) * w + ix];
            sum += v;
            best = std::max(best, v);
            ++inside;
          }
        }
        float out = 0.0f;
        if (inside > 0) {
          const int64_t divisor = p.count_include_pad ? padded : inside;
          out = average ? static_cast<float>(sum / static_cast<double>(divisor)) : best;
        }
        y[(plane * oh + oy) * ow + ox] = out;
      }
  return ok_status();
}

OptionsOffset Pool2DOp::write_options(flatbuffers::FlatBufferBuilder& fbb) const {
  const Pool2DParams& p = params_;
  auto options = schema::CreatePool2DOptions(
      fbb, p.kind, p.kernel_h, p.kernel_w, p.stride_h, p.stride_w, p.dilation_h, p.dilation_w,
      p.pad_top, p.pad_left, p.pad_bottom, p.pad_right, p.ceil_mode, p.count_include_pad);
  return {schema::OpOptions::Pool2DOptions, options.Union()};
}

std::string Pool2DOp::describe() const {
  const Pool2DParams& p = params_;
  std::string s = fmt::format("{} {}x{} s{}x{}", schema::EnumNamePoolKind(p.kind), p.kernel_h,
                              p.kernel_w, p.stride_h, p.stride_w);
  if (p.pad_top || p.pad_left || p.pad_bottom || p.pad_right)
    s += fmt::format(" p{},{},{},{}", p.pad_top, p.pad_left, p.pad_bottom, p.pad_right);
  if (p.dilation_h != 1 || p.dilation_w != 1) s += fmt::format(" d{}x{}", p.dilation_h, p.dilation_w);
  if (p.ceil_mode) s += " ceil";
  if (p.count_include_pad) s += " count_include_pad";
  return s;
}

Result<std::unique_ptr<Op>> make_pool2d(const schema::Operator& op) {
  const auto* o = op.options_as_Pool2DOptions();
  if (!o)
    return make_error(StatusCode::kInvalidModel,
                      "POOL2D operator without Pool2DOptions; re-convert the model");
  Pool2DParams p;
  p.kind = o->kind();
  p.kernel_h = o->kernel_h();
  p.kernel_w = o->kernel_w();
  p.stride_h = o->stride_h();
  p.stride_w = o->stride_w();
  p.dilation_h = o->dilation_h();
  p.dilation_w = o->dilation_w();
  p.pad_top = o->pad_top();
  p.pad_left = o->pad_left();
  p.pad_bottom = o->pad_bottom();
  p.pad_right = o->pad_right();
  p.ceil_mode = o->ceil_mode();
  p.count_include_pad = o->count_include_pad();
  if (p.kind > PoolKind::MAX)
    return make_error(StatusCode::kInvalidModel, "POOL2D: unknown pool kind {}",
                      static_cast<int>(p.kind));
  if (p.kernel_h <= 0 || p.kernel_w <= 0 || p.stride_h <= 0 || p.stride_w <= 0 ||
      p.dilation_h <= 0 || p.dilation_w <= 0)
    return make_error(StatusCode::kInvalidModel,
                      "POOL2D: invalid options (kernel {}x{}, stride {}x{}, dilation {}x{}); each "
                      "must be positive",
                      p.kernel_h, p.kernel_w, p.stride_h, p.stride_w, p.dilation_h, p.dilation_w);
  if (p.pad_top < 0 || p.pad_left < 0 || p.pad_bottom < 0 || p.pad_right < 0)
    return make_error(StatusCode::kInvalidModel, "POOL2D: negative pads ({}, {}, {}, {})",
                      p.pad_top, p.pad_left, p.pad_bottom, p.pad_right);
  return std::unique_ptr<Op>(std::make_unique<Pool2DOp>(p));
}

}  // namespace fennec::ops
