// Input affine folding: a chain of Mul / Add / Sub / Div by constants
// (scalar or per input channel) whose result feeds only an unpadded Conv is
// folded into that Conv:
//   conv(A * u + B) = conv_{W * A}(u) + bias + sum_{ci, k} W[o, ci, k] * B[ci]
// This is exact only without padding (padded zeros would otherwise have been
// A * 0 + B), so convs with any nonzero pad are left alone. It removes the
// affine blocks PaddleOCR places after an activation and before a 1x1 conv.
// Runs after activation fusion, so elementwise ops that received a fused
// activation are not touched.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"

namespace fennec::passes {

// Returns the names of the folded elementwise nodes.
std::vector<std::string> fold_input_affine_ops(graph::Graph& graph);

}  // namespace fennec::passes
