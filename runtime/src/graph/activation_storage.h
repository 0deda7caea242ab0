// Binary16 activation storage (schema: Tensor). A node whose first output is
// FLOAT16 runs its kernels' _a16 variants: its activations are stored as
// binary16 and widened to float32 for arithmetic. CAST nodes convert where
// the storage changes.
#pragma once

#include <cstddef>

#include "base/status.h"
#include "graph/graph.h"

namespace fennec::graph {

// Whether input `slot` of `node` is an activation that its kernel reads in
// the node's activation storage: every FLOAT32 / FLOAT16 input but a
// quantized weight, the weight and bias of CONV and CONV_TRANSPOSE and the
// parameters of BATCH_NORM and LAYER_NORM (always float32).
bool activation_input(const Graph& graph, const Node& node, size_t slot);

// Whether `node` runs with binary16 activations (not a CAST; first output
// FLOAT16).
bool binary16_node(const Graph& graph, const Node& node);

// Whether any tensor that is not a constant is FLOAT16.
bool has_binary16_activations(const Graph& graph);

// kInvalidModel unless every node keeps the contract: a binary16 node (never
// an LSTM) has FLOAT16 outputs and activation inputs and FLOAT32 parameters;
// another node reads and writes no FLOAT16; a CAST's output is its `to`.
Status validate_activation_storage(const Graph& graph);

// Turns every FLOAT16 tensor that a node reads or writes into FLOAT32 (the
// constants converted, CASTs into float32 copies): the fallback for devices
// without 16-bit storage. Graph inputs and outputs keep their dtypes only if
// they are FLOAT32 already; a FLOAT16 graph input or output becomes FLOAT32.
void widen_binary16(Graph& graph);

// A copy of `graph`, widened. Its constants that stay as they are point at
// `graph`'s bytes, so `graph` must outlive it.
Result<std::unique_ptr<Graph>> widened_copy(const Graph& graph);

}  // namespace fennec::graph
