#include <limits>

#include "ops/reshape.h"
#include "vulkan/ops/kernels.h"

namespace fennec::vulkan {
namespace {

struct CopyPush {
  uint32_t count;
};
static_assert(sizeof(CopyPush) == 4, "must match the push block of copy.comp");

}  // namespace

Status record_reshape(const ops::Op& op, Recorder& recorder, std::span<const TensorBinding> inputs,
                      std::span<const TensorBinding> outputs) {
  const int64_t count = element_count(outputs[0].shape);
  if (count > std::numeric_limits<uint32_t>::max())
    return make_error(StatusCode::kUnsupported,
                      "{}: output {} has more than 2^32-1 elements; split the tensor",
                      op.type_name(), shape_to_string(outputs[0].shape));
  if (count == 0) return ok_status();
  const CopyPush push{static_cast<uint32_t>(count)};
  return recorder.dispatch(ShaderId::copy, {inputs[0].slice, outputs[0].slice}, push,
                           static_cast<uint64_t>(count));
}

}  // namespace fennec::vulkan
