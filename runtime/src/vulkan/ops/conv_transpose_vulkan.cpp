#include <cstdint>
#include <limits>

#include "ops/conv_transpose.h"
#include "vulkan/ops/kernels.h"
#include "vulkan/ops/window_push.h"

namespace fennec::vulkan {
namespace {

}  // namespace

Status record_conv_transpose(const ops::Op& op, Recorder& recorder,
                             std::span<const TensorBinding> inputs,
                             std::span<const TensorBinding> outputs) {
  const ops::ConvTransposeParams& p = static_cast<const ops::ConvTransposeOp&>(op).params();
  const Shape& xs = inputs[0].shape;
  const Shape& ys = outputs[0].shape;
  if (xs.size() != 4 || ys.size() != 4)
    return make_error(StatusCode::kInternal,
                      "CONV_TRANSPOSE kernel: expected rank-4 X and Y, got {} and {}",
                      shape_to_string(xs), shape_to_string(ys));
  const bool has_bias = inputs.size() > 2 && inputs[2].slice.valid();

  // Four output channels per work item reuse each input load; groups with
  // fewer channels take one channel per item.
  const auto og = static_cast<uint32_t>(ys[1] / p.group);
  const uint32_t oc_block = og >= 4 ? 4 : 1;
  const uint64_t invocations = static_cast<uint64_t>(ys[0]) * p.group * ((og + oc_block - 1) / oc_block) *
                               static_cast<uint64_t>(ys[2]) * static_cast<uint64_t>(ys[3]);
  // The shader indexes with 32-bit integers.
  if (static_cast<uint64_t>(element_count(ys)) > std::numeric_limits<uint32_t>::max() ||
      static_cast<uint64_t>(element_count(xs)) > std::numeric_limits<uint32_t>::max())
    return make_error(StatusCode::kUnsupported,
                      "CONV_TRANSPOSE kernel: tensors of more than 2^32 elements ({} -> {}) are "
                      "not supported; split the batch",
                      shape_to_string(xs), shape_to_string(ys));

  if (invocations == 0) return ok_status();  // an empty tensor: nothing to compute

  const WindowPush push = make_window_push(p, xs, ys, invocations, oc_block, has_bias);

  const BufferSlice bias = has_bias ? inputs[2].slice : recorder.dummy_buffer();
  return recorder.dispatch(ShaderId::conv_transpose2d,
                           {inputs[0].slice, inputs[1].slice, bias, outputs[0].slice}, push,
                           invocations);
}

}  // namespace fennec::vulkan
