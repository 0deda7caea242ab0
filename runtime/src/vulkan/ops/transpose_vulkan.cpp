#include "ops/transpose.h"
#include "vulkan/ops/kernels.h"
#include "vulkan/ops/strided_copy.h"

namespace fennec::vulkan {

Status record_transpose(const ops::Op& op, Recorder& recorder,
                        std::span<const TensorBinding> inputs,
                        std::span<const TensorBinding> outputs) {
  const auto& transpose = static_cast<const ops::TransposeOp&>(op);
  return record_strided_copy(op, recorder, transpose.view(inputs[0].shape), inputs[0],
                             outputs[0]);
}

}  // namespace fennec::vulkan
