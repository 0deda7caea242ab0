#include "ops/batch_norm.h"

#include <fmt/format.h>

#include <cmath>

namespace fennec::ops {
namespace {

constexpr const char* kParamNames[] = {"scale", "bias", "mean", "var"};

}  // namespace

Status BatchNormOp::infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const {
  if (inputs.size() != 5)
    return make_error(StatusCode::kInvalidModel,
                      "BATCH_NORM takes 5 inputs (X, scale, bias, mean, var), got {}",
                      inputs.size());
  const Shape& x = inputs[0];
  if (x.size() < 2)
    return make_error(StatusCode::kInvalidModel,
                      "BATCH_NORM: input X must have rank >= 2 (channels on axis 1), got {}",
                      shape_to_string(x));
  int64_t channels = x[1];
  for (size_t i = 1; i < 5; ++i) {
    const Shape& s = inputs[i];
    if (s.size() != 1)
      return make_error(StatusCode::kInvalidModel,
                        "BATCH_NORM: {} must be rank 1 (one value per channel), got {}",
                        kParamNames[i - 1], shape_to_string(s));
    if (s[0] < 0) continue;
    if (channels >= 0 && s[0] != channels)
      return make_error(StatusCode::kInvalidModel,
                        "BATCH_NORM: {} has {} values but the input {} has {} channels",
                        kParamNames[i - 1], s[0], shape_to_string(x), channels);
    channels = s[0];
  }
  outputs = {x};
  return ok_status();
}

Status BatchNormOp::reference(std::span<const HostTensor* const> inputs,
                              std::span<HostTensor> outputs) const {
  if (inputs.size() != 5)
    return make_error(StatusCode::kInvalidArgument, "BATCH_NORM reference: 5 inputs required");
  for (const HostTensor* t : inputs)
    if (!t)
      return make_error(StatusCode::kInvalidArgument,
                        "BATCH_NORM reference: X, scale, bias, mean and var are all required");
  FENNEC_RETURN_IF_ERROR(require_float32(*this, inputs));
  const HostTensor& xt = *inputs[0];
  auto x = xt.as<float>();
  auto scale = inputs[1]->as<float>();
  auto bias = inputs[2]->as<float>();
  auto mean = inputs[3]->as<float>();
  auto var = inputs[4]->as<float>();
  auto y = outputs[0].as<float>();

  const int64_t channels = xt.shape[1];
  int64_t inner = 1;
  for (size_t i = 2; i < xt.shape.size(); ++i) inner *= xt.shape[i];
  const int64_t outer = xt.shape[0];
  for (int64_t n = 0; n < outer; ++n)
    for (int64_t c = 0; c < channels; ++c) {
      const double inv_std = 1.0 / std::sqrt(static_cast<double>(var[c]) + epsilon_);
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t at = (n * channels + c) * inner + i;
        y[at] = static_cast<float>((x[at] - static_cast<double>(mean[c])) * inv_std * scale[c] +
                                   bias[c]);
      }
    }
  return ok_status();
}

OptionsOffset BatchNormOp::write_options(flatbuffers::FlatBufferBuilder& fbb) const {
  return {schema::OpOptions::BatchNormOptions,
          schema::CreateBatchNormOptions(fbb, epsilon_).Union()};
}

std::string BatchNormOp::describe() const { return fmt::format("eps={}", epsilon_); }

Result<std::unique_ptr<Op>> make_batch_norm(const schema::Operator& op) {
  const auto* options = op.options_as_BatchNormOptions();
  if (!options)
    return make_error(StatusCode::kInvalidModel,
                      "BATCH_NORM operator without BatchNormOptions; re-convert the model");
  const float epsilon = options->epsilon();
  if (!std::isfinite(epsilon) || epsilon < 0.0f)
    return make_error(StatusCode::kInvalidModel,
                      "BATCH_NORM: epsilon {} must be finite and non-negative", epsilon);
  return std::unique_ptr<Op>(std::make_unique<BatchNormOp>(epsilon));
}

}  // namespace fennec::ops
