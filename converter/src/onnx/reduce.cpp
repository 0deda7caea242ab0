// ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1,
// ReduceL2, ReduceSumSquare, ReduceLogSum, ReduceLogSumExp as REDUCE, and
// GlobalMaxPool as a maximum over the spatial axes.
#include <algorithm>
#include <string>

#include "ops/binary.h"
#include "ops/reduce.h"
#include "ops/unary.h"
#include "onnx/op_importers.h"

namespace fennec::onnx_import {

using schema::ReduceKind;

namespace {

// With noop_with_empty_axes and no axes, ONNX applies the per-element part
// of the reduction without reducing.
void import_noop(ImportContext& ctx, ReduceKind kind, int x) {
  auto unary = [&](schema::Activation k) {
    ops::Activation a;
    a.kind = k;
    ctx.add_node(std::make_unique<ops::UnaryOp>(OpType::UNARY, a), {x});
  };
  switch (kind) {
    case ReduceKind::L1:
    case ReduceKind::L2: unary(schema::Activation::ABS); break;
    case ReduceKind::LOG_SUM: unary(schema::Activation::LOG); break;
    case ReduceKind::SUM_SQUARE:
      ctx.add_node(std::make_unique<ops::BinaryOp>(OpType::MUL), {x, x});
      break;
    default: ctx.bind(ctx.node().output(0), x); break;
  }
}

}  // namespace

template <ReduceKind kind>
void import_reduce(ImportContext& ctx) {
  const int x = ctx.float_input(0);
  const Shape shape = ctx.tensor(x).shape;
  const auto rank = static_cast<int64_t>(shape.size());
  // ReduceSum took axes as an input from opset 13, the others from 18.
  const bool axes_input = ctx.opset() >= 18 || (kind == ReduceKind::SUM && ctx.opset() >= 13);
  std::vector<int64_t> axes;
  if (axes_input) {
    if (ctx.has_input(1)) {
      auto values = ctx.constant_ints(1);
      if (!values)
        ctx.fail("axes input '" + ctx.node().input(1) +
                 "' is not a constant; only constant axes are supported");
      axes = *values;
    }
  } else {
    axes = ctx.attr_ints("axes", {});
  }
  const bool keep_dims = ctx.attr_int("keepdims", 1) != 0;
  const bool noop = axes_input && ctx.attr_int("noop_with_empty_axes", 0) != 0;
  if (axes.empty() && noop) {
    import_noop(ctx, kind, x);
    return;
  }
  std::vector<int> normalized;
  for (int64_t a : axes) {
    if (a < -rank || a >= rank)
      ctx.fail("axis " + std::to_string(a) + " is out of range for input " +
               shape_to_string(shape));
    normalized.push_back(static_cast<int>(a < 0 ? a + rank : a));
  }
  std::sort(normalized.begin(), normalized.end());
  if (std::adjacent_find(normalized.begin(), normalized.end()) != normalized.end())
    ctx.unsupported_attribute("axes", ints_to_string(axes));
  ctx.add_node(std::make_unique<ops::ReduceOp>(kind, std::move(normalized), keep_dims), {x});
}

template void import_reduce<ReduceKind::SUM>(ImportContext&);
template void import_reduce<ReduceKind::MEAN>(ImportContext&);
template void import_reduce<ReduceKind::MAXIMUM>(ImportContext&);
template void import_reduce<ReduceKind::MINIMUM>(ImportContext&);
template void import_reduce<ReduceKind::PROD>(ImportContext&);
template void import_reduce<ReduceKind::L1>(ImportContext&);
template void import_reduce<ReduceKind::L2>(ImportContext&);
template void import_reduce<ReduceKind::SUM_SQUARE>(ImportContext&);
template void import_reduce<ReduceKind::LOG_SUM>(ImportContext&);
template void import_reduce<ReduceKind::LOG_SUM_EXP>(ImportContext&);

void import_global_max_pool(ImportContext& ctx) {
  const int x = ctx.float_input(0);
  const auto rank = static_cast<int>(ctx.tensor(x).shape.size());
  // Without spatial axes there is nothing to pool (and empty REDUCE axes
  // would mean every axis).
  if (rank <= 2) {
    ctx.bind(ctx.node().output(0), x);
    return;
  }
  std::vector<int> axes;
  for (int a = 2; a < rank; ++a) axes.push_back(a);
  ctx.add_node(std::make_unique<ops::ReduceOp>(ReduceKind::MAXIMUM, std::move(axes), true), {x});
}

}  // namespace fennec::onnx_import
