#include <limits>

#include "ops/pad.h"
#include "vulkan/ops/kernels.h"

namespace fennec::vulkan {
namespace {

constexpr size_t kMaxRank = 6;

struct PadPush {
  uint32_t count;
  uint32_t mode;
  float value;
  uint32_t out_dims[kMaxRank];
  uint32_t in_dims[kMaxRank];
  int32_t begin[kMaxRank];
};
static_assert(sizeof(PadPush) == 84, "must match the push block of pad.comp");

}  // namespace

Status record_pad(const ops::Op& op, Recorder& recorder, std::span<const TensorBinding> inputs,
                  std::span<const TensorBinding> outputs) {
  const auto& pad = static_cast<const ops::PadOp&>(op);
  const Shape& in = inputs[0].shape;
  const Shape& out = outputs[0].shape;
  const size_t rank = in.size();
  if (rank > kMaxRank)
    return make_error(StatusCode::kUnsupported, "PAD: input {} has rank {}; at most {} is supported",
                      shape_to_string(in), rank, kMaxRank);
  const int64_t count = element_count(out);
  if (count > std::numeric_limits<uint32_t>::max() ||
      element_count(in) > std::numeric_limits<int32_t>::max())
    return make_error(StatusCode::kUnsupported,
                      "PAD: input {} or output {} is too large for 32-bit indexing; split the "
                      "tensor",
                      shape_to_string(in), shape_to_string(out));
  if (count == 0) return ok_status();
  PadPush push{};
  push.count = static_cast<uint32_t>(count);
  push.mode = static_cast<uint32_t>(pad.mode());
  push.value = pad.value();
  const size_t lead = kMaxRank - rank;
  for (size_t d = 0; d < kMaxRank; ++d) {
    const bool real = d >= lead;
    push.out_dims[d] = real ? static_cast<uint32_t>(out[d - lead]) : 1u;
    push.in_dims[d] = real ? static_cast<uint32_t>(in[d - lead]) : 1u;
    push.begin[d] = real ? static_cast<int32_t>(pad.pads()[d - lead]) : 0;
  }
  return recorder.dispatch(ShaderId::pad, {inputs[0].slice, outputs[0].slice}, push,
                           static_cast<uint64_t>(count));
}

}  // namespace fennec::vulkan
