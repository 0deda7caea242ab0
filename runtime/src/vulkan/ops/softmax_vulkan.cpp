#include <limits>

#include "ops/softmax.h"
#include "vulkan/ops/kernels.h"

namespace fennec::vulkan {
namespace {

struct SoftmaxPush {
  uint32_t rows;
  uint32_t dim;
  uint32_t inner;
  uint32_t log;
};
static_assert(sizeof(SoftmaxPush) == 16, "must match the push block of softmax.comp");

}  // namespace

Status record_softmax(const ops::Op& op, Recorder& recorder, std::span<const TensorBinding> inputs,
                      std::span<const TensorBinding> outputs) {
  const auto& softmax = static_cast<const ops::SoftmaxOp&>(op);
  const Shape& x = inputs[0].shape;
  const auto axis = static_cast<size_t>(softmax.axis());
  const int64_t total = element_count(x);
  if (total > std::numeric_limits<uint32_t>::max())
    return make_error(StatusCode::kUnsupported,
                      "SOFTMAX: input {} has more than 2^32-1 elements; split the tensor",
                      shape_to_string(x));
  const int64_t dim = x[axis];
  if (total == 0) return ok_status();
  const int64_t inner = element_count(Shape(x.begin() + static_cast<ptrdiff_t>(axis) + 1, x.end()));
  const int64_t rows = total / dim;
  SoftmaxPush push{static_cast<uint32_t>(rows), static_cast<uint32_t>(dim),
                   static_cast<uint32_t>(inner), softmax.log() ? 1u : 0u};
  // One invocation per row: rows are independent and usually short (class
  // scores, attention rows), so no cross-lane reduction is needed.
  return recorder.dispatch(ShaderId::softmax, {inputs[0].slice, outputs[0].slice}, push,
                           static_cast<uint64_t>(rows));
}

}  // namespace fennec::vulkan
