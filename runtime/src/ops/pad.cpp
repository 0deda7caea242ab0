#include "ops/pad.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ops/strided.h"

namespace fennec::ops {

int64_t pad_source_index(PadMode mode, int64_t c, int64_t n) {
  if (c >= 0 && c < n) return c;
  if (mode == PadMode::EDGE || n == 1) return std::clamp<int64_t>(c, 0, n - 1);
  const int64_t period = 2 * (n - 1);
  int64_t r = (c < 0 ? -c : c) % period;
  return r < n ? r : period - r;
}

Status PadOp::infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const {
  if (inputs.size() != 1)
    return make_error(StatusCode::kInvalidModel, "PAD takes 1 input, got {}", inputs.size());
  const Shape& in = inputs[0];
  const size_t rank = in.size();
  if (pads_.size() != 2 * rank)
    return make_error(StatusCode::kInvalidModel,
                      "PAD: pads [{}] has {} entries; an input {} of rank {} needs {}",
                      fmt::join(pads_, ","), pads_.size(), shape_to_string(in), rank, 2 * rank);
  Shape out(rank, kUnknownDim);
  for (size_t d = 0; d < rank; ++d) {
    if (in[d] == kUnknownDim) continue;
    out[d] = in[d] + pads_[d] + pads_[rank + d];
    if (out[d] < 0)
      return make_error(StatusCode::kInvalidModel,
                        "PAD: pads [{}] crop axis {} of input {} below zero",
                        fmt::join(pads_, ","), d, shape_to_string(in));
    if (in[d] == 0 && out[d] > 0 && mode_ != PadMode::CONSTANT)
      return make_error(StatusCode::kInvalidModel,
                        "PAD: {} padding of the empty axis {} of input {} has no values to copy",
                        schema::EnumNamePadMode(mode_), d, shape_to_string(in));
  }
  outputs = {std::move(out)};
  return ok_status();
}

Status PadOp::reference(std::span<const HostTensor* const> inputs,
                        std::span<HostTensor> outputs) const {
  FENNEC_RETURN_IF_ERROR(require_float32(*this, inputs));
  const Shape& in = inputs[0]->shape;
  const Shape& out = outputs[0].shape;
  const size_t rank = in.size();
  const std::vector<int64_t> in_strides = dense_strides(in);
  auto x = inputs[0]->as<float>();
  auto y = outputs[0].as<float>();
  std::vector<int64_t> coord(rank, 0);
  for (float& v : y) {
    int64_t src = 0;
    bool inside = true;
    for (size_t d = 0; d < rank && inside; ++d) {
      int64_t c = coord[d] - pads_[d];
      if (c < 0 || c >= in[d]) {
        if (mode_ == PadMode::CONSTANT) inside = false;
        else c = pad_source_index(mode_, c, in[d]);
      }
      src += c * in_strides[d];
    }
    v = inside ? x[static_cast<size_t>(src)] : value_;
    for (size_t d = rank; d-- > 0;) {
      if (++coord[d] < out[d]) break;
      coord[d] = 0;
    }
  }
  return ok_status();
}

OptionsOffset PadOp::write_options(flatbuffers::FlatBufferBuilder& fbb) const {
  return {schema::OpOptions::PadOptions,
          schema::CreatePadOptions(fbb, mode_, fbb.CreateVector(pads_), value_).Union()};
}

std::string PadOp::describe() const {
  std::string s = fmt::format("mode={} pads=[{}]", schema::EnumNamePadMode(mode_),
                              fmt::join(pads_, ","));
  if (mode_ == PadMode::CONSTANT) s += fmt::format(" value={}", value_);
  return s;
}

Result<std::unique_ptr<Op>> make_pad(const schema::Operator& op) {
  const auto* options = op.options_as_PadOptions();
  if (!options || !options->pads())
    return make_error(StatusCode::kInvalidModel, "PAD without PadOptions.pads");
  const PadMode mode = options->mode();
  if (mode != PadMode::CONSTANT && mode != PadMode::REFLECT && mode != PadMode::EDGE)
    return make_error(StatusCode::kInvalidModel, "PAD: unknown mode {}",
                      static_cast<int>(mode));
  if (options->pads()->size() % 2 != 0)
    return make_error(StatusCode::kInvalidModel, "PAD: pads has an odd number of entries ({})",
                      options->pads()->size());
  std::vector<int64_t> pads(options->pads()->begin(), options->pads()->end());
  return std::unique_ptr<Op>(std::make_unique<PadOp>(mode, std::move(pads), options->value()));
}

}  // namespace fennec::ops
