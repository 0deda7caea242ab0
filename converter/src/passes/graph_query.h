// Small queries and edits on a graph::Graph shared by the converter passes.
// All functions are synchronous and take the graph by reference; none keeps
// a pointer into it after returning.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace fennec::passes {

using schema::OpType;

// For each tensor, the indices of the nodes that read it (one entry per
// reading input slot, so a node reading a tensor twice appears twice).
std::vector<std::vector<int>> tensor_consumers(const graph::Graph& graph);

// For each tensor, the index of the node that produces it, or -1.
std::vector<int> tensor_producers(const graph::Graph& graph);

bool is_graph_output(const graph::Graph& graph, int tensor);

// For each tensor, whether a node or the graph's inputs/outputs refer to it.
std::vector<bool> referenced_tensors(const graph::Graph& graph);

// Removes the nodes whose flag is set, keeping the order of the others.
void erase_nodes(graph::Graph& graph, const std::vector<bool>& remove);

// The value of a FLOAT32 constant with exactly one element, if `tensor` is one.
std::optional<float> scalar_constant(const graph::Graph& graph, int tensor);

// The values of a FLOAT32 constant, if `tensor` is one.
std::optional<std::vector<float>> float_constant(const graph::Graph& graph, int tensor);

// `base`, or `base` with a numeric suffix, such that no tensor has that name.
std::string unique_tensor_name(const graph::Graph& graph, const std::string& base);

// Throws ConvertError naming `pass` when graph.validate() fails.
void check_graph(const graph::Graph& graph, const std::string& pass);

}  // namespace fennec::passes
