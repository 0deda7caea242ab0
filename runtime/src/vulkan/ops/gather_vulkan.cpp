#include <limits>

#include "ops/gather.h"
#include "vulkan/ops/kernels.h"

namespace fennec::vulkan {
namespace {

struct GatherPush {
  uint32_t count;
  uint32_t inner;
  uint32_t index_count;
  uint32_t axis_dim;
};
static_assert(sizeof(GatherPush) == 16, "must match the push block of gather.comp");

}  // namespace

Status record_gather(const ops::Op& op, Recorder& recorder, std::span<const TensorBinding> inputs,
                     std::span<const TensorBinding> outputs) {
  const auto axis = static_cast<size_t>(static_cast<const ops::GatherOp&>(op).axis());
  const Shape& data = inputs[0].shape;
  const int64_t count = element_count(outputs[0].shape);
  if (element_count(data) > std::numeric_limits<int32_t>::max() ||
      count > std::numeric_limits<uint32_t>::max())
    return make_error(StatusCode::kUnsupported,
                      "GATHER: data {} or output {} is too large for 32-bit indexing; split the "
                      "tensor",
                      shape_to_string(data), shape_to_string(outputs[0].shape));
  if (count == 0) return ok_status();
  if (data[axis] == 0)
    return make_error(StatusCode::kInvalidArgument,
                      "GATHER: indices select from axis {} of data {}, which is empty", axis,
                      shape_to_string(data));
  int64_t inner = 1;
  for (size_t d = axis + 1; d < data.size(); ++d) inner *= data[d];
  GatherPush push{};
  push.count = static_cast<uint32_t>(count);
  push.inner = static_cast<uint32_t>(inner);
  push.index_count = static_cast<uint32_t>(element_count(inputs[1].shape));
  push.axis_dim = static_cast<uint32_t>(data[axis]);
  return recorder.dispatch(ShaderId::gather, {inputs[0].slice, inputs[1].slice, outputs[0].slice},
                           push, static_cast<uint64_t>(count));
}

}  // namespace fennec::vulkan
