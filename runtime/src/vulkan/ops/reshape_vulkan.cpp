// The kernels that dispatch copy.comp: RESHAPE (the bytes move unchanged)
// and CAST (its converting variants).
#include <limits>

#include "ops/reshape.h"
#include "vulkan/ops/kernels.h"

namespace fennec::vulkan {
namespace {

struct CopyPush {
  uint32_t count;
};
static_assert(sizeof(CopyPush) == 4, "must match the push block of copy.comp");

// y[i] = x[i] over the output's elements with `shader` (copy.comp or a variant).
Status record_copy(const ops::Op& op, Recorder& recorder, ShaderId shader, const TensorBinding& x,
                   const TensorBinding& y) {
  const int64_t count = element_count(y.shape);
  if (count > std::numeric_limits<uint32_t>::max())
    return make_error(StatusCode::kUnsupported,
                      "{}: output {} has more than 2^32-1 elements; split the tensor",
                      op.type_name(), shape_to_string(y.shape));
  if (count == 0) return ok_status();
  const CopyPush push{static_cast<uint32_t>(count)};
  return recorder.dispatch(shader, {x.slice, y.slice}, push, static_cast<uint64_t>(count));
}

}  // namespace

Status record_reshape(const ops::Op& op, Recorder& recorder, std::span<const TensorBinding> inputs,
                      std::span<const TensorBinding> outputs) {
  return record_copy(op, recorder, ShaderId::copy, inputs[0], outputs[0]);
}

// CAST by the bound dtypes: float32 -> binary16, binary16 -> float32, or a
// copy when they agree (a cast whose activations the session widened).
Status record_cast(const ops::Op& op, Recorder& recorder, std::span<const TensorBinding> inputs,
                   std::span<const TensorBinding> outputs) {
  const DataType from = inputs[0].dtype, to = outputs[0].dtype;
  ShaderId shader = ShaderId::copy;
  if (from == DataType::FLOAT32 && to == DataType::FLOAT16) shader = ShaderId::cast_to_f16;
  else if (from == DataType::FLOAT16 && to == DataType::FLOAT32) shader = ShaderId::cast_to_f32;
  else if (from != to || !is_float_dtype(from))
    return make_error(StatusCode::kUnsupported, "{}: no kernel converts {} to {}", op.type_name(),
                      dtype_name(from), dtype_name(to));
  else if (from == DataType::FLOAT16)
    shader = ShaderId::copy_a16;
  return record_copy(op, recorder, shader, inputs[0], outputs[0]);
}

}  // namespace fennec::vulkan
