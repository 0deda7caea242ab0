#include "ops/batch_broadcast.h"

namespace fennec::ops {

int64_t BatchLayout::offset(size_t operand, int64_t b) const {
  int64_t off = 0;
  for (size_t d = dims.size(); d-- > 0;) {
    off += (b % dims[d]) * strides[operand][d];
    b /= dims[d];
  }
  return off;
}

BatchLayout make_batch_layout(const Shape& out_batch, std::span<const Shape> batches,
                              std::span<const int64_t> matrix_sizes) {
  const size_t rank = out_batch.size();
  const size_t n = batches.size();
  // Full-rank strides first: a dense operand's own strides, zero on axes it
  // broadcasts along (size 1 or missing).
  std::vector<std::vector<int64_t>> full(n, std::vector<int64_t>(rank, 0));
  for (size_t i = 0; i < n; ++i) {
    const Shape& s = batches[i];
    int64_t stride = matrix_sizes[i];
    for (size_t k = 0; k < s.size() && k < rank; ++k) {
      const size_t axis = rank - 1 - k;
      const int64_t dim = s[s.size() - 1 - k];
      full[i][axis] = dim == 1 ? 0 : stride;
      stride *= dim;
    }
  }
  // Drop size-1 axes and merge an axis into the previous kept one when every
  // operand walks them as one (outer stride = inner stride * inner size).
  BatchLayout layout;
  layout.strides.assign(n, {});
  for (size_t axis = 0; axis < rank; ++axis) {
    const int64_t dim = out_batch[axis];
    if (dim == 1) continue;
    bool merge = !layout.dims.empty();
    for (size_t i = 0; merge && i < n; ++i)
      merge = layout.strides[i].back() == full[i][axis] * dim;
    if (merge) {
      layout.dims.back() *= dim;
      for (size_t i = 0; i < n; ++i) layout.strides[i].back() = full[i][axis];
    } else {
      layout.dims.push_back(dim);
      for (size_t i = 0; i < n; ++i) layout.strides[i].push_back(full[i][axis]);
    }
  }
  return layout;
}

}  // namespace fennec::ops
