#include "passes/graph_query.h"

#include <cstring>
#include <unordered_set>

#include "passes/convert_error.h"

namespace fennec::passes {

std::vector<std::vector<int>> tensor_consumers(const graph::Graph& graph) {
  std::vector<std::vector<int>> consumers(graph.tensors.size());
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    for (int in : graph.nodes[n].inputs)
      if (in >= 0) consumers[static_cast<size_t>(in)].push_back(static_cast<int>(n));
  return consumers;
}

std::vector<int> tensor_producers(const graph::Graph& graph) {
  std::vector<int> producers(graph.tensors.size(), -1);
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    for (int out : graph.nodes[n].outputs)
      if (out >= 0) producers[static_cast<size_t>(out)] = static_cast<int>(n);
  return producers;
}

bool is_graph_output(const graph::Graph& graph, int tensor) {
  for (int out : graph.outputs)
    if (out == tensor) return true;
  return false;
}

void erase_nodes(graph::Graph& graph, const std::vector<bool>& remove) {
  std::vector<graph::Node> kept;
  kept.reserve(graph.nodes.size());
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    if (n >= remove.size() || !remove[n]) kept.push_back(std::move(graph.nodes[n]));
  graph.nodes = std::move(kept);
}

std::optional<std::vector<float>> float_constant(const graph::Graph& graph, int tensor) {
  if (tensor < 0 || static_cast<size_t>(tensor) >= graph.tensors.size()) return std::nullopt;
  const graph::TensorInfo& info = graph.tensors[static_cast<size_t>(tensor)];
  if (!info.is_constant() || info.dtype != DataType::FLOAT32 || !is_static(info.shape))
    return std::nullopt;
  const size_t count = static_cast<size_t>(element_count(info.shape));
  if (info.data_bytes < count * sizeof(float)) return std::nullopt;
  std::vector<float> values(count);
  if (count) std::memcpy(values.data(), info.data, count * sizeof(float));
  return values;
}

std::optional<float> scalar_constant(const graph::Graph& graph, int tensor) {
  auto values = float_constant(graph, tensor);
  if (!values || values->size() != 1) return std::nullopt;
  return (*values)[0];
}

std::string unique_tensor_name(const graph::Graph& graph, const std::string& base) {
  std::unordered_set<std::string> names;
  names.reserve(graph.tensors.size());
  for (const graph::TensorInfo& t : graph.tensors) names.insert(t.name);
  if (!names.count(base)) return base;
  for (int i = 1;; ++i) {
    std::string candidate = base + "_" + std::to_string(i);
    if (!names.count(candidate)) return candidate;
  }
}

void check_graph(const graph::Graph& graph, const std::string& pass) {
  Status status = graph.validate();
  if (!status.ok())
    throw converter::ConvertError("graph is invalid after " + pass + ": " + status.message());
}

std::vector<bool> referenced_tensors(const graph::Graph& graph) {
  std::vector<bool> used(graph.tensors.size(), false);
  auto mark = [&](int t) {
    if (t >= 0) used[static_cast<size_t>(t)] = true;
  };
  for (int t : graph.inputs) mark(t);
  for (int t : graph.outputs) mark(t);
  for (const graph::Node& node : graph.nodes) {
    for (int t : node.inputs) mark(t);
    for (int t : node.outputs) mark(t);
  }
  return used;
}

}  // namespace fennec::passes
