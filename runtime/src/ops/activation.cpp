#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "ops/cast.h"
#include "ops/op.h"

namespace fennec::ops {

namespace {

// log(1 + exp(x)) without overflow for large x; the shader uses the same form.
float softplus(float x) { return std::max(x, 0.0f) + std::log1p(std::exp(-std::fabs(x))); }

}  // namespace

float Activation::apply(float x) const {
  using K = schema::Activation;
  switch (kind) {
    case K::NONE: return x;
    case K::RELU: return std::max(x, 0.0f);
    case K::CLIP: return std::min(std::max(x, alpha), beta);
    case K::SIGMOID: return 1.0f / (1.0f + std::exp(-x));
    case K::HARD_SIGMOID: return std::clamp(alpha * x + beta, 0.0f, 1.0f);
    case K::HARD_SWISH: return x * std::clamp(x / 6.0f + 0.5f, 0.0f, 1.0f);
    case K::TANH: return std::tanh(x);
    case K::EXP: return std::exp(x);
    case K::LOG: return std::log(x);
    case K::SQRT: return std::sqrt(x);
    case K::ABS: return std::fabs(x);
    case K::NEG: return -x;
    case K::RECIPROCAL: return 1.0f / x;
    case K::ERF: return std::erf(x);
    case K::FLOOR: return std::floor(x);
    case K::CEIL: return std::ceil(x);
    // Half to even, independent of the floating-point rounding mode that
    // nearbyint would depend on.
    case K::ROUND: {
      const float r = std::round(x);
      return (std::fabs(x - std::trunc(x)) == 0.5f) ? 2.0f * std::round(x / 2.0f) : r;
    }
    case K::SIGN: return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
    case K::SIN: return std::sin(x);
    case K::COS: return std::cos(x);
    case K::TAN: return std::tan(x);
    case K::ASIN: return std::asin(x);
    case K::ACOS: return std::acos(x);
    case K::ATAN: return std::atan(x);
    case K::SINH: return std::sinh(x);
    case K::COSH: return std::cosh(x);
    case K::ASINH: return std::asinh(x);
    case K::ACOSH: return std::acosh(x);
    case K::ATANH: return std::atanh(x);
    case K::LEAKY_RELU: return x >= 0.0f ? x : alpha * x;
    case K::ELU: return x >= 0.0f ? x : alpha * std::expm1(x);
    case K::SELU: return beta * (x > 0.0f ? x : alpha * std::expm1(x));
    case K::CELU: return std::max(0.0f, x) + std::min(0.0f, alpha * std::expm1(x / alpha));
    case K::SOFTPLUS: return softplus(x);
    case K::SOFTSIGN: return x / (1.0f + std::fabs(x));
    case K::GELU: return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
    case K::GELU_TANH: {
      const float inner = 0.79788456080286536f * (x + 0.044715f * x * x * x);
      return 0.5f * x * (1.0f + std::tanh(inner));
    }
    case K::SILU: return x / (1.0f + std::exp(-x));
    case K::THRESHOLDED_RELU: return x > alpha ? x : 0.0f;
    case K::SHRINK: return x < -alpha ? x + beta : (x > alpha ? x - beta : 0.0f);
    case K::MISH: return x * std::tanh(softplus(x));
  }
  return x;
}

std::string Activation::to_string() const {
  using K = schema::Activation;
  switch (kind) {
    case K::CLIP: return fmt::format("Clip({}, {})", alpha, beta);
    case K::HARD_SIGMOID: return fmt::format("HardSigmoid({}, {})", alpha, beta);
    case K::LEAKY_RELU:
    case K::ELU:
    case K::CELU:
    case K::THRESHOLDED_RELU: return fmt::format("{}({})", schema::EnumNameActivation(kind), alpha);
    case K::SELU:
    case K::SHRINK:
      return fmt::format("{}({}, {})", schema::EnumNameActivation(kind), alpha, beta);
    default: {
      const char* name = schema::EnumNameActivation(kind);
      return *name ? name : fmt::format("activation#{}", static_cast<int>(kind));
    }
  }
}

Status check_activation(const Activation& activation, std::string_view op) {
  if (activation.kind > schema::Activation::MAX)
    return make_error(StatusCode::kInvalidModel,
                      "{}: activation code {} is unknown; the model is newer than this runtime "
                      "or corrupt",
                      op, static_cast<int>(activation.kind));
  return ok_status();
}

Activation Activation::from_schema(const schema::FusedActivation* fused) {
  Activation a;
  if (fused) {
    a.kind = fused->kind();
    a.alpha = fused->alpha();
    a.beta = fused->beta();
  }
  return a;
}

flatbuffers::Offset<schema::FusedActivation> Activation::write(
    flatbuffers::FlatBufferBuilder& fbb) const {
  return schema::CreateFusedActivation(fbb, kind, alpha, beta);
}

Status require_float32(const Op& op, std::span<const HostTensor* const> inputs) {
  for (const HostTensor* t : inputs)
    if (t && t->dtype != DataType::FLOAT32)
      return make_error(StatusCode::kUnsupported, "{} reference: only FLOAT32 is supported, got {}",
                        op.type_name(), dtype_name(t->dtype));
  return ok_status();
}

Result<std::vector<HostTensor>> run_reference(const Op& op,
                                              std::span<const HostTensor* const> inputs) {
  std::vector<Shape> in_shapes;
  for (const HostTensor* t : inputs) in_shapes.push_back(t ? t->shape : Shape{});
  std::vector<Shape> out_shapes;
  FENNEC_RETURN_IF_ERROR(op.infer_shapes(in_shapes, out_shapes));
  const bool cast = op.type() == OpType::CAST;
  std::vector<HostTensor> outputs;
  for (size_t i = 0; i < out_shapes.size(); ++i) {
    if (!is_static(out_shapes[i]))
      return make_error(StatusCode::kInternal, "{}: output {} shape {} is not static",
                        op.type_name(), i, shape_to_string(out_shapes[i]));
    outputs.emplace_back(cast ? static_cast<const CastOp&>(op).to() : DataType::FLOAT32, out_shapes[i]);
  }
  // A node with binary16 activations computes in float32, as its kernels do:
  // FLOAT16 inputs widen, and the outputs round to FLOAT16.
  std::vector<HostTensor> widened;
  widened.reserve(inputs.size());
  std::vector<const HostTensor*> args(inputs.begin(), inputs.end());
  for (const HostTensor*& arg : args) {
    if (cast || !arg || arg->dtype != DataType::FLOAT16) continue;
    FENNEC_ASSIGN_OR_RETURN(HostTensor wide, convert_dtype(*arg, DataType::FLOAT32));
    widened.push_back(std::move(wide));
    arg = &widened.back();
  }
  FENNEC_RETURN_IF_ERROR(op.reference(args, outputs));
  if (widened.empty()) return outputs;
  for (HostTensor& out : outputs) {
    FENNEC_ASSIGN_OR_RETURN(HostTensor half, convert_dtype(out, DataType::FLOAT16));
    out = std::move(half);
  }
  return outputs;
}

}  // namespace fennec::ops
