// Resize (opsets 10, 11-12, 13+) and Upsample (opsets 7-9) of the last two
// axes of a rank-4 tensor. Scales and sizes must be constants; they are
// stored in the op, and the node reads only X.
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>

#include "ops/resize.h"
#include "onnx/op_importers.h"

namespace fennec::onnx_import {
namespace {

std::string floats_to_string(const std::vector<float>& values) {
  std::string s = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) s += ",";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", static_cast<double>(values[i]));
    s += buf;
  }
  return s + "]";
}

// "cubic" exists from Resize-11 on; Upsample and Resize-10 know only
// nearest and linear.
schema::ResizeMode read_mode(ImportContext& ctx, bool allow_cubic) {
  const std::string mode = ctx.attr_string("mode", "nearest");
  if (mode == "nearest") return schema::ResizeMode::NEAREST;
  if (mode == "linear" || mode == "bilinear") return schema::ResizeMode::LINEAR;
  if (mode == "cubic" && allow_cubic) return schema::ResizeMode::CUBIC;
  ctx.unsupported_attribute("mode", mode);
}

// cubic_coeff_a and exclude_outside (Resize-11+). ONNX applies
// exclude_outside to linear too, where it gives the same values as the edge
// clamp; only cubic stores it.
void read_cubic_attributes(ImportContext& ctx, ops::ResizeParams& p) {
  const float a = ctx.attr_float("cubic_coeff_a", -0.75f);
  const int64_t exclude = ctx.attr_int("exclude_outside", 0);
  if (exclude != 0 && exclude != 1)
    ctx.unsupported_attribute("exclude_outside", std::to_string(exclude));
  if (p.mode != schema::ResizeMode::CUBIC) return;
  if (!std::isfinite(a)) ctx.unsupported_attribute("cubic_coeff_a", std::to_string(a));
  p.cubic_coeff_a = a;
  p.exclude_outside = exclude == 1;
}

// Upsample and Resize-10 address pixels as out / scale ("asymmetric") and
// round nearest indices down when enlarging, up when shrinking.
void legacy_coordinates(ImportContext& ctx, ops::ResizeParams& p) {
  p.transform = schema::CoordinateTransform::ASYMMETRIC;
  const bool down_h = p.scale_h < 1.0f, down_w = p.scale_w < 1.0f;
  if (p.mode == schema::ResizeMode::NEAREST && down_h != down_w)
    ctx.fail("nearest resize that enlarges one axis and shrinks the other is not supported "
             "before opset 11");
  p.rounding = down_h ? schema::NearestRounding::CEIL : schema::NearestRounding::FLOOR;
}

// Expands `values` given for `axes` (opset 18) to all four axes, filling the
// leading axes with `fill`.
template <typename T>
std::vector<T> expand_axes(ImportContext& ctx, std::vector<T> values, T fill) {
  const std::vector<int64_t> axes = ctx.attr_ints("axes", {});
  if (axes.empty()) return values;
  std::vector<T> full(4, fill);
  if (axes.size() != values.size()) ctx.fail("axes and scales/sizes differ in length");
  for (size_t i = 0; i < axes.size(); ++i) {
    const int64_t axis = axes[i] < 0 ? axes[i] + 4 : axes[i];
    if (axis < 0 || axis >= 4) ctx.unsupported_attribute("axes", ints_to_string(axes));
    full[static_cast<size_t>(axis)] = values[i];
  }
  return full;
}

void check_input_rank(ImportContext& ctx, int x) {
  const Shape shape = ctx.tensor(x).shape;
  if (shape.size() != 4)
    ctx.fail("input has shape " + shape_to_string(shape) + "; only rank-4 (NCHW) resize is supported");
}

// Scales for all four axes; only H and W may differ from 1.
void set_scales(ImportContext& ctx, ops::ResizeParams& p, const std::vector<float>& scales) {
  if (scales.size() != 4) ctx.fail("scales " + floats_to_string(scales) + " must have 4 values");
  if (scales[0] != 1.0f || scales[1] != 1.0f)
    ctx.fail("scales " + floats_to_string(scales) +
             " resize the batch or channel axis; only the last two axes can be resized");
  if (scales[2] <= 0.0f || scales[3] <= 0.0f)
    ctx.fail("scales " + floats_to_string(scales) + " must be positive");
  p.scale_h = scales[2];
  p.scale_w = scales[3];
}

void add_resize(ImportContext& ctx, int x, const ops::ResizeParams& p) {
  ctx.add_node(std::make_unique<ops::ResizeOp>(p), {x});
}

}  // namespace

