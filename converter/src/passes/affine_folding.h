// Affine folding: Add, Sub, Mul or Div of a Conv / ConvTranspose output by a
// FLOAT32 constant that is a scalar or per output channel ([1,C,1,1],
// [C,1,1]) is folded into the conv's weights and bias. This removes the bias
// Add that some exporters emit after ConvTranspose (which then lets the
// following BatchNorm fold) and PaddleOCR's learnable affine blocks
// (y = w0 * conv(x) + w1) in front of hard-swish. Same conditions as
// BatchNorm folding: the conv output feeds only that op, is not a graph
// output, and the conv has no fused activation.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"

namespace fennec::passes {

// Returns the names of the folded elementwise nodes.
std::vector<std::string> fold_affine_ops(graph::Graph& graph);

}  // namespace fennec::passes
