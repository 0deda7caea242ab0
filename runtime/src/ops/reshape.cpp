#include "ops/reshape.h"

#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace fennec::ops {
namespace {

// Checks the option invariants; shared by make_reshape and infer_shapes so
// a hand-built op fails the same way as a loaded one.
Status validate(const std::vector<int64_t>& shape, const std::vector<int32_t>& copy_from) {
  if (!copy_from.empty() && copy_from.size() != shape.size())
    return make_error(StatusCode::kInvalidModel,
                      "RESHAPE: copy_from has {} entries but shape has {}; they must match",
                      copy_from.size(), shape.size());
  int inferred = 0;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (!copy_from.empty() && copy_from[i] >= 0) continue;
    if (!copy_from.empty() && copy_from[i] < -1)
      return make_error(StatusCode::kInvalidModel, "RESHAPE: copy_from[{}] = {} is invalid", i,
                        copy_from[i]);
    if (shape[i] < -1)
      return make_error(StatusCode::kInvalidModel, "RESHAPE: shape[{}] = {} is invalid", i,
                        shape[i]);
    if (shape[i] == -1 && ++inferred > 1)
      return make_error(StatusCode::kInvalidModel,
                        "RESHAPE: shape [{}] has more than one -1 (inferred) dim",
                        fmt::join(shape, ","));
  }
  return ok_status();
}

}  // namespace

ReshapeOp::ReshapeOp(std::vector<int64_t> shape, std::vector<int32_t> copy_from)
    : shape_(std::move(shape)), copy_from_(std::move(copy_from)) {}

Status ReshapeOp::infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const {
  if (inputs.size() != 1)
    return make_error(StatusCode::kInvalidModel, "RESHAPE takes 1 input, got {}", inputs.size());
  FENNEC_RETURN_IF_ERROR(validate(shape_, copy_from_));
  const Shape& in = inputs[0];
  Shape out(shape_.size(), kUnknownDim);
  // The inferred dim is (product of input dims) / (product of the other
  // output dims). Input dims that are copied cancel against their copies, so
  // an unknown batch dim copied through does not block the inference.
  std::vector<bool> cancelled(in.size(), false);
  int inferred = -1;
  int64_t out_rest = 1;
  bool out_known = true;
  for (size_t i = 0; i < shape_.size(); ++i) {
    const int32_t from = copy_from_.empty() ? -1 : copy_from_[i];
    if (from >= 0) {
      if (static_cast<size_t>(from) >= in.size())
        return make_error(StatusCode::kInvalidModel,
                          "RESHAPE: output axis {} copies input axis {} but the input {} has "
                          "rank {}",
                          i, from, shape_to_string(in), in.size());
      out[i] = in[static_cast<size_t>(from)];
      if (!cancelled[static_cast<size_t>(from)]) {
        cancelled[static_cast<size_t>(from)] = true;
        continue;
      }
    } else if (shape_[i] == -1) {
      inferred = static_cast<int>(i);
      continue;
    } else {
      out[i] = shape_[i];
    }
    if (out[i] == kUnknownDim) out_known = false;
    else out_rest *= out[i];
  }
  int64_t in_rest = 1;
  bool in_known = true;
  for (size_t d = 0; d < in.size(); ++d) {
    if (cancelled[d]) continue;
    if (in[d] == kUnknownDim) in_known = false;
    else in_rest *= in[d];
  }
  if (inferred >= 0 && in_known && out_known) {
    if (out_rest == 0 || in_rest % out_rest != 0)
      return make_error(StatusCode::kInvalidModel,
                        "RESHAPE: cannot infer the -1 dim of [{}] from input {}",
                        fmt::join(shape_, ","), shape_to_string(in));
    out[static_cast<size_t>(inferred)] = in_rest / out_rest;
  } else if (inferred < 0 && in_known && out_known && in_rest != out_rest) {
    return make_error(StatusCode::kInvalidModel,
                      "RESHAPE: input {} cannot be reshaped to {}: the element counts differ",
                      shape_to_string(in), shape_to_string(out));
  }
  outputs = {std::move(out)};
  return ok_status();
}

Status ReshapeOp::reference(std::span<const HostTensor* const> inputs,
                            std::span<HostTensor> outputs) const {
  FENNEC_RETURN_IF_ERROR(require_float32(*this, inputs));
  std::memcpy(outputs[0].bytes.data(), inputs[0]->bytes.data(), inputs[0]->bytes.size());
  return ok_status();
}

OptionsOffset ReshapeOp::write_options(flatbuffers::FlatBufferBuilder& fbb) const {
  auto shape = fbb.CreateVector(shape_);
  auto copy_from = copy_from_.empty() ? 0 : fbb.CreateVector(copy_from_);
  return {schema::OpOptions::ReshapeOptions,
          schema::CreateReshapeOptions(fbb, shape, copy_from).Union()};
}

std::string ReshapeOp::describe() const {
  if (copy_from_.empty()) return fmt::format("shape=[{}]", fmt::join(shape_, ","));
  return fmt::format("shape=[{}] copy_from=[{}]", fmt::join(shape_, ","),
                     fmt::join(copy_from_, ","));
}

Result<std::unique_ptr<Op>> make_reshape(const schema::Operator& op) {
  const auto* options = op.options_as_ReshapeOptions();
  if (!options || !options->shape())
    return make_error(StatusCode::kInvalidModel, "RESHAPE without ReshapeOptions.shape");
  std::vector<int64_t> shape(options->shape()->begin(), options->shape()->end());
  std::vector<int32_t> copy_from;
  if (options->copy_from()) copy_from.assign(options->copy_from()->begin(), options->copy_from()->end());
  FENNEC_RETURN_IF_ERROR(validate(shape, copy_from));
  return std::unique_ptr<Op>(std::make_unique<ReshapeOp>(std::move(shape), std::move(copy_from)));
}

}  // namespace fennec::ops