void import_resize(ImportContext& ctx) {
  const int x = ctx.input(0);
  check_input_rank(ctx, x);
  ops::ResizeParams p;
  p.mode = read_mode(ctx, ctx.opset() >= 11);

  if (ctx.opset() < 11) {
    // Resize-10: X, scales.
    auto scales = ctx.constant_floats(1);
    if (!scales) ctx.fail("scales input is not a constant; only constant scales are supported");
    set_scales(ctx, p, *scales);
    legacy_coordinates(ctx, p);
    add_resize(ctx, x, p);
    return;
  }

  const std::string transform = ctx.attr_string("coordinate_transformation_mode", "half_pixel");
  if (transform == "half_pixel") p.transform = schema::CoordinateTransform::HALF_PIXEL;
  else if (transform == "asymmetric") p.transform = schema::CoordinateTransform::ASYMMETRIC;
  else if (transform == "align_corners") p.transform = schema::CoordinateTransform::ALIGN_CORNERS;
  else if (transform == "pytorch_half_pixel") p.transform = schema::CoordinateTransform::PYTORCH_HALF_PIXEL;
  // "tf_half_pixel_for_nn" is the name ONNX's own opset-11 test data uses.
  else if (transform == "tf_half_pixel_for_nearest" || transform == "tf_half_pixel_for_nn")
    p.transform = schema::CoordinateTransform::TF_HALF_PIXEL_FOR_NEAREST;
  else ctx.unsupported_attribute("coordinate_transformation_mode", transform);

  const std::string rounding = ctx.attr_string("nearest_mode", "round_prefer_floor");
  if (rounding == "round_prefer_floor") p.rounding = schema::NearestRounding::ROUND_PREFER_FLOOR;
  else if (rounding == "round_prefer_ceil") p.rounding = schema::NearestRounding::ROUND_PREFER_CEIL;
  else if (rounding == "floor") p.rounding = schema::NearestRounding::FLOOR;
  else if (rounding == "ceil") p.rounding = schema::NearestRounding::CEIL;
  else ctx.unsupported_attribute("nearest_mode", rounding);
  read_cubic_attributes(ctx, p);

  if (const int64_t antialias = ctx.attr_int("antialias", 0);
      antialias != 0 && p.mode != schema::ResizeMode::NEAREST)
    ctx.unsupported_attribute("antialias", std::to_string(antialias));
  if (const std::string policy = ctx.attr_string("keep_aspect_ratio_policy", "stretch");
      policy != "stretch")
    ctx.unsupported_attribute("keep_aspect_ratio_policy", policy);

  // Inputs: X, roi, scales, sizes. roi only matters for tf_crop_and_resize,
  // which is rejected above. An empty scales tensor means "use sizes".
  std::optional<std::vector<float>> scales;
  if (ctx.has_input(2)) {
    scales = ctx.constant_floats(2);
    if (!scales) ctx.fail("scales input is not a constant; only constant scales are supported");
    if (scales->empty()) scales.reset();
  }
  std::optional<std::vector<int64_t>> sizes;
  if (ctx.has_input(3)) {
    sizes = ctx.constant_ints(3);
    if (!sizes) ctx.fail("sizes input is not a constant; only constant sizes are supported");
    if (sizes->empty()) sizes.reset();
  }
  if (scales && sizes) ctx.fail("both scales and sizes are given");
  if (scales) {
    set_scales(ctx, p, expand_axes(ctx, *scales, 1.0f));
  } else if (sizes) {
    const Shape in = ctx.tensor(x).shape;
    std::vector<int64_t> full = expand_axes<int64_t>(ctx, *sizes, kUnknownDim);
    if (full.size() != 4) ctx.fail("sizes " + ints_to_string(full) + " must have 4 values");
    for (size_t axis = 0; axis < 2; ++axis) {
      if (full[axis] == kUnknownDim) continue;  // not in `axes`
      if (in[axis] >= 0 && full[axis] != in[axis])
        ctx.fail("sizes " + ints_to_string(full) + " change the batch or channel axis of input " +
                 shape_to_string(in) + "; only the last two axes can be resized");
    }
    if (full[2] <= 0 || full[3] <= 0) ctx.fail("sizes " + ints_to_string(full) + " must be positive");
    p.size_h = full[2];
    p.size_w = full[3];
  } else {
    ctx.fail("neither scales nor sizes is given");
  }
  add_resize(ctx, x, p);
}

void import_upsample(ImportContext& ctx) {
  if (ctx.opset() < 7 || ctx.opset() >= 10) ctx.unsupported_op();
  const int x = ctx.input(0);
  check_input_rank(ctx, x);
  ops::ResizeParams p;
  p.mode = read_mode(ctx, false);
  std::vector<float> scales;
  if (ctx.opset() < 9) {
    scales = ctx.attr_floats("scales", {});
  } else {
    auto values = ctx.constant_floats(1);
    if (!values) ctx.fail("scales input is not a constant; only constant scales are supported");
    scales = *values;
  }
  set_scales(ctx, p, scales);
  legacy_coordinates(ctx, p);
  add_resize(ctx, x, p);
}

}  // namespace fennec::onnx_import
