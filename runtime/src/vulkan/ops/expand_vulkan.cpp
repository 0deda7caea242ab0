#include "ops/expand.h"
#include "vulkan/ops/kernels.h"
#include "vulkan/ops/strided_copy.h"

namespace fennec::vulkan {

Status record_expand(const ops::Op& op, Recorder& recorder, std::span<const TensorBinding> inputs,
                     std::span<const TensorBinding> outputs) {
  const auto& expand = static_cast<const ops::ExpandOp&>(op);
  return record_strided_copy(op, recorder, expand.view(inputs[0].shape, outputs[0].shape),
                             inputs[0], outputs[0]);
}

}  // namespace fennec::vulkan
