// A strided view of a dense tensor: the layout ops TRANSPOSE, SLICE and EXPAND
// each read their input as one. Output element with coordinates c reads the
// input element at offset + sum(c[d] * strides[d]); strides may be negative
// (reversed slices) or zero (broadcast axes).
#pragma once

#include <cstdint>
#include <vector>

#include "graph/tensor.h"

namespace fennec::ops {

struct StridedView {
  Shape dims;                    // the output shape
  std::vector<int64_t> strides;  // input element strides, one per output axis
  int64_t offset = 0;            // input element of output coordinate 0

  // The same mapping with size-1 axes dropped and adjacent axes merged where
  // the outer stride is the inner stride times the inner size; the rank can
  // only shrink. The result describes the same element order.
  StridedView simplified() const;
};

// Row-major element strides of a dense tensor of `shape`.
std::vector<int64_t> dense_strides(const Shape& shape);

// y[i] = x[view(i)] for every output element i in row-major order.
void copy_strided(const StridedView& view, const float* x, float* y);

}  // namespace fennec::ops
