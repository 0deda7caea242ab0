#include "ops/strided.h"

namespace fennec::ops {

std::vector<int64_t> dense_strides(const Shape& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;) strides[d - 1] = strides[d] * shape[d];
  return strides;
}

StridedView StridedView::simplified() const {
  StridedView out;
  out.offset = offset;
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == 1) continue;
    // Merging needs the previous (outer) axis to step over exactly this whole
    // axis; then the pair walks the input like one longer axis.
    if (!out.dims.empty() && out.strides.back() == strides[d] * dims[d]) {
      out.dims.back() *= dims[d];
      out.strides.back() = strides[d];
      continue;
    }
    out.dims.push_back(dims[d]);
    out.strides.push_back(strides[d]);
  }
  return out;
}

void copy_strided(const StridedView& view, const float* x, float* y) {
  const int64_t count = element_count(view.dims);
  if (count == 0) return;
  const size_t rank = view.dims.size();
  std::vector<int64_t> coord(rank, 0);
  int64_t src = view.offset;
  for (int64_t i = 0; i < count; ++i) {
    y[i] = x[src];
    // Odometer increment from the innermost axis, keeping `src` in step.
    for (size_t d = rank; d-- > 0;) {
      if (++coord[d] < view.dims[d]) {
        src += view.strides[d];
        break;
      }
      coord[d] = 0;
      src -= view.strides[d] * (view.dims[d] - 1);
    }
  }
}

}  // namespace fennec::ops
