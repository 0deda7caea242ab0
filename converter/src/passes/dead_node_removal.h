// Dead-node removal: drops nodes none of whose outputs reach a graph output,
// then compacts the tensor table, dropping every tensor no node or graph
// input/output references (unused constants included) and freeing the graph-
// owned bytes no remaining tensor points at. Tensor indices are renumbered.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"

namespace fennec::passes {

struct DeadCodeReport {
  std::vector<std::string> removed_nodes;
  int removed_constants = 0;  // constant tensors dropped
  int removed_tensors = 0;    // all tensors dropped, constants included
};

DeadCodeReport remove_dead_nodes(graph::Graph& graph);

// Only the tensor compaction step (renumbers indices).
void compact_tensors(graph::Graph& graph, DeadCodeReport* report = nullptr);

}  // namespace fennec::passes
