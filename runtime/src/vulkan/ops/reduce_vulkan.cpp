#include <limits>
#include <vector>

#include "ops/reduce.h"
#include "vulkan/ops/kernels.h"

namespace fennec::vulkan {
namespace {

constexpr size_t kMaxGroups = 6;

struct ReducePush {
  uint32_t count;
  uint32_t reduce_count;
  int32_t kind;
  uint32_t pad;
  uint32_t kept_dims[kMaxGroups];
  uint32_t kept_strides[kMaxGroups];
  uint32_t red_dims[kMaxGroups];
  uint32_t red_strides[kMaxGroups];
};
static_assert(sizeof(ReducePush) == 112, "must match the push block of reduce.comp");

struct Group {
  int64_t dim;
  int64_t stride;
};

// Fills dims/strides right-aligned (innermost last), padding with 1 / 0.
void place(const std::vector<Group>& groups, uint32_t (&dims)[kMaxGroups],
           uint32_t (&strides)[kMaxGroups]) {
  const size_t offset = kMaxGroups - groups.size();
  for (size_t i = 0; i < kMaxGroups; ++i) {
    dims[i] = i < offset ? 1u : static_cast<uint32_t>(groups[i - offset].dim);
    strides[i] = i < offset ? 0u : static_cast<uint32_t>(groups[i - offset].stride);
  }
}

}  // namespace

Status record_reduce(const ops::Op& op, Recorder& recorder, std::span<const TensorBinding> inputs,
                     std::span<const TensorBinding> outputs) {
  const auto& reduce = static_cast<const ops::ReduceOp&>(op);
  const Shape& x = inputs[0].shape;
  if (element_count(x) > std::numeric_limits<uint32_t>::max())
    return make_error(StatusCode::kUnsupported,
                      "REDUCE: input {} has more than 2^32-1 elements; split the tensor",
                      shape_to_string(x));
  const int64_t count = element_count(outputs[0].shape);
  if (count == 0) return ok_status();

  // Size-1 axes change nothing, and neighbouring axes of the same kind are
  // contiguous in a row-major tensor, so each run merges into one group.
  const std::vector<bool> mask = reduce.reduced_mask(x.size());
  std::vector<Group> kept, reduced;
  bool last_reduced = false;
  bool any = false;
  int64_t stride = 1;
  std::vector<int64_t> strides(x.size());
  for (size_t d = x.size(); d-- > 0;) {
    strides[d] = stride;
    stride *= x[d];
  }
  for (size_t d = 0; d < x.size(); ++d) {
    if (x[d] == 1) continue;
    std::vector<Group>& groups = mask[d] ? reduced : kept;
    if (any && last_reduced == mask[d]) {
      groups.back().dim *= x[d];
      groups.back().stride = strides[d];
    } else {
      groups.push_back({x[d], strides[d]});
    }
    any = true;
    last_reduced = mask[d];
  }
  if (kept.size() > kMaxGroups || reduced.size() > kMaxGroups)
    return make_error(StatusCode::kUnsupported,
                      "REDUCE: axes {} of input {} alternate between kept and reduced more than "
                      "{} times",
                      op.describe(), shape_to_string(x), kMaxGroups);

  ReducePush push{};
  push.count = static_cast<uint32_t>(count);
  int64_t reduce_count = 1;
  for (const Group& g : reduced) reduce_count *= g.dim;
  push.reduce_count = static_cast<uint32_t>(reduce_count);
  push.kind = static_cast<int32_t>(reduce.kind());
  place(kept, push.kept_dims, push.kept_strides);
  place(reduced, push.red_dims, push.red_strides);
  return recorder.dispatch(ShaderId::reduce, {inputs[0].slice, outputs[0].slice}, push,
                           static_cast<uint64_t>(count));
}

}  // namespace fennec::vulkan
