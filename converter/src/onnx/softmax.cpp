// Softmax and LogSoftmax. Before opset 13 the input is coerced to 2-D at
// `axis` (default 1) and normalized over all the trailing dims together;
// that equals the opset-13 single-axis form only when `axis` is the last
// axis, so other axes are rejected there.
#include <string>

#include "ops/softmax.h"
#include "onnx/op_importers.h"

namespace fennec::onnx_import {
namespace {

void import_softmax_op(ImportContext& ctx, bool log) {
  const int x = ctx.float_input(0);
  const auto rank = static_cast<int64_t>(ctx.tensor(x).shape.size());
  const bool coerced = ctx.opset() < 13;
  int64_t axis = ctx.attr_int("axis", coerced ? 1 : -1);
  if (axis < -rank || axis >= rank)
    ctx.fail("axis " + std::to_string(axis) + " is out of range for input " +
             shape_to_string(ctx.tensor(x).shape));
  if (axis < 0) axis += rank;
  if (coerced && axis != rank - 1) ctx.unsupported_attribute("axis", std::to_string(axis));
  ctx.add_node(std::make_unique<ops::SoftmaxOp>(static_cast<int>(axis), log), {x});
}

}  // namespace

void import_softmax(ImportContext& ctx) { import_softmax_op(ctx, false); }
void import_log_softmax(ImportContext& ctx) { import_softmax_op(ctx, true); }

}  // namespace fennec::onnx_import
