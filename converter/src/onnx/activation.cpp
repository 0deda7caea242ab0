// Relu, Sigmoid, HardSigmoid, HardSwish and Clip as standalone unary ops
// (the fusion pass later moves them into the producing conv where it can),
// and the parameterized activations LeakyRelu, Elu, Selu, Celu,
// ThresholdedRelu, Shrink and Gelu as UNARY ops with the ONNX defaults.
#include <string>

#include "ops/unary.h"
#include "onnx/op_importers.h"

namespace fennec::onnx_import {
namespace {

// The schema's ClipOptions defaults (no bound).
constexpr float kNoMin = -3.402823e38f;
constexpr float kNoMax = 3.402823e38f;

void add_unary(ImportContext& ctx, OpType type, float alpha = 0.0f, float beta = 0.0f) {
  // The unary kernels compute in fp32; an integer input (a constant, since
  // graph inputs are FLOAT) would come out as FLOAT instead of its own type.
  const DataType dtype = ctx.tensor(ctx.input(0)).dtype;
  if (dtype != DataType::FLOAT32)
    ctx.fail("input '" + ctx.node().input(0) + "' has data type " + dtype_name(dtype) +
             "; only FLOAT is supported");
  ctx.add_node(std::make_unique<ops::UnaryOp>(type, ops::UnaryOp::activation_for(type, alpha, beta)),
               {ctx.input(0)});
}

// Clip's min / max input `i` (opset >= 11): absent -> fallback; otherwise it
// must be a constant with one value.
float clip_bound(ImportContext& ctx, int i, const char* what, float fallback) {
  if (!ctx.has_input(i)) return fallback;
  auto values = ctx.constant_floats(i);
  if (!values)
    ctx.fail(std::string("Clip ") + what + " input '" + ctx.node().input(i) +
             "' is not a constant; only constant bounds are supported");
  if (values->size() != 1)
    ctx.fail(std::string("Clip ") + what + " has " + std::to_string(values->size()) +
             " values, expected a scalar");
  return (*values)[0];
}

// A UNARY op of `kind` on the FLOAT input 0.
void add_activation(ImportContext& ctx, schema::Activation kind, float alpha = 0.0f,
                    float beta = 0.0f) {
  ops::Activation a;
  a.kind = kind;
  a.alpha = alpha;
  a.beta = beta;
  ctx.add_node(std::make_unique<ops::UnaryOp>(OpType::UNARY, a), {ctx.float_input(0)});
}

}  // namespace

void import_leaky_relu(ImportContext& ctx) {
  add_activation(ctx, schema::Activation::LEAKY_RELU, ctx.attr_float("alpha", 0.01f));
}

void import_elu(ImportContext& ctx) {
  add_activation(ctx, schema::Activation::ELU, ctx.attr_float("alpha", 1.0f));
}

void import_selu(ImportContext& ctx) {
  add_activation(ctx, schema::Activation::SELU, ctx.attr_float("alpha", 1.67326319217681884765625f),
                 ctx.attr_float("gamma", 1.05070102214813232421875f));
}

void import_celu(ImportContext& ctx) {
  const float alpha = ctx.attr_float("alpha", 1.0f);
  if (alpha == 0.0f) ctx.unsupported_attribute("alpha", "0");
  add_activation(ctx, schema::Activation::CELU, alpha);
}

void import_thresholded_relu(ImportContext& ctx) {
  add_activation(ctx, schema::Activation::THRESHOLDED_RELU, ctx.attr_float("alpha", 1.0f));
}

void import_shrink(ImportContext& ctx) {
  add_activation(ctx, schema::Activation::SHRINK, ctx.attr_float("lambd", 0.5f),
                 ctx.attr_float("bias", 0.0f));
}

void import_gelu(ImportContext& ctx) {
  const std::string approximate = ctx.attr_string("approximate", "none");
  if (approximate == "none") add_activation(ctx, schema::Activation::GELU);
  else if (approximate == "tanh") add_activation(ctx, schema::Activation::GELU_TANH);
  else ctx.unsupported_attribute("approximate", approximate);
}

void import_relu(ImportContext& ctx) { add_unary(ctx, OpType::RELU); }
void import_sigmoid(ImportContext& ctx) { add_unary(ctx, OpType::SIGMOID); }
void import_hard_swish(ImportContext& ctx) { add_unary(ctx, OpType::HARD_SWISH); }

void import_hard_sigmoid(ImportContext& ctx) {
  add_unary(ctx, OpType::HARD_SIGMOID, ctx.attr_float("alpha", 0.2f), ctx.attr_float("beta", 0.5f));
}

void import_clip(ImportContext& ctx) {
  float min = kNoMin, max = kNoMax;
  if (ctx.opset() < 11) {
    min = ctx.attr_float("min", kNoMin);
    max = ctx.attr_float("max", kNoMax);
  } else {
    min = clip_bound(ctx, 1, "min", kNoMin);
    max = clip_bound(ctx, 2, "max", kNoMax);
  }
  add_unary(ctx, OpType::CLIP, min, max);
}

}  // namespace fennec::onnx_import
