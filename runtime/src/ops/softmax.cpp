#include "ops/softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace fennec::ops {

Status SoftmaxOp::infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const {
  if (inputs.size() != 1)
    return make_error(StatusCode::kInvalidModel, "SOFTMAX takes 1 input, got {}", inputs.size());
  if (axis_ < 0 || static_cast<size_t>(axis_) >= inputs[0].size())
    return make_error(StatusCode::kInvalidModel,
                      "SOFTMAX: axis {} is out of range for input {}; the converter must "
                      "normalize the axis to [0, rank)",
                      axis_, shape_to_string(inputs[0]));
  outputs = {inputs[0]};
  return ok_status();
}

Status SoftmaxOp::reference(std::span<const HostTensor* const> inputs,
                            std::span<HostTensor> outputs) const {
  FENNEC_RETURN_IF_ERROR(require_float32(*this, inputs));
  const Shape& shape = inputs[0]->shape;
  const auto axis = static_cast<size_t>(axis_);
  const int64_t dim = shape[axis];
  const int64_t outer = element_count(Shape(shape.begin(), shape.begin() + axis_));
  const int64_t inner = element_count(Shape(shape.begin() + axis_ + 1, shape.end()));
  auto x = inputs[0]->as<float>();
  auto y = outputs[0].as<float>();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t k = 0; k < inner; ++k) {
      const int64_t base = o * dim * inner + k;
      auto at = [&](int64_t j) { return static_cast<size_t>(base + j * inner); };
      // Subtracting the row maximum keeps exp() from overflowing; the sum
      // accumulates in double.
      float max = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < dim; ++j) max = std::max(max, x[at(j)]);
      double sum = 0.0;
      for (int64_t j = 0; j < dim; ++j) sum += std::exp(static_cast<double>(x[at(j)]) - max);
      const double log_sum = std::log(sum);
      for (int64_t j = 0; j < dim; ++j) {
        const double shifted = static_cast<double>(x[at(j)]) - max;
        y[at(j)] = static_cast<float>(log_ ? shifted - log_sum : std::exp(shifted) / sum);
      }
    }
  }
  return ok_status();
}

OptionsOffset SoftmaxOp::write_options(flatbuffers::FlatBufferBuilder& fbb) const {
  return {schema::OpOptions::SoftmaxOptions,
          schema::CreateSoftmaxOptions(fbb, axis_, log_).Union()};
}

std::string SoftmaxOp::describe() const {
  return fmt::format("axis={}{}", axis_, log_ ? " log" : "");
}

Result<std::unique_ptr<Op>> make_softmax(const schema::Operator& op) {
  const auto* options = op.options_as_SoftmaxOptions();
  if (!options) return make_error(StatusCode::kInvalidModel, "SOFTMAX without SoftmaxOptions");
  if (options->axis() < 0)
    return make_error(StatusCode::kInvalidModel,
                      "SOFTMAX: axis {} is negative; the converter must normalize it to "
                      "[0, rank)",
                      options->axis());
  return std::unique_ptr<Op>(std::make_unique<SoftmaxOp>(options->axis(), options->log()));
}

}  // namespace fennec::ops
