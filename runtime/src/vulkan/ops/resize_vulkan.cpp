#include <limits>

#include "ops/resize.h"
#include "vulkan/ops/kernels.h"

namespace fennec::vulkan {
namespace {

struct ResizePush {
  uint32_t count;
  uint32_t in_h;
  uint32_t in_w;
  uint32_t out_h;
  uint32_t out_w;
  uint32_t mode;
  uint32_t transform;
  uint32_t rounding;
  float scale_h;
  float scale_w;
  float cubic_a;
  uint32_t exclude_outside;
};
static_assert(sizeof(ResizePush) == 48, "must match the push block of resize.comp");

// The scale the coordinate transform divides by: the given one, or out/in in
// float when sizes were given (as the reference and onnxruntime do).
float axis_scale(float given, int64_t in, int64_t out) {
  return given > 0.0f ? given : static_cast<float>(out) / static_cast<float>(in);
}

}  // namespace

Status record_resize(const ops::Op& op, Recorder& recorder, std::span<const TensorBinding> inputs,
                     std::span<const TensorBinding> outputs) {
  const ops::ResizeParams& params = static_cast<const ops::ResizeOp&>(op).params();
  const Shape& x = inputs[0].shape;
  const Shape& y = outputs[0].shape;
  if (element_count(x) > std::numeric_limits<uint32_t>::max() ||
      element_count(y) > std::numeric_limits<uint32_t>::max())
    return make_error(StatusCode::kUnsupported,
                      "RESIZE: {} -> {} has a tensor of more than 2^32-1 elements",
                      shape_to_string(x), shape_to_string(y));
  const int64_t count = element_count(y);
  if (count == 0) return ok_status();

  // Everything comes from the bound shapes, so one recorded op serves any
  // input size the session is compiled for.
  ResizePush push{};
  push.count = static_cast<uint32_t>(count);
  push.in_h = static_cast<uint32_t>(x[2]);
  push.in_w = static_cast<uint32_t>(x[3]);
  push.out_h = static_cast<uint32_t>(y[2]);
  push.out_w = static_cast<uint32_t>(y[3]);
  push.mode = static_cast<uint32_t>(params.mode);
  push.transform = static_cast<uint32_t>(params.transform);
  push.rounding = static_cast<uint32_t>(params.rounding);
  push.scale_h = axis_scale(params.scale_h, x[2], y[2]);
  push.scale_w = axis_scale(params.scale_w, x[3], y[3]);
  push.cubic_a = params.cubic_coeff_a;
  push.exclude_outside = params.exclude_outside ? 1u : 0u;
  return recorder.dispatch(ShaderId::resize, {inputs[0].slice, outputs[0].slice}, push,
                           static_cast<uint64_t>(count));
}

}  // namespace fennec::vulkan
