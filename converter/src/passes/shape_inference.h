// Shape inference over the converter's graph: each node's op->infer_shapes
// fills its output TensorInfo::shape. Dimensions that depend on a symbolic
// input dimension stay kUnknownDim; where an output dimension is the same
// symbol as an input dimension (the batch axis through a Conv, every axis
// through an elementwise op) the symbol name is carried into dim_symbols.
#pragma once

#include <cstddef>

#include "graph/graph.h"

namespace fennec::passes {

using schema::OpType;

// Infers and stores the output shapes of graph.nodes[node_index] from the
// current shapes of its inputs. Throws ConvertError naming the node on failure.
void infer_node_shapes(graph::Graph& graph, size_t node_index);

// Runs infer_node_shapes for every node in topological order.
void infer_shapes(graph::Graph& graph);

}  // namespace fennec::passes
