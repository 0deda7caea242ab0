// BatchNorm folding: an inference BatchNorm that directly follows a Conv or
// ConvTranspose is folded into that node's weights and bias, when the conv
// output feeds only the BatchNorm, is not a graph output, the conv has no
// fused activation yet, and every parameter is a FLOAT32 constant.
//   s = scale / sqrt(var + eps);  W'[o] = W[o] * s[o];  b' = (b - mean) * s + bias
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"

namespace fennec::passes {

// Returns the names of the folded BatchNorm nodes.
std::vector<std::string> fold_batch_norms(graph::Graph& graph);

}  // namespace fennec::passes
