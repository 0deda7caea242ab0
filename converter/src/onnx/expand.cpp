// Expand with a constant target shape.
#include "ops/expand.h"
#include "onnx/op_importers.h"

namespace fennec::onnx_import {

void import_expand(ImportContext& ctx) {
  const int data = ctx.float_input(0);
  auto shape = ctx.constant_ints(1);
  if (!shape)
    ctx.fail("Expand shape input '" + ctx.node().input(1) +
             "' is not a constant; only constant target shapes are supported");
  for (int64_t d : *shape)
    if (d < 0) ctx.fail("Expand shape " + ints_to_string(*shape) + " has a negative dim");
  ctx.add_node(std::make_unique<ops::ExpandOp>(std::move(*shape)), {data});
}

}  // namespace fennec::onnx_import
