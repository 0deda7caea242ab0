#include "passes/affine_folding.h"

#include "passes/conv_rewrite.h"
#include "passes/graph_query.h"

namespace fennec::passes {
std::vector<std::string> fold_affine_ops(graph::Graph& graph) {
  std::vector<std::string> folded;
  std::vector<bool> remove(graph.nodes.size(), false);
  auto consumers = tensor_consumers(graph);
  auto producers = tensor_producers(graph);
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    graph::Node& op = graph.nodes[n];
    const OpType type = op.op->type();
    if (type != OpType::ADD && type != OpType::SUB && type != OpType::MUL && type != OpType::DIV)
      continue;
    if (op.inputs.size() != 2 || op.outputs.size() != 1) continue;
    auto* activation = op.op->fused_activation();
    if (activation && !activation->is_none()) continue;

    // Which operand is the conv output? Sub and Div only fold as x - c, x / c.
    for (int side = 0; side < 2; ++side) {
      if (side == 1 && (type == OpType::SUB || type == OpType::DIV)) break;
      const int x = op.inputs[static_cast<size_t>(side)];
      const int c = op.inputs[static_cast<size_t>(1 - side)];
      if (x < 0 || c < 0 || x == c) continue;
      const int producer = producers[static_cast<size_t>(x)];
      if (producer < 0 || remove[static_cast<size_t>(producer)]) continue;
      graph::Node& conv = graph.nodes[static_cast<size_t>(producer)];
      if (!conv_can_absorb(graph, conv, static_cast<int>(consumers[static_cast<size_t>(x)].size())))
        continue;
      const int64_t channels = *conv_output_channels(graph, conv);
      auto values = channel_values(graph, c, channels);
      if (!values) continue;

      std::vector<float> scale, shift(static_cast<size_t>(channels), 0.0f);
      bool ok = true;
      switch (type) {
        case OpType::ADD: shift = *values; break;
        case OpType::SUB:
          for (size_t i = 0; i < shift.size(); ++i) shift[i] = -(*values)[i];
          break;
        case OpType::MUL: scale = *values; break;
        case OpType::DIV:
          scale.resize(values->size());
          for (size_t i = 0; i < scale.size(); ++i) {
            if ((*values)[i] == 0.0f) ok = false;
            scale[i] = 1.0f / (*values)[i];
          }
          break;
        default: ok = false;
      }
      if (!ok) break;
      apply_output_affine(graph, conv, scale, shift);
      conv.outputs[0] = op.outputs[0];
      producers[static_cast<size_t>(op.outputs[0])] = producer;
      remove[n] = true;
      folded.push_back(op.name);
      break;
    }
  }
  erase_nodes(graph, remove);
  return folded;
}

}  // namespace fennec::passes
