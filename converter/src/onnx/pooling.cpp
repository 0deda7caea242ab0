// GlobalAveragePool, MaxPool and AveragePool (2-D; 1-D and 3-D pools are
// rejected). auto_pad SAME_* resolves to explicit pads here, which needs a
// static input size along an axis with stride > 1.
#include <algorithm>
#include <string>

#include "ops/global_average_pool.h"
#include "ops/pool2d.h"
#include "onnx/op_importers.h"

namespace fennec::onnx_import {
namespace {

std::vector<int64_t> positive_pair(ImportContext& ctx, const char* name) {
  std::vector<int64_t> v = ctx.attr_ints(name, {1, 1});
  if (v.size() != 2) ctx.unsupported_attribute(name, ints_to_string(v));
  for (int64_t x : v)
    if (x < 1) ctx.unsupported_attribute(name, ints_to_string(v));
  return v;
}

int to_int(int64_t v) { return static_cast<int>(v); }

ops::Pool2DParams read_pool(ImportContext& ctx, int x, ops::PoolKind kind) {
  const std::vector<int64_t> kernel = ctx.attr_ints("kernel_shape", {});
  if (kernel.empty()) ctx.fail("the required attribute kernel_shape is missing");
  if (kernel.size() != 2)
    ctx.fail("kernel_shape " + ints_to_string(kernel) + " has " + std::to_string(kernel.size()) +
             " axes; only 2-D pooling is supported");
  for (int64_t k : kernel)
    if (k < 1) ctx.unsupported_attribute("kernel_shape", ints_to_string(kernel));
  const std::vector<int64_t> strides = positive_pair(ctx, "strides");
  const std::vector<int64_t> dilations = positive_pair(ctx, "dilations");
  std::vector<int64_t> pads = ctx.attr_ints("pads", {0, 0, 0, 0});
  if (pads.size() != 4) ctx.unsupported_attribute("pads", ints_to_string(pads));
  for (int64_t v : pads)
    if (v < 0) ctx.unsupported_attribute("pads", ints_to_string(pads));
  const std::string auto_pad = ctx.attr_string("auto_pad", "NOTSET");
  if (auto_pad == "VALID") {
    pads = {0, 0, 0, 0};
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    const Shape in = ctx.tensor(x).shape;
    for (size_t axis = 0; axis < 2; ++axis) {
      const int64_t span = (kernel[axis] - 1) * dilations[axis] + 1;
      const int64_t size = in[2 + axis];
      int64_t total;
      if (strides[axis] == 1) {
        total = span - 1;  // independent of the input size
      } else {
        if (size < 0)
          ctx.fail("auto_pad=" + auto_pad + " with stride " + std::to_string(strides[axis]) +
                   " needs a static input size, but spatial axis " + std::to_string(axis) +
                   " is symbolic; export with fixed input sizes or explicit pads");
        const int64_t out = (size + strides[axis] - 1) / strides[axis];
        total = std::max<int64_t>(0, (out - 1) * strides[axis] + span - size);
      }
      // SAME_UPPER puts the odd pixel at the end, SAME_LOWER at the start.
      const int64_t small = total / 2;
      pads[axis] = auto_pad == "SAME_UPPER" ? small : total - small;
      pads[axis + 2] = total - pads[axis];
    }
  } else if (auto_pad != "NOTSET") {
    ctx.unsupported_attribute("auto_pad", auto_pad);
  }
  const int64_t ceil_mode = ctx.attr_int("ceil_mode", 0);
  if (ceil_mode != 0 && ceil_mode != 1)
    ctx.unsupported_attribute("ceil_mode", std::to_string(ceil_mode));

  ops::Pool2DParams p;
  p.kind = kind;
  p.kernel_h = to_int(kernel[0]);
  p.kernel_w = to_int(kernel[1]);
  p.stride_h = to_int(strides[0]);
  p.stride_w = to_int(strides[1]);
  p.dilation_h = to_int(dilations[0]);
  p.dilation_w = to_int(dilations[1]);
  p.pad_top = to_int(pads[0]);
  p.pad_left = to_int(pads[1]);
  p.pad_bottom = to_int(pads[2]);
  p.pad_right = to_int(pads[3]);
  p.ceil_mode = ceil_mode == 1;
  return p;
}

// The input, checked to be a rank-4 float tensor.
int pool_input(ImportContext& ctx) {
  const int x = ctx.float_input(0);
  const Shape s = ctx.tensor(x).shape;
  if (s.size() != 4)
    ctx.fail("input '" + ctx.tensor(x).name + "' has shape " + shape_to_string(s) +
             "; only 2-D pooling of rank-4 NCHW tensors is supported");
  return x;
}

}  // namespace

void import_global_average_pool(ImportContext& ctx) {
  ctx.add_node(std::make_unique<ops::GlobalAveragePoolOp>(), {ctx.input(0)});
}

void import_max_pool(ImportContext& ctx) {
  if (ctx.node().output_size() > 1 && !ctx.node().output(1).empty())
    ctx.fail("the Indices output '" + ctx.node().output(1) +
             "' is not supported; only the pooled values Y can be produced");
  const int x = pool_input(ctx);
  const ops::Pool2DParams p = read_pool(ctx, x, ops::PoolKind::MAXIMUM);
  ctx.add_node(std::make_unique<ops::Pool2DOp>(p), {x});
}

void import_average_pool(ImportContext& ctx) {
  const int x = pool_input(ctx);
  ops::Pool2DParams p = read_pool(ctx, x, ops::PoolKind::AVERAGE);
  const int64_t include = ctx.attr_int("count_include_pad", 0);
  if (include != 0 && include != 1)
    ctx.unsupported_attribute("count_include_pad", std::to_string(include));
  p.count_include_pad = include == 1;
  ctx.add_node(std::make_unique<ops::Pool2DOp>(p), {x});
}

}  // namespace fennec::onnx_import
