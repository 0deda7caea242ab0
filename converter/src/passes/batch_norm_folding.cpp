#include "passes/batch_norm_folding.h"

#include <cmath>

#include "ops/batch_norm.h"
#include "passes/conv_rewrite.h"
#include "passes/graph_query.h"

namespace fennec::passes {

std::vector<std::string> fold_batch_norms(graph::Graph& graph) {
  std::vector<std::string> folded;
  std::vector<bool> remove(graph.nodes.size(), false);
  auto consumers = tensor_consumers(graph);
  auto producers = tensor_producers(graph);
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    graph::Node& bn = graph.nodes[n];
    if (bn.op->type() != OpType::BATCH_NORM || bn.inputs.size() != 5 || bn.outputs.size() != 1 ||
        bn.inputs[0] < 0)
      continue;
    const int x = bn.inputs[0];
    const int producer = producers[static_cast<size_t>(x)];
    if (producer < 0 || remove[static_cast<size_t>(producer)]) continue;
    graph::Node& conv = graph.nodes[static_cast<size_t>(producer)];
    const int readers = static_cast<int>(consumers[static_cast<size_t>(x)].size());
    if (!conv_can_absorb(graph, conv, readers)) continue;
    const int64_t channels = *conv_output_channels(graph, conv);

    auto gamma = float_constant(graph, bn.inputs[1]);
    auto beta = float_constant(graph, bn.inputs[2]);
    auto mean = float_constant(graph, bn.inputs[3]);
    auto var = float_constant(graph, bn.inputs[4]);
    const size_t c = static_cast<size_t>(channels);
    if (!gamma || !beta || !mean || !var || gamma->size() != c || beta->size() != c ||
        mean->size() != c || var->size() != c)
      continue;
    const float eps = static_cast<const ops::BatchNormOp&>(*bn.op).epsilon();

    std::vector<float> scale(c), shift(c);
    for (size_t i = 0; i < c; ++i) {
      // Computed in double: the folded conv is compared with the unfolded
      // graph at 1e-5, and var + eps may be tiny.
      const double s = static_cast<double>((*gamma)[i]) /
                       std::sqrt(static_cast<double>((*var)[i]) + static_cast<double>(eps));
      scale[i] = static_cast<float>(s);
      shift[i] = static_cast<float>(static_cast<double>((*beta)[i]) -
                                    static_cast<double>((*mean)[i]) * s);
    }
    apply_output_affine(graph, conv, scale, shift);
    conv.outputs[0] = bn.outputs[0];
    producers[static_cast<size_t>(bn.outputs[0])] = producer;
    remove[n] = true;
    folded.push_back(bn.name);
  }
  erase_nodes(graph, remove);
  return folded;
}

}  // namespace fennec::passes
