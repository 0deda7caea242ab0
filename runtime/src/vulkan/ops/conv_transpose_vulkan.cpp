#include <cstdint>
#include <limits>

#include "ops/conv_transpose.h"
#include "vulkan/ops/kernels.h"
#include "vulkan/ops/weight_variants.h"
#include "vulkan/ops/window_push.h"

namespace fennec::vulkan {
namespace {

// Quantized weights multiply float activations here (no w8a8 variant: the
// converter stores CONV_TRANSPOSE weights of a w8a8 model as plain int8).
constexpr WeightVariants kVariants{ShaderId::conv_transpose2d,       ShaderId::conv_transpose2d_f16,
                                   ShaderId::conv_transpose2d_i8,    ShaderId::conv_transpose2d_i4,
                                   ShaderId::conv_transpose2d_i4a,   ShaderId::conv_transpose2d_mxfp8,
                                   ShaderId::conv_transpose2d_i8,    ShaderId::conv_transpose2d_i8,
                                   ShaderId::conv_transpose2d_i8g};

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

  WindowPush push = make_window_push(p, xs, ys, invocations, oc_block, has_bias);
  const quant::WeightQuant& wq = inputs[1].quant;
  if (wq.int8_activations())
    return make_error(StatusCode::kInvalidModel, "CONV_TRANSPOSE kernel: int8 activations are not supported");
  set_weight_push(push, wq);

  const BufferSlice bias = has_bias ? inputs[2].slice : recorder.dummy_buffer();
  return recorder.dispatch(kVariants.pick(wq, false),
                           {inputs[0].slice, inputs[1].slice, bias, outputs[0].slice}, push,
                           invocations);
}

}  // namespace fennec::vulkan
