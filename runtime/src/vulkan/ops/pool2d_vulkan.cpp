#include <cstdint>
#include <limits>

#include "ops/pool2d.h"
#include "vulkan/ops/kernels.h"

namespace fennec::vulkan {
namespace {

struct Pool2DPush {
  uint32_t count;
  uint32_t h, w, oh, ow;
  uint32_t kh, kw, stride_h, stride_w, dilation_h, dilation_w;
  int32_t pad_top, pad_left, pad_bottom, pad_right;
  uint32_t average;
  uint32_t include_pad;
  uint32_t pad;
};
static_assert(sizeof(Pool2DPush) == 72, "must match the push block of pool2d.comp");

}  // namespace

Status record_pool2d(const ops::Op& op, Recorder& recorder, std::span<const TensorBinding> inputs,
                     std::span<const TensorBinding> outputs) {
  const ops::Pool2DParams& p = static_cast<const ops::Pool2DOp&>(op).params();
  const Shape& xs = inputs[0].shape;
  const Shape& ys = outputs[0].shape;
  if (xs.size() != 4 || ys.size() != 4)
    return make_error(StatusCode::kInternal, "POOL2D kernel: expected rank-4 X and Y, got {} and {}",
                      shape_to_string(xs), shape_to_string(ys));
  const int64_t count = element_count(ys);
  // The shader indexes with 32-bit integers.
  if (element_count(xs) > std::numeric_limits<uint32_t>::max() ||
      count > std::numeric_limits<uint32_t>::max())
    return make_error(StatusCode::kUnsupported,
                      "POOL2D kernel: {} -> {} exceeds 32-bit indexing; split the batch",
                      shape_to_string(xs), shape_to_string(ys));
  if (count == 0) return ok_status();
  Pool2DPush push{};
  push.count = static_cast<uint32_t>(count);
  push.h = static_cast<uint32_t>(xs[2]);
  push.w = static_cast<uint32_t>(xs[3]);
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
  push.pad_bottom = p.pad_bottom;
  push.pad_right = p.pad_right;
  push.average = p.kind == ops::PoolKind::AVERAGE ? 1 : 0;
  push.include_pad = p.count_include_pad ? 1 : 0;
  return recorder.dispatch(ShaderId::pool2d, {inputs[0].slice, outputs[0].slice}, push,
                           static_cast<uint64_t>(count));
}

}  // namespace fennec::vulkan
