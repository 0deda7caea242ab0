// Layout clean-up for models exported from NHWC frameworks (tf2onnx wraps
// convolutions in transposes): consecutive transposes are merged, identity
// transposes removed, a transpose that only moves size-1 axes becomes a
// reshape, and a transpose is moved below elementwise ops (unary, or binary
// with both operands transposed alike) so that it meets and cancels its
// inverse. Graph outputs keep their names and layouts.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"

namespace fennec::passes {

// Returns the names of the transposes rewritten, one entry per rewrite.
std::vector<std::string> eliminate_transposes(graph::Graph& graph);

}  // namespace fennec::passes
