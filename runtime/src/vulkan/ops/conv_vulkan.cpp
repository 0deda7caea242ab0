#include <cstdint>
#include <limits>

#include "ops/conv.h"
#include "vulkan/ops/kernels.h"
#include "vulkan/ops/weight_variants.h"
#include "vulkan/ops/window_push.h"

namespace fennec::vulkan {
namespace {

// Output channels that one work item computes. Four reuse each input load
// four times; groups with fewer channels (depthwise) would only duplicate
// work, so they take the one-channel path.
constexpr uint32_t kWideBlock = 4;
// Output pixels along a row per work item in conv2d_tiled.comp.
constexpr uint64_t kTilePixels = 8;

constexpr WeightVariants kDirect{ShaderId::conv2d,     ShaderId::conv2d_f16,   ShaderId::conv2d_i8,
                                 ShaderId::conv2d_i4,  ShaderId::conv2d_i4a,  ShaderId::conv2d_mxfp8,
                                 ShaderId::conv2d_w8a8, ShaderId::conv2d_w8a8, ShaderId::conv2d_i8g};
constexpr WeightVariants kTiled{ShaderId::conv2d_tiled,     ShaderId::conv2d_tiled_f16,
                                ShaderId::conv2d_tiled_i8,  ShaderId::conv2d_tiled_i4,
                                ShaderId::conv2d_tiled_i4a, ShaderId::conv2d_tiled_mxfp8,
                                ShaderId::conv2d_tiled_w8a8, ShaderId::conv2d_tiled_w8a8,
                                ShaderId::conv2d_tiled_i8g};

}  // namespace

Status record_conv(const ops::Op& op, Recorder& recorder, std::span<const TensorBinding> inputs,
                   std::span<const TensorBinding> outputs) {
  const ops::ConvParams& p = static_cast<const ops::ConvOp&>(op).params();
  const Shape& xs = inputs[0].shape;
  const Shape& ys = outputs[0].shape;
  if (xs.size() != 4 || ys.size() != 4)
    return make_error(StatusCode::kInternal, "CONV kernel: expected rank-4 X and Y, got {} and {}",
                      shape_to_string(xs), shape_to_string(ys));
  const bool has_bias = inputs.size() > 2 && inputs[2].slice.valid();

  const auto og = static_cast<uint32_t>(ys[1] / p.group);
  const uint32_t oc_block = og >= kWideBlock ? kWideBlock : 1;
  const uint64_t blocks_per_group = (og + oc_block - 1) / oc_block;
  // Groups of four or more output channels take the tiled kernel, which also
  // computes eight neighbouring pixels per work item.
  const bool tiled = oc_block == kWideBlock;
  const uint64_t columns = tiled ? (static_cast<uint64_t>(ys[3]) + kTilePixels - 1) / kTilePixels
                                 : static_cast<uint64_t>(ys[3]);
  const uint64_t invocations =
      static_cast<uint64_t>(ys[0]) * p.group * blocks_per_group * static_cast<uint64_t>(ys[2]) * columns;
  // The shader indexes with 32-bit integers.
  if (invocations > std::numeric_limits<uint32_t>::max() ||
      static_cast<uint64_t>(element_count(xs)) > std::numeric_limits<uint32_t>::max() ||
      static_cast<uint64_t>(element_count(ys)) > std::numeric_limits<uint32_t>::max())
    return make_error(StatusCode::kUnsupported,
                      "CONV kernel: tensors of more than 2^32 elements ({} -> {}) are not "
                      "supported; split the batch",
                      shape_to_string(xs), shape_to_string(ys));

  if (invocations == 0) return ok_status();  // an empty tensor: nothing to compute

  WindowPush push = make_window_push(p, xs, ys, invocations, oc_block, has_bias);
  const quant::WeightQuant& wq = inputs[1].quant;
  set_weight_push(push, wq);

  const BufferSlice bias = has_bias ? inputs[2].slice : recorder.dummy_buffer();
  return recorder.dispatch((tiled ? kTiled : kDirect).pick(wq, recorder.integer_dot_product()),
                           {inputs[0].slice, inputs[1].slice, bias, outputs[0].slice}, push,
                           invocations);
}

}  // namespace fennec::vulkan
