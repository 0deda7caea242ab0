#include "ops/slice.h"
#include "vulkan/ops/kernels.h"
#include "vulkan/ops/strided_copy.h"

namespace fennec::vulkan {

Status record_slice(const ops::Op& op, Recorder& recorder, std::span<const TensorBinding> inputs,
                    std::span<const TensorBinding> outputs) {
  const auto& slice = static_cast<const ops::SliceOp&>(op);
  return record_strided_copy(op, recorder, slice.view(inputs[0].shape), inputs[0], outputs[0]);
}

}  // namespace fennec::vulkan
