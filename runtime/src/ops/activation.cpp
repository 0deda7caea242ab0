#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "ops/op.h"

namespace fennec::ops {

float Activation::apply(float x) const {
  switch (kind) {
    case schema::Activation::NONE: return x;
    case schema::Activation::RELU: return std::max(x, 0.0f);
    case schema::Activation::CLIP: return std::min(std::max(x, alpha), beta);
    case schema::Activation::SIGMOID: return 1.0f / (1.0f + std::exp(-x));
    case schema::Activation::HARD_SIGMOID: return std::clamp(alpha * x + beta, 0.0f, 1.0f);
    case schema::Activation::HARD_SWISH: return x * std::clamp(x / 6.0f + 0.5f, 0.0f, 1.0f);
  }
  return x;
}

std::string Activation::to_string() const {
  switch (kind) {
    case schema::Activation::CLIP: return fmt::format("Clip({}, {})", alpha, beta);
    case schema::Activation::HARD_SIGMOID: return fmt::format("HardSigmoid({}, {})", alpha, beta);
    default: return schema::EnumNameActivation(kind);
  }
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
  std::vector<HostTensor> outputs;
  for (size_t i = 0; i < out_shapes.size(); ++i) {
    if (!is_static(out_shapes[i]))
      return make_error(StatusCode::kInternal, "{}: output {} shape {} is not static",
                        op.type_name(), i, shape_to_string(out_shapes[i]));
    outputs.emplace_back(DataType::FLOAT32, out_shapes[i]);
  }
  FENNEC_RETURN_IF_ERROR(op.reference(inputs, outputs));
  return outputs;
}

}  // namespace fennec::ops
