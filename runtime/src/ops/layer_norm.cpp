#include "ops/layer_norm.h"

#include <cmath>

#include <fmt/format.h>

namespace fennec::ops {
namespace {

// Checks that a scale/bias shape is one value or X's normalized dims.
Status check_affine(const Shape& param, const Shape& x, size_t axis, const char* what) {
  const size_t norm_rank = x.size() - axis;
  size_t first = 0;
  // Leading size-1 dims beyond the normalized rank broadcast away.
  while (param.size() - first > norm_rank && param[first] == 1) ++first;
  if (param.size() - first > norm_rank)
    return make_error(StatusCode::kInvalidModel, "LAYER_NORM: {} {} has more dims than X {} from axis {}",
                      what, shape_to_string(param), shape_to_string(x), axis);
  bool all_one = true;
  for (size_t i = first; i < param.size(); ++i) all_one = all_one && param[i] == 1;
  if (all_one) return ok_status();
  if (param.size() - first != norm_rank)
    return make_error(StatusCode::kUnsupported,
                      "LAYER_NORM: {} {} must be one value or match X {} on axes [{}, {})", what,
                      shape_to_string(param), shape_to_string(x), axis, x.size());
  for (size_t i = 0; i < norm_rank; ++i) {
    const int64_t p = param[first + i], d = x[axis + i];
    if (p != d && p != kUnknownDim && d != kUnknownDim)
      return make_error(StatusCode::kUnsupported,
                        "LAYER_NORM: {} {} must be one value or match X {} on axes [{}, {})",
                        what, shape_to_string(param), shape_to_string(x), axis, x.size());
  }
  return ok_status();
}

}  // namespace

Status LayerNormOp::infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const {
  if (inputs.size() != 2 && inputs.size() != 3)
    return make_error(StatusCode::kInvalidModel,
                      "LAYER_NORM takes 2 or 3 inputs (X, scale, optional bias), got {}",
                      inputs.size());
  const Shape& x = inputs[0];
  if (axis_ < 0 || static_cast<size_t>(axis_) >= x.size())
    return make_error(StatusCode::kInvalidModel,
                      "LAYER_NORM: axis {} is out of range for X {}; the converter must "
                      "normalize the axis to [0, rank)",
                      axis_, shape_to_string(x));
  const auto axis = static_cast<size_t>(axis_);
  FENNEC_RETURN_IF_ERROR(check_affine(inputs[1], x, axis, "scale"));
  if (inputs.size() == 3 && !inputs[2].empty())
    FENNEC_RETURN_IF_ERROR(check_affine(inputs[2], x, axis, "bias"));
  outputs = {x};
  return ok_status();
}

Status LayerNormOp::reference(std::span<const HostTensor* const> inputs,
                              std::span<HostTensor> outputs) const {
  FENNEC_RETURN_IF_ERROR(require_float32(*this, inputs));
  const Shape& shape = inputs[0]->shape;
  const int64_t size = element_count(Shape(shape.begin() + axis_, shape.end()));
  const int64_t rows = size == 0 ? 0 : element_count(shape) / size;
  auto x = inputs[0]->as<float>();
  auto scale = inputs[1]->as<float>();
  const HostTensor* bias_tensor = inputs.size() > 2 ? inputs[2] : nullptr;
  std::span<const float> bias;
  if (bias_tensor) bias = bias_tensor->as<float>();
  auto y = outputs[0].as<float>();
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x.data() + r * size;
    // Two passes (mean, then squared deviations) in double: no cancellation.
    double mean = 0.0;
    for (int64_t j = 0; j < size; ++j) mean += row[j];
    mean /= static_cast<double>(size);
    double var = 0.0;
    for (int64_t j = 0; j < size; ++j) var += (row[j] - mean) * (row[j] - mean);
    var /= static_cast<double>(size);
    const double inv_std = 1.0 / std::sqrt(var + static_cast<double>(epsilon_));
    for (int64_t j = 0; j < size; ++j) {
      const auto k = static_cast<size_t>(j);
      double v = (row[j] - mean) * inv_std * scale[scale.size() == 1 ? 0 : k];
      if (!bias.empty()) v += bias[bias.size() == 1 ? 0 : k];
      y[static_cast<size_t>(r * size + j)] = static_cast<float>(v);
    }
  }
  return ok_status();
}

OptionsOffset LayerNormOp::write_options(flatbuffers::FlatBufferBuilder& fbb) const {
  return {schema::OpOptions::LayerNormOptions,
          schema::CreateLayerNormOptions(fbb, axis_, epsilon_).Union()};
}

std::string LayerNormOp::describe() const {
  return fmt::format("axis={} epsilon={}", axis_, epsilon_);
}

Result<std::unique_ptr<Op>> make_layer_norm(const schema::Operator& op) {
  const auto* options = op.options_as_LayerNormOptions();
  if (!options)
    return make_error(StatusCode::kInvalidModel, "LAYER_NORM without LayerNormOptions");
  if (options->axis() < 0)
    return make_error(StatusCode::kInvalidModel,
                      "LAYER_NORM: axis {} is negative; the converter must normalize it to "
                      "[0, rank)",
                      options->axis());
  if (!(options->epsilon() >= 0.0f))
    return make_error(StatusCode::kInvalidModel, "LAYER_NORM: epsilon {} is negative",
                      options->epsilon());
  return std::unique_ptr<Op>(
      std::make_unique<LayerNormOp>(options->axis(), options->epsilon()));
}

}  // namespace fennec::ops
