// BatchNormalization: inputs X, scale, B, mean, var. In inference mode only
// Y exists. In training mode (opset 14+) Y normalizes with the batch
// statistics over all axes but the channel axis, and the optional outputs
// are the updated running statistics: running * momentum + batch * (1 - momentum),
// with the population (biased) variance.
// LayerNormalization (opset 17): inputs X, Scale, optional B over the axes
// [axis, rank); only output Y is supported.
#include <string>

#include "ops/batch_norm.h"
#include "ops/binary.h"
#include "ops/layer_norm.h"
#include "ops/reduce.h"
#include "onnx/op_importers.h"

namespace fennec::onnx_import {

namespace {

void import_batch_norm_training(ImportContext& ctx, float epsilon) {
  const int x = ctx.float_input(0);
  const auto rank = static_cast<int>(ctx.tensor(x).shape.size());
  if (rank < 2) ctx.fail("input has rank " + std::to_string(rank) + "; BatchNormalization needs N, C, ...");
  std::vector<int> axes = {0};
  for (int a = 2; a < rank; ++a) axes.push_back(a);
  using ops::ReduceKind;
  auto reduce = [&](int in, bool keep, const char* suffix) {
    return ctx.add_internal_node(std::make_unique<ops::ReduceOp>(ReduceKind::MEAN, axes, keep), {in}, suffix);
  };
  auto binary = [&](OpType type, int a, int b, const char* suffix) {
    return ctx.add_internal_node(std::make_unique<ops::BinaryOp>(type), {a, b}, suffix);
  };
  const int mean_kept = reduce(x, true, "batch_mean_kept");
  const int centered = binary(OpType::SUB, x, mean_kept, "centered");
  const int squared = binary(OpType::MUL, centered, centered, "squared");
  const int var = reduce(squared, false, "batch_var");
  const int mean = reduce(x, false, "batch_mean");
  ctx.add_node(std::make_unique<ops::BatchNormOp>(epsilon),
               {x, ctx.float_input(1), ctx.float_input(2), mean, var});
  const float momentum = ctx.attr_float("momentum", 0.9f);
  auto scalar = [&](const std::string& name, float v) {
    HostTensor t(DataType::FLOAT32, Shape{});
    t.as<float>()[0] = v;
    return ctx.graph().add_constant(ctx.node().output(0) + "/" + name, t);
  };
  const int keep = scalar("momentum", momentum), take = scalar("one_minus_momentum", 1.0f - momentum);
  for (int o = 1; o <= 2; ++o) {
    if (o >= ctx.node().output_size() || ctx.node().output(o).empty()) continue;
    const int running = ctx.float_input(o == 1 ? 3 : 4);
    const int kept = binary(OpType::MUL, running, keep, o == 1 ? "mean_kept" : "var_kept");
    const int batch = binary(OpType::MUL, o == 1 ? mean : var, take, o == 1 ? "mean_new" : "var_new");
    ctx.add_node(std::make_unique<ops::BinaryOp>(OpType::ADD), {kept, batch}, o);
  }
}

}  // namespace

void import_batch_normalization(ImportContext& ctx) {
  const int64_t training = ctx.attr_int("training_mode", 0);
  if (training != 0 && training != 1) ctx.unsupported_attribute("training_mode", std::to_string(training));
  if (training == 1) {
    import_batch_norm_training(ctx, ctx.attr_float("epsilon", 1e-5f));
    return;
  }
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
