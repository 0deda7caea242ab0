#include "ops/expand.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace fennec::ops {

Status ExpandOp::infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const {
  if (inputs.size() != 1)
    return make_error(StatusCode::kInvalidModel, "EXPAND takes 1 input, got {}", inputs.size());
  const Shape& in = inputs[0];
  const size_t rank = std::max(in.size(), shape_.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Dims aligned on the right; a missing dim acts as 1.
    const int64_t a = i + in.size() >= rank ? in[i + in.size() - rank] : 1;
    const int64_t b = i + shape_.size() >= rank ? shape_[i + shape_.size() - rank] : 1;
    if (b < 0)
      return make_error(StatusCode::kInvalidModel, "EXPAND: shape [{}] has a negative dim",
                        fmt::join(shape_, ","));
    if (b == 1) {
      out[i] = a;
    } else if (a == 1 || a == b || a == kUnknownDim) {
      // An unknown input dim must be 1 or b for the model to be valid.
      out[i] = b;
    } else {
      return make_error(StatusCode::kInvalidModel,
                        "EXPAND: input {} does not broadcast to shape [{}] (axis {}: {} vs {})",
                        shape_to_string(in), fmt::join(shape_, ","), i, a, b);
    }
  }
  outputs = {std::move(out)};
  return ok_status();
}

StridedView ExpandOp::view(const Shape& in, const Shape& out) const {
  const std::vector<int64_t> in_strides = dense_strides(in);
  StridedView v{out, std::vector<int64_t>(out.size(), 0), 0};
  const size_t lead = out.size() - in.size();
  for (size_t d = 0; d < in.size(); ++d)
    if (in[d] != 1) v.strides[lead + d] = in_strides[d];
  return v;
}

Status ExpandOp::reference(std::span<const HostTensor* const> inputs,
                           std::span<HostTensor> outputs) const {
  FENNEC_RETURN_IF_ERROR(require_float32(*this, inputs));
  copy_strided(view(inputs[0]->shape, outputs[0].shape), inputs[0]->as<float>().data(),
               outputs[0].as<float>().data());
  return ok_status();
}

OptionsOffset ExpandOp::write_options(flatbuffers::FlatBufferBuilder& fbb) const {
  return {schema::OpOptions::ExpandOptions,
          schema::CreateExpandOptions(fbb, fbb.CreateVector(shape_)).Union()};
}

std::string ExpandOp::describe() const {
  return fmt::format("shape=[{}]", fmt::join(shape_, ","));
}

Result<std::unique_ptr<Op>> make_expand(const schema::Operator& op) {
  const auto* options = op.options_as_ExpandOptions();
  if (!options || !options->shape())
    return make_error(StatusCode::kInvalidModel, "EXPAND without ExpandOptions.shape");
  std::vector<int64_t> shape(options->shape()->begin(), options->shape()->end());
  for (int64_t d : shape)
    if (d < 0)
      return make_error(StatusCode::kInvalidModel, "EXPAND: shape [{}] has a negative dim",
                        fmt::join(shape, ","));
  return std::unique_ptr<Op>(std::make_unique<ExpandOp>(std::move(shape)));
}

}  // namespace fennec::ops
