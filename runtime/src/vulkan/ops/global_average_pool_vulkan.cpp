#include <limits>

#include "ops/global_average_pool.h"
#include "vulkan/ops/kernels.h"

namespace fennec::vulkan {
namespace {

struct GapPush {
  uint32_t planes;
  uint32_t plane_size;
  float inv_size;
  uint32_t pad;
};
static_assert(sizeof(GapPush) == 16, "must match the push block of global_average_pool.comp");

}  // namespace

Status record_global_average_pool(const ops::Op& op, Recorder& recorder,
                                  std::span<const TensorBinding> inputs,
                                  std::span<const TensorBinding> outputs) {
  const Shape& x = inputs[0].shape;
  const int64_t total = element_count(x);
  if (total > std::numeric_limits<uint32_t>::max())
    return make_error(StatusCode::kUnsupported,
                      "GLOBAL_AVERAGE_POOL: input {} has more than 2^32-1 elements",
                      shape_to_string(x));
  const int64_t planes = x[0] * x[1];
  if (planes == 0) return ok_status();
  const int64_t plane_size = total / planes;
  GapPush push{static_cast<uint32_t>(planes), static_cast<uint32_t>(plane_size),
               1.0f / static_cast<float>(plane_size), 0};
  // One workgroup per plane: the shader reduces each plane inside one
  // workgroup of kDefaultWorkgroupSize lanes.
  return recorder.dispatch(ShaderId::global_average_pool, {inputs[0].slice, outputs[0].slice},
                           push, static_cast<uint64_t>(planes) * kDefaultWorkgroupSize);
}

}  // namespace fennec::vulkan
