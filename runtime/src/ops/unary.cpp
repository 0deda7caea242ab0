#include "ops/unary.h"

namespace fennec::ops {

Activation UnaryOp::activation_for(OpType type, float alpha, float beta) {
  Activation a;
  a.alpha = alpha;
  a.beta = beta;
  switch (type) {
    case OpType::RELU: a.kind = schema::Activation::RELU; break;
    case OpType::CLIP: a.kind = schema::Activation::CLIP; break;
    case OpType::SIGMOID: a.kind = schema::Activation::SIGMOID; break;
    case OpType::HARD_SIGMOID: a.kind = schema::Activation::HARD_SIGMOID; break;
    case OpType::HARD_SWISH: a.kind = schema::Activation::HARD_SWISH; break;
    default: a.kind = schema::Activation::NONE; break;
  }
  return a;
}

Status UnaryOp::infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const {
  if (inputs.size() != 1)
    return make_error(StatusCode::kInvalidModel, "{} takes 1 input, got {}", type_name(),
                      inputs.size());
  outputs = {inputs[0]};
  return ok_status();
}

Status UnaryOp::reference(std::span<const HostTensor* const> inputs,
                          std::span<HostTensor> outputs) const {
  auto x = inputs[0]->as<float>();
  auto y = outputs[0].as<float>();
  for (size_t i = 0; i < x.size(); ++i) y[i] = activation_.apply(x[i]);
  return ok_status();
}

OptionsOffset UnaryOp::write_options(flatbuffers::FlatBufferBuilder& fbb) const {
  if (type_ == OpType::CLIP)
    return {schema::OpOptions::ClipOptions,
            schema::CreateClipOptions(fbb, activation_.alpha, activation_.beta).Union()};
  if (type_ == OpType::UNARY)
    return {schema::OpOptions::UnaryOptions,
            schema::CreateUnaryOptions(fbb, activation_.kind, activation_.alpha, activation_.beta)
                .Union()};
  if (type_ == OpType::HARD_SIGMOID)
    return {schema::OpOptions::HardSigmoidOptions,
            schema::CreateHardSigmoidOptions(fbb, activation_.alpha, activation_.beta).Union()};
  return {schema::OpOptions::NONE, 0};
}

Result<std::unique_ptr<Op>> make_unary(const schema::Operator& op) {
  if (op.type() == OpType::UNARY) {
    const auto* options = op.options_as_UnaryOptions();
    if (!options) return make_error(StatusCode::kInvalidModel, "UNARY without UnaryOptions");
    Activation a;
    a.kind = options->kind();
    a.alpha = options->alpha();
    a.beta = options->beta();
    FENNEC_RETURN_IF_ERROR(check_activation(a, "UNARY"));
    return std::unique_ptr<Op>(std::make_unique<UnaryOp>(OpType::UNARY, a));
  }
  float alpha = 0.0f, beta = 0.0f;
  if (op.type() == OpType::CLIP) {
    const auto* options = op.options_as_ClipOptions();
    if (!options) return make_error(StatusCode::kInvalidModel, "CLIP without ClipOptions");
    alpha = options->min();
    beta = options->max();
  } else if (op.type() == OpType::HARD_SIGMOID) {
    const auto* options = op.options_as_HardSigmoidOptions();
    if (!options)
      return make_error(StatusCode::kInvalidModel, "HARD_SIGMOID without HardSigmoidOptions");
    alpha = options->alpha();
    beta = options->beta();
  }
  return std::unique_ptr<Op>(
      std::make_unique<UnaryOp>(op.type(), UnaryOp::activation_for(op.type(), alpha, beta)));
}

}  // namespace fennec::ops
