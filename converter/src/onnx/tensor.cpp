// Concat (axis normalized to be non-negative using the input rank).
#include "ops/concat.h"
#include "onnx/op_importers.h"

namespace fennec::onnx_import {

void import_concat(ImportContext& ctx) {
  if (!ctx.attribute("axis")) ctx.fail("Concat without an axis attribute");
  const int64_t axis = ctx.attr_int("axis", 0);
  std::vector<int> inputs;
  for (int i = 0; i < ctx.node().input_size(); ++i)
    if (ctx.has_input(i)) inputs.push_back(ctx.input(i));
  if (inputs.empty()) ctx.fail("Concat without inputs");
  const int64_t rank = static_cast<int64_t>(ctx.tensor(inputs[0]).shape.size());
  const int64_t normalized = axis < 0 ? axis + rank : axis;
  if (normalized < 0 || normalized >= rank)
    ctx.fail("axis " + std::to_string(axis) + " is out of range for inputs of rank " +
             std::to_string(rank));
  ctx.add_node(std::make_unique<ops::ConcatOp>(static_cast<int>(normalized)), inputs);
}

}  // namespace fennec::onnx_import
