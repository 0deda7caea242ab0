#include "ops/transpose.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace fennec::ops {
namespace {

Status validate(const std::vector<int32_t>& perm) {
  std::vector<bool> seen(perm.size(), false);
  for (int32_t p : perm) {
    if (p < 0 || static_cast<size_t>(p) >= perm.size() || seen[static_cast<size_t>(p)])
      return make_error(StatusCode::kInvalidModel,
                        "TRANSPOSE: perm [{}] is not a permutation of 0..{}",
                        fmt::join(perm, ","), static_cast<int64_t>(perm.size()) - 1);
    seen[static_cast<size_t>(p)] = true;
  }
  return ok_status();
}

}  // namespace

Status TransposeOp::infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const {
  if (inputs.size() != 1)
    return make_error(StatusCode::kInvalidModel, "TRANSPOSE takes 1 input, got {}", inputs.size());
  FENNEC_RETURN_IF_ERROR(validate(perm_));
  const Shape& in = inputs[0];
  if (in.size() != perm_.size())
    return make_error(StatusCode::kInvalidModel,
                      "TRANSPOSE: perm [{}] has {} entries but the input {} has rank {}",
                      fmt::join(perm_, ","), perm_.size(), shape_to_string(in), in.size());
  Shape out(in.size());
  for (size_t i = 0; i < perm_.size(); ++i) out[i] = in[static_cast<size_t>(perm_[i])];
  outputs = {std::move(out)};
  return ok_status();
}

StridedView TransposeOp::view(const Shape& in) const {
  const std::vector<int64_t> in_strides = dense_strides(in);
  StridedView v;
  for (int32_t p : perm_) {
    v.dims.push_back(in[static_cast<size_t>(p)]);
    v.strides.push_back(in_strides[static_cast<size_t>(p)]);
  }
  return v;
}

Status TransposeOp::reference(std::span<const HostTensor* const> inputs,
                              std::span<HostTensor> outputs) const {
  FENNEC_RETURN_IF_ERROR(require_float32(*this, inputs));
  copy_strided(view(inputs[0]->shape), inputs[0]->as<float>().data(),
               outputs[0].as<float>().data());
  return ok_status();
}

OptionsOffset TransposeOp::write_options(flatbuffers::FlatBufferBuilder& fbb) const {
  return {schema::OpOptions::TransposeOptions,
          schema::CreateTransposeOptions(fbb, fbb.CreateVector(perm_)).Union()};
}

std::string TransposeOp::describe() const { return fmt::format("perm=[{}]", fmt::join(perm_, ",")); }

Result<std::unique_ptr<Op>> make_transpose(const schema::Operator& op) {
  const auto* options = op.options_as_TransposeOptions();
  if (!options || !options->perm())
    return make_error(StatusCode::kInvalidModel, "TRANSPOSE without TransposeOptions.perm");
  std::vector<int32_t> perm(options->perm()->begin(), options->perm()->end());
  FENNEC_RETURN_IF_ERROR(validate(perm));
  return std::unique_ptr<Op>(std::make_unique<TransposeOp>(std::move(perm)));
}

}  // namespace fennec::ops
