#include <cstdint>
#include <limits>

#include "ops/conv_transpose.h"
#include "vulkan/ops/kernels.h"

namespace fennec::vulkan {
namespace {

struct ConvTranspose2DPush {
  uint32_t count;
  uint32_t n, c, h, w;
  uint32_t o, oh, ow;
  uint32_t kh, kw, stride_h, stride_w, dilation_h, dilation_w;
  int32_t pad_top, pad_left;
  uint32_t group;
  uint32_t oc_block;
  uint32_t has_bias;
  int32_t kind;
  float alpha;
  float beta;
};
static_assert(sizeof(ConvTranspose2DPush) == 88,
              "must match the push block of conv_transpose2d.comp");

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

  ConvTranspose2DPush push{};
  push.count = static_cast<uint32_t>(invocations);
  push.n = static_cast<uint32_t>(xs[0]);
  push.c = static_cast<uint32_t>(xs[1]);
  push.h = static_cast<uint32_t>(xs[2]);
  push.w = static_cast<uint32_t>(xs[3]);
  push.o = static_cast<uint32_t>(ys[1]);
  push.oh = static_cast<uint32_t>(ys[2]);
  push.ow = static_cast<uint32_t>(ys[3]);
  push.kh = static_cast<uint32_t>(p.kernel_h);
  push.kw = static_cast<uint32_t>(p.kernel_w);
  push.stride_h = static_cast<uint32_t>(p.stride_h);
  push.stride_w = static_cast<uint32_t>(p.stride_w);
  push.dilation_h = static_cast<uint32_t>(p.dilation_h);
  push.dilation_w = static_cast<uint32_t>(p.dilation_w);
  push.pad_top = p.pad_top;
  push.pad_left = p.pad_left;
  push.group = static_cast<uint32_t>(p.group);
  push.oc_block = oc_block;
  push.has_bias = has_bias ? 1 : 0;
  push.kind = static_cast<int32_t>(p.activation.kind);
  push.alpha = p.activation.alpha;
  push.beta = p.activation.beta;

  const BufferSlice bias = has_bias ? inputs[2].slice : recorder.dummy_buffer();
  return recorder.dispatch(ShaderId::conv_transpose2d,
                           {inputs[0].slice, inputs[1].slice, bias, outputs[0].slice}, push,
                           invocations);
}

}  // namespace fennec::vulkan
