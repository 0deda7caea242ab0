#include "passes/dead_node_removal.h"

#include <algorithm>
#include <unordered_set>

#include "passes/graph_query.h"

namespace fennec::passes {

void compact_tensors(graph::Graph& graph, DeadCodeReport* report) {
  const std::vector<bool> used = passes::referenced_tensors(graph);

  std::vector<int> remap(graph.tensors.size(), -1);
  std::vector<graph::TensorInfo> kept;
  for (size_t i = 0; i < graph.tensors.size(); ++i) {
    if (!used[i]) {
      if (report) {
        report->removed_tensors++;
        if (graph.tensors[i].is_constant()) report->removed_constants++;
      }
      continue;
    }
    remap[i] = static_cast<int>(kept.size());
    kept.push_back(std::move(graph.tensors[i]));
  }
  graph.tensors = std::move(kept);
  auto apply = [&](std::vector<int>& indices) {
    for (int& t : indices)
      if (t >= 0) t = remap[static_cast<size_t>(t)];
  };
  apply(graph.inputs);
  apply(graph.outputs);
  for (graph::Node& node : graph.nodes) {
    apply(node.inputs);
    apply(node.outputs);
  }

  // Release owned buffers that no tensor points into any more.
  std::unordered_set<const std::byte*> live;
  for (const graph::TensorInfo& t : graph.tensors)
    if (t.data) live.insert(t.data);
  std::vector<std::unique_ptr<std::vector<std::byte>>> owned;
  for (auto& buffer : graph.owned_data)
    if (live.count(buffer->data())) owned.push_back(std::move(buffer));
  graph.owned_data = std::move(owned);
}

DeadCodeReport remove_dead_nodes(graph::Graph& graph) {
  DeadCodeReport report;
  std::vector<bool> live(graph.tensors.size(), false);
  for (int t : graph.outputs)
    if (t >= 0) live[static_cast<size_t>(t)] = true;
  std::vector<bool> remove(graph.nodes.size(), false);
  for (size_t n = graph.nodes.size(); n-- > 0;) {
    const graph::Node& node = graph.nodes[n];
    bool needed = false;
    for (int t : node.outputs)
      if (t >= 0 && live[static_cast<size_t>(t)]) needed = true;
    if (!needed) {
      remove[n] = true;
      report.removed_nodes.push_back(node.name);
      continue;
    }
    for (int t : node.inputs)
      if (t >= 0) live[static_cast<size_t>(t)] = true;
  }
  erase_nodes(graph, remove);
  std::reverse(report.removed_nodes.begin(), report.removed_nodes.end());
  compact_tensors(graph, &report);
  return report;
}

}  // namespace fennec::passes
