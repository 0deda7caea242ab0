#include <cstdint>
#include <limits>

#include "ops/batch_norm.h"
#include "vulkan/ops/kernels.h"

namespace fennec::vulkan {
namespace {

struct BatchNormPush {
  uint32_t count;
  uint32_t channels;
  uint32_t inner;
  float epsilon;
};
static_assert(sizeof(BatchNormPush) == 16, "must match the push block of batch_norm.comp");

}  // namespace

Status record_batch_norm(const ops::Op& op, Recorder& recorder,
                         std::span<const TensorBinding> inputs,
                         std::span<const TensorBinding> outputs) {
  const auto& bn = static_cast<const ops::BatchNormOp&>(op);
  const Shape& xs = inputs[0].shape;
  if (xs.size() < 2 || inputs.size() != 5)
    return make_error(StatusCode::kInternal,
                      "BATCH_NORM kernel: expected X of rank >= 2 and 5 inputs, got {} and {}",
                      shape_to_string(xs), inputs.size());
  const auto count = static_cast<uint64_t>(element_count(xs));
  if (count > std::numeric_limits<uint32_t>::max())
    return make_error(StatusCode::kUnsupported,
                      "BATCH_NORM kernel: {} has more than 2^32 elements; split the batch",
                      shape_to_string(xs));
  if (count == 0) return ok_status();  // an empty tensor: nothing to compute

  uint64_t inner = 1;
  for (size_t i = 2; i < xs.size(); ++i) inner *= static_cast<uint64_t>(xs[i]);

  BatchNormPush push{};
  push.count = static_cast<uint32_t>(count);
  push.channels = static_cast<uint32_t>(xs[1]);
  push.inner = static_cast<uint32_t>(inner);
  push.epsilon = bn.epsilon();
  return recorder.dispatch(ShaderId::batch_norm,
                           {inputs[0].slice, inputs[1].slice, inputs[2].slice, inputs[3].slice,
                            inputs[4].slice, outputs[0].slice},
                           push, count);
}

}  // namespace fennec::vulkan
