// Nodes run in bands of output rows, for budgets below what one node reads
// and writes at once.
//
// A banded node's activations stay in host memory (the spill stores) while
// it runs: for each band of output rows, the host copies the input rows that
// band needs into a window in the arena, one submission computes the band
// there, and the host copies the output rows back. The window is all the
// arena the node needs. Each output element is computed by the same kernel
// from the same inputs as in a whole run, so the results are identical.
//
// Bands run along axis 2 (rows) of rank-4 NCHW tensors: elementwise ops,
// binary ops (an operand broadcast along the rows is copied whole), CONCAT
// along another axis, and CONV, whose bands read the rows their window
// covers (with the pads of a band at the image's edge).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "graph/graph.h"
#include "graph/tensor.h"
#include "ops/op.h"

namespace fennec::vulkan {

// Rows [begin, end) of every plane (n, c) of a rank-4 tensor.
struct RowRange {
  int64_t begin = 0;
  int64_t end = 0;
};

enum class BandAccess {
  kNone,   // absent optional input, or a constant bound from the weights
  kRows,   // the band's rows, copied through the window
  kWhole,  // broadcast along the rows: copied whole into the window
};

// One input or output of a banded node.
struct BandBinding {
  int tensor = -1;
  BandAccess access = BandAccess::kNone;
  uint64_t window_offset = 0;  // where it lies in the window
};

struct Band {
  std::vector<RowRange> rows;   // per binding, inputs then outputs (kRows only)
  std::unique_ptr<ops::Op> op;  // the op with this band's pads (CONV), else null: the node's op
};

struct BandedNode {
  int node = -1;
  std::vector<BandBinding> inputs, outputs;
  std::vector<Band> bands;
  uint64_t window_bytes = 0;
  uint64_t inputs_bytes = 0;  // the window's first bytes, which hold the inputs
  size_t window = 0;          // the arena buffer of the window (set by the session)
};

// Whether `node` can run in bands with these tensor shapes (per graph tensor).
bool can_band(const graph::Graph& graph, const graph::Node& node, const std::vector<Shape>& shapes);

// Cuts `node` (can_band) into bands as tall as a window of at most
// `window_limit` bytes allows (at least one output row each); bindings lie
// in the window at multiples of `alignment`.
BandedNode plan_bands(const graph::Graph& graph, int node, const std::vector<Shape>& shapes,
                      uint64_t window_limit, uint64_t alignment);

// A binding's shape in a band: `full` with `rows` along axis 2 (kRows), or
// `full` itself.
Shape band_shape(const Shape& full, BandAccess access, RowRange rows);

// Bytes of a binding in a band.
uint64_t band_bytes(const Shape& full, DataType dtype, BandAccess access, RowRange rows);

// Copies rows `rows` of every plane of `tensor` (shape `full`, rank 4) into
// `window`, where they lie plane after plane, or back.
void copy_rows(const Shape& full, DataType dtype, RowRange rows, std::byte* tensor, std::byte* window,
               bool into_window);

}  // namespace fennec::vulkan
