#include "ops/unary.h"
#include "vulkan/ops/kernels.h"

namespace fennec::vulkan {
namespace {

struct UnaryPush {
  uint32_t count;
  int32_t kind;
  float alpha;
  float beta;
};
static_assert(sizeof(UnaryPush) == 16, "must match the push block of unary.comp");

}  // namespace

Status record_unary(const ops::Op& op, Recorder& recorder, std::span<const TensorBinding> inputs,
                    std::span<const TensorBinding> outputs) {
  const auto& unary = static_cast<const ops::UnaryOp&>(op);
  const ops::Activation& a = unary.activation();
  const auto count = static_cast<uint32_t>(element_count(outputs[0].shape));
  UnaryPush push{count, static_cast<int32_t>(a.kind), a.alpha, a.beta};
  return recorder.dispatch(ShaderId::unary, {inputs[0].slice, outputs[0].slice}, push, count);
}

}  // namespace fennec::vulkan
