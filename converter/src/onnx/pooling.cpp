// GlobalAveragePool, MaxPool and AveragePool (1-D, 2-D and 3-D, all run as
// 2-D pools). auto_pad SAME_* resolves to explicit pads here, which needs a
// static input size along an axis with stride > 1.
#include <algorithm>
#include <string>

#include "ops/global_average_pool.h"
#include "ops/pool2d.h"
#include "ops/reshape.h"
#include "onnx/op_importers.h"

namespace fennec::onnx_import {
namespace {

// The pooling window along the n spatial axes of the input.
struct Window {
  std::vector<int64_t> kernel, strides, dilations, pads;  // pads: n begins, then n ends
  bool ceil_mode = false;
};

std::vector<int64_t> positive_ints(ImportContext& ctx, const char* name, size_t n) {
  std::vector<int64_t> v = ctx.attr_ints(name, std::vector<int64_t>(n, 1));
  if (v.size() != n) ctx.unsupported_attribute(name, ints_to_string(v));
  for (int64_t x : v)
    if (x < 1) ctx.unsupported_attribute(name, ints_to_string(v));
  return v;
}

int to_int(int64_t v) { return static_cast<int>(v); }

Window read_window(ImportContext& ctx, int x) {
  const Shape in = ctx.tensor(x).shape;
  Window w;
  w.kernel = ctx.attr_ints("kernel_shape", {});
  if (w.kernel.empty()) ctx.fail("the required attribute kernel_shape is missing");
  const size_t n = w.kernel.size();
  if (n < 1 || n > 3 || in.size() != n + 2)
    ctx.fail("kernel_shape " + ints_to_string(w.kernel) + " does not fit input '" + ctx.tensor(x).name +
             "' of shape " + shape_to_string(in) + "; 1-D, 2-D and 3-D pooling of N,C,... tensors are supported");
  for (int64_t k : w.kernel)
    if (k < 1) ctx.unsupported_attribute("kernel_shape", ints_to_string(w.kernel));
  w.strides = positive_ints(ctx, "strides", n);
  w.dilations = positive_ints(ctx, "dilations", n);
  w.pads = ctx.attr_ints("pads", std::vector<int64_t>(2 * n, 0));
  if (w.pads.size() != 2 * n) ctx.unsupported_attribute("pads", ints_to_string(w.pads));
  for (int64_t v : w.pads)
    if (v < 0) ctx.unsupported_attribute("pads", ints_to_string(w.pads));
  const std::string auto_pad = ctx.attr_string("auto_pad", "NOTSET");
  if (auto_pad == "VALID") {
    w.pads.assign(2 * n, 0);
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    for (size_t axis = 0; axis < n; ++axis) {
      const int64_t span = (w.kernel[axis] - 1) * w.dilations[axis] + 1;
      const int64_t size = in[2 + axis];
      int64_t total;
      if (w.strides[axis] == 1) {
        total = span - 1;  // independent of the input size
      } else {
        if (size < 0)
          ctx.fail("auto_pad=" + auto_pad + " with stride " + std::to_string(w.strides[axis]) +
                   " needs a static input size, but spatial axis " + std::to_string(axis) +
                   " is symbolic; export with fixed input sizes or explicit pads");
        const int64_t out = (size + w.strides[axis] - 1) / w.strides[axis];
        total = std::max<int64_t>(0, (out - 1) * w.strides[axis] + span - size);
      }
      // SAME_UPPER puts the odd pixel at the end, SAME_LOWER at the start.
      const int64_t small = total / 2;
      w.pads[axis] = auto_pad == "SAME_UPPER" ? small : total - small;
      w.pads[axis + n] = total - w.pads[axis];
    }
  } else if (auto_pad != "NOTSET") {
    ctx.unsupported_attribute("auto_pad", auto_pad);
  }
  const int64_t ceil_mode = ctx.attr_int("ceil_mode", 0);
  if (ceil_mode != 0 && ceil_mode != 1)
    ctx.unsupported_attribute("ceil_mode", std::to_string(ceil_mode));
  w.ceil_mode = ceil_mode == 1;
  return w;
}

// The 2-D pool over spatial axes a (as H) and b (as W) of `w`; an axis of -1
// is a size-1 axis with a 1-wide window.
ops::Pool2DParams pool_over(const Window& w, int a, int b, ops::PoolKind kind, bool include_pad) {
  const size_t n = w.kernel.size();
  auto pick = [&](const std::vector<int64_t>& v, int axis, int64_t one) {
    return axis < 0 ? to_int(one) : to_int(v[static_cast<size_t>(axis)]);
  };
  auto pad = [&](int axis, size_t end) {
    return axis < 0 ? 0 : to_int(w.pads[static_cast<size_t>(axis) + end * n]);
  };
  ops::Pool2DParams p;
  p.kind = kind;
  p.kernel_h = pick(w.kernel, a, 1);
  p.kernel_w = pick(w.kernel, b, 1);
  p.stride_h = pick(w.strides, a, 1);
  p.stride_w = pick(w.strides, b, 1);
  p.dilation_h = pick(w.dilations, a, 1);
  p.dilation_w = pick(w.dilations, b, 1);
  p.pad_top = pad(a, 0);
  p.pad_left = pad(b, 0);
  p.pad_bottom = pad(a, 1);
  p.pad_right = pad(b, 1);
  p.ceil_mode = w.ceil_mode;
  p.count_include_pad = include_pad;
  return p;
}

int add_reshape(ImportContext& ctx, int x, std::vector<int64_t> shape, std::vector<int32_t> copy_from,
                const std::string& suffix) {
  return ctx.add_internal_node(std::make_unique<ops::ReshapeOp>(std::move(shape), std::move(copy_from)),
                               {x}, suffix);
}

// Pools run as 2-D pools: a 1-D pool over an [N, C, 1, L] view; a 3-D pool
// (max and average are separable over a box window, padding included) as a
// pool over H, W of an [N, C*D, H, W] view, then over D of an
// [N, C, D, H'*W'] view.
void add_pool(ImportContext& ctx, int x, const Window& w, ops::PoolKind kind, bool include_pad) {
  const size_t n = w.kernel.size();
  if (n == 2) {
    ctx.add_node(std::make_unique<ops::Pool2DOp>(pool_over(w, 0, 1, kind, include_pad)), {x});
    return;
  }
  if (n == 1) {
    const int x2d = add_reshape(ctx, x, {-1, -1, 1, -1}, {0, 1, -1, 2}, "2d");
    const int y2d = ctx.add_internal_node(
        std::make_unique<ops::Pool2DOp>(pool_over(w, -1, 0, kind, include_pad)), {x2d}, "pool2d");
    ctx.add_node(std::make_unique<ops::ReshapeOp>(std::vector<int64_t>{-1, -1, -1}, std::vector<int32_t>{0, 1, 3}),
                 {y2d});
    return;
  }
  const Shape in = ctx.tensor(x).shape;
  if (in[1] < 0 || in[2] < 0 || in[3] < 0 || in[4] < 0)
    ctx.fail("3-D pooling needs static C, D, H and W, but the input has shape " + shape_to_string(in));
  const int hw_in = add_reshape(ctx, x, {-1, in[1] * in[2], -1, -1}, {0, -1, 3, 4}, "hw");
  const int hw = ctx.add_internal_node(
      std::make_unique<ops::Pool2DOp>(pool_over(w, 1, 2, kind, include_pad)), {hw_in}, "pool_hw");
  const Shape pooled = ctx.tensor(hw).shape;
  const int d_in = add_reshape(ctx, hw, {-1, in[1], in[2], pooled[2] * pooled[3]}, {0, -1, -1, -1}, "d");
  const int d = ctx.add_internal_node(
      std::make_unique<ops::Pool2DOp>(pool_over(w, 0, -1, kind, include_pad)), {d_in}, "pool_d");
  const Shape out = ctx.tensor(d).shape;
  ctx.add_node(std::make_unique<ops::ReshapeOp>(std::vector<int64_t>{-1, in[1], out[2], pooled[2], pooled[3]},
                                                std::vector<int32_t>{0, -1, -1, -1, -1}),
               {d});
}

}  // namespace

void import_global_average_pool(ImportContext& ctx) {
  ctx.add_node(std::make_unique<ops::GlobalAveragePoolOp>(), {ctx.input(0)});
}

void import_max_pool(ImportContext& ctx) {
  if (ctx.node().output_size() > 1 && !ctx.node().output(1).empty())
    ctx.fail("the Indices output '" + ctx.node().output(1) +
             "' is not supported; only the pooled values Y can be produced");
  const int x = ctx.float_input(0);
  add_pool(ctx, x, read_window(ctx, x), ops::PoolKind::MAXIMUM, false);
}

void import_average_pool(ImportContext& ctx) {
  const int x = ctx.float_input(0);
  const Window w = read_window(ctx, x);
  const int64_t include = ctx.attr_int("count_include_pad", 0);
  if (include != 0 && include != 1)
    ctx.unsupported_attribute("count_include_pad", std::to_string(include));
  add_pool(ctx, x, w, ops::PoolKind::AVERAGE, include == 1);
}

}  // namespace fennec::onnx_import
