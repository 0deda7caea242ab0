// LSTM weights for quantization: the kernels decode one quantized matrix per
// binding, so W [dirs, 4H, I] and R [dirs, 4H, H] of an LSTM become one W
// [dirs * 4H, I + H] with each row W's then R's, and R is dropped (see
// ops::combined_weights). The gate rows are the matrix rows, so per-row
// scales and groups run along each gate's inputs as for any other layer.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"

namespace fennec::passes {

// Combines the weights of every LSTM whose W and R are float32 constants
// used by it alone, except nodes named (or of an op type named) in `keep`;
// unused constants are then dropped (tensor indices are renumbered).
// Returns how many LSTMs changed.
int combine_lstm_weights(graph::Graph& graph, const std::vector<std::string>& keep);

}  // namespace fennec::passes
