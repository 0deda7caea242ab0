#include <limits>

#include "ops/concat.h"
#include "vulkan/ops/kernels.h"

namespace fennec::vulkan {
namespace {

struct ConcatPush {
  uint32_t count;
  uint32_t in_block;
  uint32_t out_block;
  uint32_t offset;
};
static_assert(sizeof(ConcatPush) == 16, "must match the push block of concat.comp");

}  // namespace

Status record_concat(const ops::Op& op, Recorder& recorder, std::span<const TensorBinding> inputs,
                     std::span<const TensorBinding> outputs) {
  const auto& concat = static_cast<const ops::ConcatOp&>(op);
  const Shape& y = outputs[0].shape;
  const auto axis = static_cast<size_t>(concat.axis());
  if (element_count(y) > std::numeric_limits<uint32_t>::max())
    return make_error(StatusCode::kUnsupported, "CONCAT: output {} has more than 2^32-1 elements",
                      shape_to_string(y));
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < axis; ++d) outer *= y[d];
  for (size_t d = axis + 1; d < y.size(); ++d) inner *= y[d];
  const int64_t out_block = y[axis] * inner;

  // One copy per input; the copies write disjoint ranges of Y.
  int64_t offset = 0;
  for (const TensorBinding& x : inputs) {
    const int64_t in_block = x.shape[axis] * inner;
    const int64_t count = outer * in_block;
    if (count > 0) {
      ConcatPush push{static_cast<uint32_t>(count), static_cast<uint32_t>(in_block),
                      static_cast<uint32_t>(out_block), static_cast<uint32_t>(offset)};
      FENNEC_RETURN_IF_ERROR(recorder.dispatch(ShaderId::concat, {x.slice, outputs[0].slice}, push,
                                               static_cast<uint64_t>(count)));
    }
    offset += in_block;
  }
  return ok_status();
}

}  // namespace fennec::vulkan
