// LSTM weights for quantization: the kernels decode one quantized matrix per
// binding, so W [dirs, 4H, I] and R [dirs, 4H, H] of an LSTM become one W
// [dirs * 4H, C] with each row W's, zeros up to column C - H, then R's, and
// R is dropped (see ops::combined_weights). R starts at a multiple of the
// scale group, so that W's and R's values, whose magnitudes may differ
// tenfold, never share a scale.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"

namespace fennec::passes {

// Combines the weights of every LSTM whose W and R are float32 constants
// used by it alone, except nodes named (or of an op type named) in `keep`,
// with R at the first multiple of `group` columns after W's; unused
// constants are then dropped (tensor indices are renumbered). Returns how
// many LSTMs changed.
int combine_lstm_weights(graph::Graph& graph, const std::vector<std::string>& keep, size_t group);

}  // namespace fennec::passes
