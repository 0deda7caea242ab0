#include "ops/concat.h"

#include <cstring>

#include <fmt/format.h>

namespace fennec::ops {

Status ConcatOp::infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const {
  if (inputs.empty())
    return make_error(StatusCode::kInvalidModel, "CONCAT needs at least 1 input, got 0");
  const size_t rank = inputs[0].size();
  if (axis_ < 0 || static_cast<size_t>(axis_) >= rank)
    return make_error(StatusCode::kInvalidModel,
                      "CONCAT: axis {} is out of range for rank {} (input 0 is {}); the "
                      "converter must normalize the axis to [0, rank)",
                      axis_, rank, shape_to_string(inputs[0]));
  Shape out(rank, kUnknownDim);
  int64_t axis_sum = 0;
  bool axis_unknown = false;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Shape& in = inputs[i];
    if (in.size() != rank)
      return make_error(StatusCode::kInvalidModel,
                        "CONCAT: input {} has rank {} ({}) but input 0 has rank {} ({})", i,
                        in.size(), shape_to_string(in), rank, shape_to_string(inputs[0]));
    for (size_t d = 0; d < rank; ++d) {
      if (static_cast<int>(d) == axis_) continue;
      if (in[d] == kUnknownDim) continue;
      if (out[d] == kUnknownDim) {
        out[d] = in[d];
      } else if (out[d] != in[d]) {
        return make_error(StatusCode::kInvalidModel,
                          "CONCAT on axis {}: input {} is {} but an earlier input has size {} "
                          "on axis {}; all axes but the concat axis must match",
                          axis_, i, shape_to_string(in), out[d], d);
      }
    }
    if (in[axis_] == kUnknownDim)
      axis_unknown = true;
    else
      axis_sum += in[axis_];
  }
  out[axis_] = axis_unknown ? kUnknownDim : axis_sum;
  outputs = {std::move(out)};
  return ok_status();
}

Status ConcatOp::reference(std::span<const HostTensor* const> inputs,
                           std::span<HostTensor> outputs) const {
  HostTensor& y = outputs[0];
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis_; ++d) outer *= y.shape[d];
  for (size_t d = static_cast<size_t>(axis_) + 1; d < y.shape.size(); ++d) inner *= y.shape[d];
  const int64_t out_block = y.shape[axis_] * inner;
  auto dst = y.as<float>();
  int64_t offset = 0;  // in elements within one outer block
  for (const HostTensor* x : inputs) {
    const int64_t block = x->shape[axis_] * inner;
    auto src = x->as<float>();
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(dst.data() + o * out_block + offset, src.data() + o * block,
                  static_cast<size_t>(block) * sizeof(float));
    offset += block;
  }
  return ok_status();
}

OptionsOffset ConcatOp::write_options(flatbuffers::FlatBufferBuilder& fbb) const {
  return {schema::OpOptions::ConcatOptions, schema::CreateConcatOptions(fbb, axis_).Union()};
}

std::string ConcatOp::describe() const { return fmt::format("axis={}", axis_); }

Result<std::unique_ptr<Op>> make_concat(const schema::Operator& op) {
  const auto* options = op.options_as_ConcatOptions();
  if (!options) return make_error(StatusCode::kInvalidModel, "CONCAT without ConcatOptions");
  if (options->axis() < 0)
    return make_error(StatusCode::kInvalidModel,
                      "CONCAT: axis {} is negative; the converter must normalize it to "
                      "[0, rank)",
                      options->axis());
  return std::unique_ptr<Op>(std::make_unique<ConcatOp>(options->axis()));
}

}  // namespace fennec::ops
