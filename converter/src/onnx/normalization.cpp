// BatchNormalization (inference mode): inputs X, scale, B, mean, var. Only
// the first output (Y) is imported; the running-statistics outputs exist
// only in training mode.
#include "ops/batch_norm.h"
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

}  // namespace fennec::onnx_import
