#include <limits>

#include "ops/layer_norm.h"
#include "vulkan/ops/kernels.h"

namespace fennec::vulkan {
namespace {

struct LayerNormPush {
  uint32_t rows;
  uint32_t size;
  float epsilon;
  uint32_t scale_step;
  uint32_t bias_step;
  uint32_t has_bias;
};
static_assert(sizeof(LayerNormPush) == 24, "must match the push block of layer_norm.comp");

}  // namespace

Status record_layer_norm(const ops::Op& op, Recorder& recorder,
                         std::span<const TensorBinding> inputs,
                         std::span<const TensorBinding> outputs) {
  const auto& norm = static_cast<const ops::LayerNormOp&>(op);
  const Shape& x = inputs[0].shape;
  const int64_t total = element_count(x);
  if (total > std::numeric_limits<uint32_t>::max())
    return make_error(StatusCode::kUnsupported,
                      "LAYER_NORM: input {} has more than 2^32-1 elements; split the tensor",
                      shape_to_string(x));
  if (total == 0) return ok_status();
  const int64_t size = element_count(Shape(x.begin() + norm.axis(), x.end()));
  const bool has_bias = inputs.size() > 2 && inputs[2].slice.valid();
  LayerNormPush push{};
  push.rows = static_cast<uint32_t>(total / size);
  push.size = static_cast<uint32_t>(size);
  push.epsilon = norm.epsilon();
  push.scale_step = element_count(inputs[1].shape) == 1 ? 0u : 1u;
  push.bias_step = has_bias && element_count(inputs[2].shape) != 1 ? 1u : 0u;
  push.has_bias = has_bias ? 1u : 0u;
  const BufferSlice bias = has_bias ? inputs[2].slice : recorder.dummy_buffer();
  return recorder.dispatch(ShaderId::layer_norm,
                           {inputs[0].slice, inputs[1].slice, bias, outputs[0].slice}, push,
                           push.rows);
}

}  // namespace fennec::vulkan
