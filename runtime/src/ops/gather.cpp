#include "ops/gather.h"

#include <algorithm>

#include <fmt/format.h>

namespace fennec::ops {

Status GatherOp::infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const {
  if (inputs.size() != 2)
    return make_error(StatusCode::kInvalidModel, "GATHER takes 2 inputs (data, indices), got {}",
                      inputs.size());
  const Shape& data = inputs[0];
  const Shape& indices = inputs[1];
  if (axis_ < 0 || static_cast<size_t>(axis_) >= data.size())
    return make_error(StatusCode::kInvalidModel,
                      "GATHER: axis {} is out of range for data {}; the converter must "
                      "normalize the axis to [0, rank)",
                      axis_, shape_to_string(data));
  Shape out(data.begin(), data.begin() + axis_);
  out.insert(out.end(), indices.begin(), indices.end());
  out.insert(out.end(), data.begin() + axis_ + 1, data.end());
  outputs = {std::move(out)};
  return ok_status();
}

Status GatherOp::reference(std::span<const HostTensor* const> inputs,
                           std::span<HostTensor> outputs) const {
  const HostTensor& data = *inputs[0];
  const HostTensor& indices = *inputs[1];
  if (data.dtype != DataType::FLOAT32 || indices.dtype != DataType::INT32)
    return make_error(StatusCode::kUnsupported,
                      "GATHER reference: needs FLOAT32 data and INT32 indices, got {} and {}",
                      dtype_name(data.dtype), dtype_name(indices.dtype));
  const auto axis = static_cast<size_t>(axis_);
  const int64_t axis_dim = data.shape[axis];
  int64_t inner = 1;
  for (size_t d = axis + 1; d < data.shape.size(); ++d) inner *= data.shape[d];
  const int64_t outer = element_count(Shape(data.shape.begin(), data.shape.begin() + axis_));
  auto x = data.as<float>();
  auto idx = indices.as<int32_t>();
  auto y = outputs[0].as<float>();
  float* dst = y.data();
  for (int64_t o = 0; o < outer; ++o) {
    for (int32_t raw : idx) {
      const int64_t i = raw < 0 ? raw + axis_dim : raw;
      if (i < 0 || i >= axis_dim)
        return make_error(StatusCode::kInvalidArgument,
                          "GATHER: index {} is out of range for axis {} of size {}", raw, axis_,
                          axis_dim);
      const float* src = x.data() + (o * axis_dim + i) * inner;
      dst = std::copy(src, src + inner, dst);
    }
  }
  return ok_status();
}

OptionsOffset GatherOp::write_options(flatbuffers::FlatBufferBuilder& fbb) const {
  return {schema::OpOptions::GatherOptions, schema::CreateGatherOptions(fbb, axis_).Union()};
}

std::string GatherOp::describe() const { return fmt::format("axis={}", axis_); }

Result<std::unique_ptr<Op>> make_gather(const schema::Operator& op) {
  const auto* options = op.options_as_GatherOptions();
  if (!options) return make_error(StatusCode::kInvalidModel, "GATHER without GatherOptions");
  if (options->axis() < 0)
    return make_error(StatusCode::kInvalidModel,
                      "GATHER: axis {} is negative; the converter must normalize it to "
                      "[0, rank)",
                      options->axis());
  return std::unique_ptr<Op>(std::make_unique<GatherOp>(options->axis()));
}

}  // namespace fennec::ops
