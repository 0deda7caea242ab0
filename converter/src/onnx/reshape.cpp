// Reshape, Flatten, Squeeze and Unsqueeze, all as RESHAPE. Output dims that
// equal an input dim are written as copies of it (copy_from) rather than as
// numbers, so symbolic dims such as the batch pass through.
#include <algorithm>
#include <string>

#include "ops/reshape.h"
#include "onnx/op_importers.h"

namespace fennec::onnx_import {
namespace {

// Squeeze / Unsqueeze axes: an attribute before opset 13, an input from 13 on.
std::optional<std::vector<int64_t>> axes_parameter(ImportContext& ctx, const char* op) {
  if (ctx.opset() < 13) {
    if (!ctx.attribute("axes")) return std::nullopt;
    return ctx.attr_ints("axes", {});
  }
  if (!ctx.has_input(1)) return std::nullopt;
  auto axes = ctx.constant_ints(1);
  if (!axes)
    ctx.fail(std::string(op) + " axes input '" + ctx.node().input(1) +
             "' is not a constant; only constant axes are supported");
  return axes;
}

// Normalizes `axes` against `rank` and sorts them; fails on duplicates or
// out-of-range values.
std::vector<int64_t> normalized_axes(ImportContext& ctx, std::vector<int64_t> axes, int64_t rank) {
  for (int64_t& a : axes) {
    if (a < -rank || a >= rank)
      ctx.fail("axes " + ints_to_string(axes) + " are out of range for rank " +
               std::to_string(rank));
    if (a < 0) a += rank;
  }
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    ctx.fail("axes " + ints_to_string(axes) + " repeat an axis");
  return axes;
}

// A target that depends on symbolic input dims (Shape -> Gather -> Concat
// chains), known as values under the import probes (host_value.h): an element
// that varies with the input size must equal some input dim (it then copies
// it) or be the one inferred dim.
ReshapeTarget probed_reshape_target(ImportContext& ctx, int data, const ProbedValue& target,
                                    bool allow_zero) {
  if (target[0].shape.size() != 1)
    ctx.fail("the Reshape target must be 1-D, got " + shape_to_string(target[0].shape));
  const size_t rank = target[0].v.size();
  const Shape in[kProbes] = {ctx.probe_shape(data, 0), ctx.probe_shape(data, 1)};
  ReshapeTarget out{std::vector<int64_t>(rank, 0), std::vector<int32_t>(rank, -1)};
  int inferred = -1;
  auto infer_here = [&](size_t i) {
    if (inferred >= 0)
      ctx.fail("the Reshape target has two dimensions (" + std::to_string(inferred) + " and " +
               std::to_string(i) + ") that depend on the input size and match no input dimension; "
               "only one can be inferred");
    inferred = static_cast<int>(i);
    out.shape[i] = -1;
  };
  for (size_t i = 0; i < rank; ++i) {
    const int64_t a = target[0].as_int(i), b = target[1].as_int(i);
    if (a == b) {
      if (a == 0 && !allow_zero) {
        if (i >= in[0].size()) ctx.fail("Reshape target copies input dim " + std::to_string(i) + ", which does not exist");
        out.copy_from[i] = static_cast<int32_t>(i);
      } else if (a == -1) {
        infer_here(i);
      } else {
        out.shape[i] = a;
      }
      continue;
    }
    // Input-size dependent: copy the input dim that has the same value under
    // both probes, preferring the same index.
    int match = -1;
    for (size_t k = 0; k < in[0].size(); ++k)
      if (in[0][k] == a && in[1][k] == b && (match < 0 || k == i)) match = static_cast<int>(k);
    if (match >= 0)
      out.copy_from[i] = match;
    else
      infer_here(i);
  }
  return out;
}

void add_reshape(ImportContext& ctx, int input, ReshapeTarget target) {
  ctx.add_node(std::make_unique<ops::ReshapeOp>(std::move(target.shape),
                                                std::move(target.copy_from)),
               {input});
}

}  // namespace

ReshapeTarget reshape_target(ImportContext& ctx, const std::vector<int64_t>& values,
                             bool allow_zero, size_t input_rank) {
  ReshapeTarget target;
  target.shape.assign(values.size(), 0);
  target.copy_from.assign(values.size(), -1);
  bool inferred = false, zero = false;
  for (size_t i = 0; i < values.size(); ++i) {
    const int64_t v = values[i];
    if (v < -1) ctx.fail("shape " + ints_to_string(values) + " has the invalid value " + std::to_string(v));
    if (v == -1) {
      if (inferred) ctx.fail("shape " + ints_to_string(values) + " has more than one -1");
      inferred = true;
      target.shape[i] = -1;
    } else if (v == 0 && !allow_zero) {
      if (i >= input_rank)
        ctx.fail("shape " + ints_to_string(values) + " copies dim " + std::to_string(i) +
                 " (value 0) but the input has rank " + std::to_string(input_rank));
      target.copy_from[i] = static_cast<int32_t>(i);
    } else {
      zero = zero || v == 0;
      target.shape[i] = v;
    }
  }
  if (zero && inferred)
    ctx.fail("shape " + ints_to_string(values) + " has both 0 and -1 with allowzero=1");
  return target;
}

void import_reshape(ImportContext& ctx) {
  const int data = ctx.float_input(0);
  const bool allow_zero = ctx.attr_int("allowzero", 0) != 0;
  if (ctx.is_probed(1)) {
    add_reshape(ctx, data, probed_reshape_target(ctx, data, *ctx.known_input(1), allow_zero));
    return;
  }
  auto values = ctx.constant_ints(1);
  if (!values)
    ctx.fail("Reshape shape input '" + ctx.node().input(1) +
             "' is not a constant; only constant target shapes are supported");
  add_reshape(ctx, data, reshape_target(ctx, *values, allow_zero, ctx.tensor(data).shape.size()));
}

void import_flatten(ImportContext& ctx) {
  const int data = ctx.float_input(0);
  const Shape in = ctx.tensor(data).shape;
  const auto rank = static_cast<int64_t>(in.size());
  int64_t axis = ctx.attr_int("axis", 1);
  if (axis < -rank || axis > rank)
    ctx.fail("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  if (axis < 0) axis += rank;
  const Shape outer(in.begin(), in.begin() + axis), inner(in.begin() + axis, in.end());
  ReshapeTarget target{{-1, -1}, {-1, -1}};
  // One side must be a known number (or a single copied dim) for the other
  // to be inferred.
  if (is_static(outer)) {
    target.shape[0] = element_count(outer);
  } else if (is_static(inner)) {
    target.shape[1] = element_count(inner);
  } else if (axis == 1) {
    target.copy_from[0] = 0;
  } else {
    ctx.fail("Flatten at axis " + std::to_string(axis) + " of input " + shape_to_string(in) +
             " multiplies several unknown dims; only one unknown dim per side is supported");
  }
  add_reshape(ctx, data, std::move(target));
}

void import_squeeze(ImportContext& ctx) {
  const int data = ctx.float_input(0);
  const Shape in = ctx.tensor(data).shape;
  const auto rank = static_cast<int64_t>(in.size());
  std::vector<int64_t> axes;
  if (auto given = axes_parameter(ctx, "Squeeze")) {
    axes = normalized_axes(ctx, *given, rank);
  } else {
    for (int64_t d = 0; d < rank; ++d) {
      if (in[static_cast<size_t>(d)] == kUnknownDim)
        ctx.fail("Squeeze without axes on input " + shape_to_string(in) +
                 " with unknown dims; give the axes explicitly");
      if (in[static_cast<size_t>(d)] == 1) axes.push_back(d);
    }
  }
  ReshapeTarget target;
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t dim = in[static_cast<size_t>(d)];
    if (std::binary_search(axes.begin(), axes.end(), d)) {
      if (dim != 1 && dim != kUnknownDim)
        ctx.fail("Squeeze axis " + std::to_string(d) + " of input " + shape_to_string(in) +
                 " has size " + std::to_string(dim) + ", not 1");
      continue;
    }
    target.shape.push_back(0);
    target.copy_from.push_back(static_cast<int32_t>(d));
  }
  add_reshape(ctx, data, std::move(target));
}

void import_unsqueeze(ImportContext& ctx) {
  const int data = ctx.float_input(0);
  const size_t in_rank = ctx.tensor(data).shape.size();
  auto given = axes_parameter(ctx, "Unsqueeze");
  if (!given) ctx.fail("Unsqueeze without axes");
  const auto out_rank = static_cast<int64_t>(in_rank + given->size());
  const std::vector<int64_t> axes = normalized_axes(ctx, *given, out_rank);
  ReshapeTarget target;
  int32_t next = 0;
  for (int64_t d = 0; d < out_rank; ++d) {
    const bool inserted = std::binary_search(axes.begin(), axes.end(), d);
    target.shape.push_back(inserted ? 1 : 0);
    target.copy_from.push_back(inserted ? -1 : next++);
  }
  add_reshape(ctx, data, std::move(target));
}

}  // namespace fennec::onnx_import
