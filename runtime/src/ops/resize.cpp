#include "ops/resize.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

namespace fennec::ops {
namespace {

bool uses_scales(const ResizeParams& p) { return p.scale_h > 0.0f || p.scale_w > 0.0f; }

// Output size of one axis. With scales it is floor(in * scale), computed in
// float like onnxruntime (static_cast<int64_t>(scale * in)); the ONNX numpy
// reference multiplies in double and can differ by one for scales such as
// 0.7 that float rounds up to an integer product.
int64_t output_size(int64_t in, float scale, int64_t size) {
  if (scale <= 0.0f) return size;
  if (in == kUnknownDim) return kUnknownDim;
  return static_cast<int64_t>(std::floor(scale * static_cast<float>(in)));
}

// The scale that the coordinate transform divides by: the given one, or
// out/in in float when sizes were given (what onnxruntime uses).
float axis_scale(float given, int64_t in, int64_t out) {
  return given > 0.0f ? given : static_cast<float>(out) / static_cast<float>(in);
}

// The shader (resize.comp) mirrors this function operation for operation.
int64_t nearest_index(float coord, schema::NearestRounding rounding, int64_t in_size) {
  const float f = std::floor(coord);
  const float frac = coord - f;  // exact for floats
  float r = f;
  switch (rounding) {
    case schema::NearestRounding::ROUND_PREFER_FLOOR: r = frac > 0.5f ? f + 1.0f : f; break;
    case schema::NearestRounding::ROUND_PREFER_CEIL: r = frac >= 0.5f ? f + 1.0f : f; break;
    case schema::NearestRounding::FLOOR: r = f; break;
    case schema::NearestRounding::CEIL: r = std::ceil(coord); break;
  }
  return std::clamp(static_cast<int64_t>(r), int64_t{0}, in_size - 1);
}

// Linear interpolation taps along one axis: indices and weights, clamped to
// the edge like onnxruntime (a coordinate outside [0, in-1] takes the edge).
struct LinearTap {
  int64_t i0, i1;
  float w0, w1;
};

LinearTap linear_tap(float coord, int64_t in_size) {
  const float c = std::clamp(coord, 0.0f, static_cast<float>(in_size - 1));
  LinearTap t;
  t.i0 = std::min(static_cast<int64_t>(c), in_size - 1);
  t.i1 = std::min(t.i0 + 1, in_size - 1);
  if (t.i0 == t.i1) {
    t.w0 = t.w1 = 0.5f;
  } else {
    t.w1 = std::fabs(c - static_cast<float>(t.i0));
    t.w0 = std::fabs(c - static_cast<float>(t.i1));
  }
  return t;
}

// Keys cubic kernel for coefficient a, split by distance: |d| <= 1 ("near")
// and 1 < |d| < 2 ("far"). The shader uses the same expressions.
float keys_near(float d, float a) { return ((a + 2.0f) * d - (a + 3.0f)) * d * d + 1.0f; }
float keys_far(float d, float a) { return ((a * d - 5.0f * a) * d + 8.0f * a) * d - 4.0f * a; }

const char* mode_name(schema::ResizeMode m) { return schema::EnumNameResizeMode(m); }

}  // namespace

float ResizeOp::source_coordinate(schema::CoordinateTransform transform, int64_t out, float scale,
                                  int64_t in_size, int64_t out_size) {
  // An unscaled axis maps one to one, as in onnxruntime; this only changes
  // TF_HALF_PIXEL_FOR_NEAREST, which would otherwise shift by half a pixel.
  const float x = static_cast<float>(out);
  if (scale == 1.0f) return x;
  const float length_in = static_cast<float>(in_size);
  switch (transform) {
    case schema::CoordinateTransform::HALF_PIXEL: return (x + 0.5f) / scale - 0.5f;
    case schema::CoordinateTransform::ASYMMETRIC: return x / scale;
    case schema::CoordinateTransform::ALIGN_CORNERS:
      // ONNX takes the resized length as in * scale, which is fractional
      // when scales (not sizes) are given.
      return out_size == 1 ? 0.0f : x * (length_in - 1.0f) / (length_in * scale - 1.0f);
    case schema::CoordinateTransform::PYTORCH_HALF_PIXEL:
      return out_size > 1 ? (x + 0.5f) / scale - 0.5f : 0.0f;
    case schema::CoordinateTransform::TF_HALF_PIXEL_FOR_NEAREST: return (x + 0.5f) / scale;
  }
  return x;
}

CubicTaps ResizeOp::cubic_taps(float coord, int64_t in_size, float a, bool exclude_outside) {
  const float f = std::floor(coord);
  const float t = coord - f;  // exact for floats, in [0, 1)
  const int64_t first = static_cast<int64_t>(f) - 1;
  CubicTaps taps;
  if (t == 0.0f) {
    // On a sample: it alone contributes (the kernel is 0 at distances 1, 2).
    taps.weight[0] = 0.0f;
    taps.weight[1] = 1.0f;
    taps.weight[2] = 0.0f;
    taps.weight[3] = 0.0f;
  } else {
    taps.weight[0] = keys_far(1.0f + t, a);
    taps.weight[1] = keys_near(t, a);
    taps.weight[2] = keys_near(1.0f - t, a);
    taps.weight[3] = keys_far(2.0f - t, a);
  }
  float sum = 0.0f;
  for (int k = 0; k < 4; ++k) {
    const int64_t i = first + k;
    if (exclude_outside && (i < 0 || i >= in_size)) taps.weight[k] = 0.0f;
    sum += taps.weight[k];
    taps.index[k] = std::clamp(i, int64_t{0}, in_size - 1);
  }
  if (exclude_outside && sum != 0.0f)
    for (float& w : taps.weight) w = w / sum;
  return taps;
}

Status ResizeOp::infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const {
  if (inputs.size() != 1)
    return make_error(StatusCode::kInvalidModel,
                      "RESIZE takes 1 input (X; scales or sizes are options), got {}",
                      inputs.size());
  const Shape& x = inputs[0];
  if (x.size() != 4)
    return make_error(StatusCode::kUnsupported,
                      "RESIZE supports rank-4 NCHW input only, got {}", shape_to_string(x));
  const ResizeParams& p = params_;
  if (uses_scales(p)) {
    if (!(p.scale_h > 0.0f && p.scale_w > 0.0f && std::isfinite(p.scale_h) &&
          std::isfinite(p.scale_w)))
      return make_error(StatusCode::kInvalidModel,
                        "RESIZE: scales ({}, {}) must both be finite and positive", p.scale_h,
                        p.scale_w);
  } else if (p.size_h <= 0 || p.size_w <= 0) {
    return make_error(StatusCode::kInvalidModel,
                      "RESIZE: neither scales nor positive sizes given (sizes {}x{})", p.size_h,
                      p.size_w);
  }
  if (x[2] == 0 || x[3] == 0)
    return make_error(StatusCode::kInvalidModel,
                      "RESIZE: input {} has an empty spatial axis; there is nothing to sample",
                      shape_to_string(x));
  Shape y = {x[0], x[1], output_size(x[2], p.scale_h, p.size_h),
             output_size(x[3], p.scale_w, p.size_w)};
  if (y[2] == 0 || y[3] == 0)
    return make_error(StatusCode::kInvalidModel,
                      "RESIZE: input {} with scales ({}, {}) gives an empty output {}; use "
                      "larger scales",
                      shape_to_string(x), p.scale_h, p.scale_w, shape_to_string(y));
  outputs = {std::move(y)};
  return ok_status();
}

void ResizeOp::reference_cubic(const float* src, float* dst, int64_t planes, int64_t ih,
                               int64_t iw, int64_t oh, int64_t ow, const std::vector<float>& cy,
                               const std::vector<float>& cx) const {
  const float a = params_.cubic_coeff_a;
  const bool exclude = params_.exclude_outside;
  std::vector<CubicTaps> ty(static_cast<size_t>(oh)), tx(static_cast<size_t>(ow));
  for (int64_t i = 0; i < oh; ++i) ty[i] = cubic_taps(cy[i], ih, a, exclude);
  for (int64_t i = 0; i < ow; ++i) tx[i] = cubic_taps(cx[i], iw, a, exclude);
  for (int64_t p = 0; p < planes; ++p) {
    const float* in = src + p * ih * iw;
    float* out = dst + p * oh * ow;
    for (int64_t oy = 0; oy < oh; ++oy) {
      for (int64_t ox = 0; ox < ow; ++ox) {
        // Along W within each of the four rows, then along H.
        float v = 0.0f;
        for (int r = 0; r < 4; ++r) {
          const float* row = in + ty[oy].index[r] * iw;
          float h = 0.0f;
          for (int c = 0; c < 4; ++c) h += tx[ox].weight[c] * row[tx[ox].index[c]];
          v += ty[oy].weight[r] * h;
        }
        out[oy * ow + ox] = v;
      }
    }
  }
}

Status ResizeOp::reference(std::span<const HostTensor* const> inputs,
                           std::span<HostTensor> outputs) const {
  const HostTensor& x = *inputs[0];
  HostTensor& y = outputs[0];
  const int64_t planes = x.shape[0] * x.shape[1];
  const int64_t ih = x.shape[2], iw = x.shape[3];
  const int64_t oh = y.shape[2], ow = y.shape[3];
  const float sh = axis_scale(params_.scale_h, ih, oh);
  const float sw = axis_scale(params_.scale_w, iw, ow);
  auto src = x.as<float>();
  auto dst = y.as<float>();

  std::vector<float> cy(static_cast<size_t>(oh)), cx(static_cast<size_t>(ow));
  for (int64_t i = 0; i < oh; ++i)
    cy[i] = source_coordinate(params_.transform, i, sh, ih, oh);
  for (int64_t i = 0; i < ow; ++i)
    cx[i] = source_coordinate(params_.transform, i, sw, iw, ow);

  if (params_.mode == schema::ResizeMode::CUBIC) {
    reference_cubic(src.data(), dst.data(), planes, ih, iw, oh, ow, cy, cx);
    return ok_status();
  }

  for (int64_t p = 0; p < planes; ++p) {
    const float* in = src.data() + p * ih * iw;
    float* out = dst.data() + p * oh * ow;
    for (int64_t oy = 0; oy < oh; ++oy) {
      for (int64_t ox = 0; ox < ow; ++ox) {
        float v;
        if (params_.mode == schema::ResizeMode::NEAREST) {
          const int64_t iy = nearest_index(cy[oy], params_.rounding, ih);
          const int64_t ix = nearest_index(cx[ox], params_.rounding, iw);
          v = in[iy * iw + ix];
        } else {
          const LinearTap ty = linear_tap(cy[oy], ih);
          const LinearTap tx = linear_tap(cx[ox], iw);
          v = tx.w0 * ty.w0 * in[ty.i0 * iw + tx.i0] + tx.w1 * ty.w0 * in[ty.i0 * iw + tx.i1] +
              tx.w0 * ty.w1 * in[ty.i1 * iw + tx.i0] + tx.w1 * ty.w1 * in[ty.i1 * iw + tx.i1];
        }
        out[oy * ow + ox] = v;
      }
    }
  }
  return ok_status();
}

OptionsOffset ResizeOp::write_options(flatbuffers::FlatBufferBuilder& fbb) const {
  const ResizeParams& p = params_;
  flatbuffers::Offset<flatbuffers::Vector<float>> scales = 0;
  flatbuffers::Offset<flatbuffers::Vector<int64_t>> sizes = 0;
  if (uses_scales(p))
    scales = fbb.CreateVector(std::vector<float>{1.0f, 1.0f, p.scale_h, p.scale_w});
  else
    sizes = fbb.CreateVector(std::vector<int64_t>{p.size_h, p.size_w});
  return {schema::OpOptions::ResizeOptions,
          schema::CreateResizeOptions(fbb, p.mode, p.transform, p.rounding, scales, sizes,
                                      p.cubic_coeff_a, p.exclude_outside)
              .Union()};
}

std::string ResizeOp::describe() const {
  const ResizeParams& p = params_;
  std::string s = fmt::format("mode={} transform={}", mode_name(p.mode),
                              schema::EnumNameCoordinateTransform(p.transform));
  if (p.mode == schema::ResizeMode::NEAREST)
    s += fmt::format(" rounding={}", schema::EnumNameNearestRounding(p.rounding));
  if (p.mode == schema::ResizeMode::CUBIC)
    s += fmt::format(" a={} exclude_outside={}", p.cubic_coeff_a, p.exclude_outside ? 1 : 0);
  if (uses_scales(p))
    s += fmt::format(" scales={}x{}", p.scale_h, p.scale_w);
  else
    s += fmt::format(" sizes={}x{}", p.size_h, p.size_w);
  return s;
}

Result<std::unique_ptr<Op>> make_resize(const schema::Operator& op) {
  const auto* options = op.options_as_ResizeOptions();
  if (!options) return make_error(StatusCode::kInvalidModel, "RESIZE without ResizeOptions");
  ResizeParams p;
  p.mode = options->mode();
  p.transform = options->coordinate_transform();
  p.rounding = options->nearest_rounding();
  p.cubic_coeff_a = options->cubic_coeff_a();
  p.exclude_outside = options->exclude_outside();
  if (p.mode > schema::ResizeMode::MAX)
    return make_error(StatusCode::kInvalidModel, "RESIZE: unknown mode {}",
                      static_cast<int>(p.mode));
  if (p.transform > schema::CoordinateTransform::MAX)
    return make_error(StatusCode::kInvalidModel, "RESIZE: unknown coordinate transform {}",
                      static_cast<int>(p.transform));
  if (p.rounding > schema::NearestRounding::MAX)
    return make_error(StatusCode::kInvalidModel, "RESIZE: unknown nearest rounding {}",
                      static_cast<int>(p.rounding));

  if (!std::isfinite(p.cubic_coeff_a))
    return make_error(StatusCode::kInvalidModel, "RESIZE: cubic_coeff_a {} is not finite",
                      p.cubic_coeff_a);

  const auto* scales = options->scales();
  const auto* sizes = options->sizes();
  const bool has_scales = scales && scales->size() > 0;
  const bool has_sizes = sizes && sizes->size() > 0;
  if (has_scales == has_sizes)
    return make_error(StatusCode::kInvalidModel,
                      "RESIZE needs exactly one of scales and sizes in ResizeOptions, got {}",
                      has_scales ? "both" : "neither");
  if (has_scales) {
    if (scales->size() != 4)
      return make_error(StatusCode::kInvalidModel,
                        "RESIZE: scales must have 4 values [1,1,h,w], got {}", scales->size());
    if (scales->Get(0) != 1.0f || scales->Get(1) != 1.0f)
      return make_error(StatusCode::kUnsupported,
                        "RESIZE: only the last two axes may be scaled, got scales [{}, {}, {}, {}]",
                        scales->Get(0), scales->Get(1), scales->Get(2), scales->Get(3));
    p.scale_h = scales->Get(2);
    p.scale_w = scales->Get(3);
    if (!(p.scale_h > 0.0f && p.scale_w > 0.0f && std::isfinite(p.scale_h) &&
          std::isfinite(p.scale_w)))
      return make_error(StatusCode::kInvalidModel,
                        "RESIZE: scales ({}, {}) must be finite and positive", p.scale_h,
                        p.scale_w);
  } else {
    if (sizes->size() != 2)
      return make_error(StatusCode::kInvalidModel,
                        "RESIZE: sizes must have 2 values [h,w], got {}", sizes->size());
    p.size_h = sizes->Get(0);
    p.size_w = sizes->Get(1);
    if (p.size_h <= 0 || p.size_w <= 0)
      return make_error(StatusCode::kInvalidModel, "RESIZE: sizes ({}, {}) must be positive",
                        p.size_h, p.size_w);
  }
  return std::unique_ptr<Op>(std::make_unique<ResizeOp>(p));
}

}  // namespace fennec::ops
