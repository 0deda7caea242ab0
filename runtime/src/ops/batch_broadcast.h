// Batch axes shared by the batched matrix ops (MATMUL, ATTENTION): operands
// whose leading axes broadcast (numpy rules) against the output's leading
// axes, each operand a dense row-major array of equally sized matrices.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "graph/tensor.h"

namespace fennec::ops {

struct BatchLayout {
  Shape dims;  // the output batch axes, size-1 axes dropped, mergeable axes merged
  // strides[i][d]: element stride of operand i along dims[d] (0 = broadcast).
  std::vector<std::vector<int64_t>> strides;

  int64_t count() const { return element_count(dims); }
  // Element offset of the matrix that output batch entry `b` reads from operand i.
  int64_t offset(size_t operand, int64_t b) const;
};

// `out_batch` is the static output batch shape; `batches[i]` operand i's
// leading (batch) shape, right-aligned against it, each axis 1 or equal;
// `matrix_sizes[i]` the elements of one of its matrices.
BatchLayout make_batch_layout(const Shape& out_batch, std::span<const Shape> batches,
                              std::span<const int64_t> matrix_sizes);

}  // namespace fennec::ops
