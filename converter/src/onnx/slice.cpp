// Slice (parameters as attributes before opset 10, as inputs from 10 on) and
// Split (one SLICE per output).
#include <algorithm>
#include <string>

#include "ops/slice.h"
#include "onnx/op_importers.h"

namespace fennec::onnx_import {
namespace {

// Slice input `i` (opset >= 10) as constant integers; nullopt when absent.
std::optional<std::vector<int64_t>> slice_input(ImportContext& ctx, int i, const char* what) {
  if (!ctx.has_input(i)) return std::nullopt;
  auto values = ctx.constant_ints(i);
  if (!values)
    ctx.fail(std::string("Slice ") + what + " input '" + ctx.node().input(i) +
             "' is not a constant; only constant slice parameters are supported");
  return values;
}

int32_t normalized_axis(ImportContext& ctx, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    ctx.fail("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return static_cast<int32_t>(axis < 0 ? axis + rank : axis);
}

void add_slice(ImportContext& ctx, int data, ops::SliceParams params, int output) {
  ctx.add_node(std::make_unique<ops::SliceOp>(std::move(params)), {data}, output);
}

}  // namespace

void import_slice(ImportContext& ctx) {
  const int data = ctx.float_input(0);
  const auto rank = static_cast<int64_t>(ctx.tensor(data).shape.size());
  std::vector<int64_t> starts, ends, axes, steps;
  if (ctx.opset() < 10) {
    if (!ctx.attribute("starts") || !ctx.attribute("ends")) ctx.fail("Slice without starts/ends");
    starts = ctx.attr_ints("starts", {});
    ends = ctx.attr_ints("ends", {});
    axes = ctx.attr_ints("axes", {});
  } else {
    if (!ctx.has_input(1) || !ctx.has_input(2)) ctx.fail("Slice without starts/ends inputs");
    starts = *slice_input(ctx, 1, "starts");
    ends = *slice_input(ctx, 2, "ends");
    axes = slice_input(ctx, 3, "axes").value_or(std::vector<int64_t>{});
    steps = slice_input(ctx, 4, "steps").value_or(std::vector<int64_t>{});
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (starts.size() != axes.size() || ends.size() != axes.size() ||
      (!steps.empty() && steps.size() != axes.size()))
    ctx.fail("starts " + ints_to_string(starts) + ", ends " + ints_to_string(ends) + ", axes " +
             ints_to_string(axes) + " and steps " + ints_to_string(steps) +
             " must have the same length");
  ops::SliceParams params;
  for (int64_t a : axes) params.axes.push_back(normalized_axis(ctx, a, rank));
  for (int64_t s : steps)
    if (s == 0) ctx.fail("steps " + ints_to_string(steps) + " contain 0");
  params.starts = std::move(starts);
  params.ends = std::move(ends);
  params.steps = std::move(steps);
  add_slice(ctx, data, std::move(params), 0);
}

void import_split(ImportContext& ctx) {
  const int data = ctx.float_input(0);
  const Shape in = ctx.tensor(data).shape;  // a copy: add_slice grows the tensor list
  const int32_t axis =
      normalized_axis(ctx, ctx.attr_int("axis", 0), static_cast<int64_t>(in.size()));
  const int outputs = ctx.node().output_size();
  std::vector<int64_t> sizes;
  if (ctx.opset() < 13) {
    sizes = ctx.attr_ints("split", {});
  } else if (ctx.has_input(1)) {
    auto given = ctx.constant_ints(1);
    if (!given)
      ctx.fail("Split sizes input '" + ctx.node().input(1) +
               "' is not a constant; only constant split sizes are supported");
    sizes = *given;
  }
  if (sizes.empty()) {
    // Equal parts; from opset 18 the last part may be smaller.
    const int64_t dim = in[static_cast<size_t>(axis)];
    if (dim == kUnknownDim)
      ctx.fail("Split into equal parts along the unknown axis " + std::to_string(axis) +
               " of input " + shape_to_string(in) + " is not supported; give the split sizes");
    const int64_t part = (dim + outputs - 1) / outputs;
    if (ctx.opset() < 18 && dim % outputs != 0)
      ctx.fail("axis " + std::to_string(axis) + " of size " + std::to_string(dim) +
               " does not split into " + std::to_string(outputs) + " equal parts");
    for (int64_t start = 0; start < dim; start += part) sizes.push_back(std::min(part, dim - start));
  }
  if (static_cast<int>(sizes.size()) != outputs)
    ctx.fail("split sizes " + ints_to_string(sizes) + " do not match the " +
             std::to_string(outputs) + " outputs");
  int64_t start = 0;
  for (int o = 0; o < outputs; ++o) {
    if (sizes[static_cast<size_t>(o)] < 0) ctx.fail("split sizes " + ints_to_string(sizes) + " are negative");
    const int64_t end = start + sizes[static_cast<size_t>(o)];
    if (!ctx.node().output(o).empty()) add_slice(ctx, data, {{axis}, {start}, {end}, {}}, o);
    start = end;
  }
  const int64_t dim = in[static_cast<size_t>(axis)];
  if (dim != kUnknownDim && start != dim)
    ctx.fail("split sizes " + ints_to_string(sizes) + " add up to " + std::to_string(start) +
             ", not the size " + std::to_string(dim) + " of axis " + std::to_string(axis));
}

}  // namespace fennec::onnx_import
