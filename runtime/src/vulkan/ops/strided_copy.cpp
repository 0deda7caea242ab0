#include "vulkan/ops/strided_copy.h"

#include <limits>

namespace fennec::vulkan {
namespace {

constexpr size_t kMaxRank = 6;

struct StridedPush {
  uint32_t count;
  int32_t offset;
  uint32_t dims[kMaxRank];
  int32_t strides[kMaxRank];
};
static_assert(sizeof(StridedPush) == 56, "must match the push block of strided_copy.comp");

}  // namespace

Status record_strided_copy(const ops::Op& op, Recorder& recorder, const ops::StridedView& view,
                           const TensorBinding& x, const TensorBinding& y) {
  const int64_t count = element_count(view.dims);
  if (count == 0) return ok_status();
  // The shader indexes X with signed 32-bit offsets and Y with unsigned ones.
  if (element_count(x.shape) > std::numeric_limits<int32_t>::max() ||
      count > std::numeric_limits<uint32_t>::max())
    return make_error(StatusCode::kUnsupported,
                      "{}: input {} or output {} is too large for 32-bit indexing; split the "
                      "tensor",
                      op.type_name(), shape_to_string(x.shape), shape_to_string(y.shape));
  // Merging axes keeps most views within rank 6 (and makes the index math
  // cheaper); only views that really need more axes are refused.
  const ops::StridedView v = view.simplified();
  if (v.dims.size() > kMaxRank)
    return make_error(StatusCode::kUnsupported,
                      "{}: input {} -> output {} needs {} independent axes; at most {} are "
                      "supported",
                      op.type_name(), shape_to_string(x.shape), shape_to_string(y.shape),
                      v.dims.size(), kMaxRank);
  StridedPush push{};
  push.count = static_cast<uint32_t>(count);
  push.offset = static_cast<int32_t>(v.offset);
  const size_t lead = kMaxRank - v.dims.size();
  for (size_t d = 0; d < kMaxRank; ++d) {
    push.dims[d] = d < lead ? 1u : static_cast<uint32_t>(v.dims[d - lead]);
    push.strides[d] = d < lead ? 0 : static_cast<int32_t>(v.strides[d - lead]);
  }
  return recorder.dispatch(ShaderId::strided_copy, {x.slice, y.slice}, push,
                           static_cast<uint64_t>(count));
}

}  // namespace fennec::vulkan
