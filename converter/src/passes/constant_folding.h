// Constant folding: a node whose inputs are all FLOAT32 constants is run on
// the CPU (ops::run_reference) and its outputs become constants the graph
// owns; the node is removed. Nodes producing a graph output are kept so that
// every graph output stays computed by a node.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"

namespace fennec::passes {

// Returns the names of the folded nodes. Throws ConvertError when a
// reference kernel fails.
std::vector<std::string> fold_constants(graph::Graph& graph);

}  // namespace fennec::passes
