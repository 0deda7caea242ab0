#include "passes/constant_folding.h"

#include "passes/convert_error.h"
#include "passes/graph_query.h"

namespace fennec::passes {

std::vector<std::string> fold_constants(graph::Graph& graph) {
  std::vector<std::string> folded;
  std::vector<bool> remove(graph.nodes.size(), false);
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    graph::Node& node = graph.nodes[n];
    bool foldable = !node.inputs.empty() && !node.outputs.empty();
    bool any_input = false;
    for (int in : node.inputs) {
      if (in < 0) continue;
      any_input = true;
      const graph::TensorInfo& info = graph.tensors[static_cast<size_t>(in)];
      // The reference kernels compute in fp32; integer constants only feed
      // attributes and are handled by the importer.
      if (!info.is_constant() || info.dtype != DataType::FLOAT32 || !is_static(info.shape))
        foldable = false;
    }
    for (int out : node.outputs)
      if (out < 0 || is_graph_output(graph, out)) foldable = false;
    if (!foldable || !any_input) continue;

    std::vector<HostTensor> values;
    std::vector<const HostTensor*> inputs;
    values.reserve(node.inputs.size());
    for (int in : node.inputs) {
      if (in < 0) {
        inputs.push_back(nullptr);
        continue;
      }
      values.push_back(graph.constant_value(in));
      inputs.push_back(&values.back());
    }
    auto result = ops::run_reference(*node.op, inputs);
    if (!result.ok())
      throw converter::ConvertError("constant folding of node '" + node.name + "' (" +
                                    node.op->type_name() + ") failed: " +
                                    result.status().message());
    for (size_t o = 0; o < node.outputs.size() && o < result->size(); ++o)
      graph.set_constant(node.outputs[o], (*result)[o]);
    remove[n] = true;
    folded.push_back(node.name);
  }
  erase_nodes(graph, remove);
  return folded;
}

}  // namespace fennec::passes
