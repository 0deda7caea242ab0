// BatchNormalization (inference mode): inputs X, scale, B, mean, var. Only
// the first output (Y) is imported; the running-statistics outputs exist
// only in training mode.
// LayerNormalization (opset 17): inputs X, Scale, optional B over the axes
// [axis, rank); only output Y is supported.
#include <string>

#include "ops/batch_norm.h"
#include "ops/layer_norm.h"
#include "onnx/op_importers.h"

namespace fennec::onnx_import {

void import_batch_normalization(ImportContext& ctx) {
  if (const int64_t training = ctx.attr_int("training_mode", 0); training != 0)
    ctx.unsupported_attribute("training_mode", std::to_string(training));
  // Opsets before 9: spatial=0 means per-activation statistics.
  if (ctx.opset() < 9)
    if (const int64_t spatial = ctx.attr_int("spatial", 1); spatial != 1)
      ctx.unsupported_attribute("spatial", std::to_string(spatial));
  const float epsilon = ctx.attr_float("epsilon", 1e-5f);
  std::vector<int> inputs;
  for (int i = 0; i < 5; ++i) inputs.push_back(ctx.input(i));
  ctx.add_node(std::make_unique<ops::BatchNormOp>(epsilon), inputs);
}

void import_layer_normalization(ImportContext& ctx) {
  for (int i = 1; i < ctx.node().output_size(); ++i)
    if (!ctx.node().output(i).empty())
      ctx.fail("output " + std::to_string(i) + " ('" + ctx.node().output(i) +
               "', the saved Mean / InvStdDev) is used; only output Y is supported");
  const int x = ctx.float_input(0);
  const Shape shape = ctx.tensor(x).shape;
  const auto rank = static_cast<int64_t>(shape.size());
  int64_t axis = ctx.attr_int("axis", -1);
  if (axis < -rank || axis >= rank)
    ctx.fail("axis " + std::to_string(axis) + " is out of range for input " +
             shape_to_string(shape));
  if (axis < 0) axis += rank;
  const int scale = ctx.float_input(1);
  const int bias = ctx.has_input(2) ? ctx.float_input(2) : -1;
  ctx.add_node(std::make_unique<ops::LayerNormOp>(static_cast<int>(axis),
                                                  ctx.attr_float("epsilon", 1e-5f)),
               {x, scale, bias});
}

}  // namespace fennec::onnx_import
