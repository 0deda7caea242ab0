#include "passes/input_affine_folding.h"

#include <optional>

#include "ops/conv.h"
#include "passes/conv_rewrite.h"
#include "passes/graph_query.h"

namespace fennec::passes {
namespace {

bool unpadded_conv(const graph::Node& node) {
  const auto* conv = dynamic_cast<const ops::ConvOp*>(node.op.get());
  if (!conv) return false;
  const ops::ConvParams& p = conv->params();
  return p.pad_top == 0 && p.pad_left == 0 && p.pad_bottom == 0 && p.pad_right == 0;
}

}  // namespace

std::vector<std::string> fold_input_affine_ops(graph::Graph& graph) {
  std::vector<std::string> folded;
  std::vector<bool> remove(graph.nodes.size(), false);
  const auto consumers = tensor_consumers(graph);
  const auto producers = tensor_producers(graph);

  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    graph::Node& conv = graph.nodes[n];
    if (!unpadded_conv(conv) || conv.inputs.size() < 2 || conv.inputs[0] < 0) continue;
    if (!conv_params_are_constant(graph, conv)) continue;
    const Shape& w_shape = graph.tensors[static_cast<size_t>(conv.inputs[1])].shape;
    if (w_shape.size() != 4 || !is_static(w_shape)) continue;
    const int group = static_cast<const ops::ConvOp&>(*conv.op).params().group;
    const int64_t in_channels = w_shape[1] * group;
    const size_t c = static_cast<size_t>(in_channels);

    // Walk back from the conv input while the producer is a foldable
    // elementwise op; the conv input equals A * source + B.
    std::vector<float> a(c, 1.0f), b(c, 0.0f);
    std::vector<int> chain;
    int source = conv.inputs[0];
    while (true) {
      if (is_graph_output(graph, source) || consumers[static_cast<size_t>(source)].size() != 1)
        break;
      const int p = producers[static_cast<size_t>(source)];
      if (p < 0 || remove[static_cast<size_t>(p)]) break;
      const graph::Node& op = graph.nodes[static_cast<size_t>(p)];
      const OpType type = op.op->type();
      if (type != OpType::ADD && type != OpType::SUB && type != OpType::MUL && type != OpType::DIV)
        break;
      auto* activation = op.op->fused_activation();
      if ((activation && !activation->is_none()) || op.inputs.size() != 2) break;
      // The variable operand u and the constant k: u + k, k + u, u - k,
      // u * k, k * u, u / k.
      int u = -1;
      std::optional<std::vector<float>> k;
      if ((k = channel_values(graph, op.inputs[1], in_channels))) {
        u = op.inputs[0];
      } else if (type != OpType::SUB && type != OpType::DIV &&
                 (k = channel_values(graph, op.inputs[0], in_channels))) {
        u = op.inputs[1];
      }
      if (u < 0 || graph.tensors[static_cast<size_t>(u)].is_constant()) break;
      bool ok = true;
      for (size_t i = 0; i < c; ++i) {
        const float v = (*k)[i];
        switch (type) {
          case OpType::ADD: b[i] += a[i] * v; break;
          case OpType::SUB: b[i] -= a[i] * v; break;
          case OpType::MUL: a[i] *= v; break;
          default:
            if (v == 0.0f) ok = false;
            else a[i] /= v;
        }
      }
      if (!ok) break;
      chain.push_back(p);
      source = u;
    }
    if (chain.empty()) continue;

    // W'[o, j] = W[o, j] * A[ci]; bias'[o] = bias[o] + sum_{j,k} W[o, j, k] * B[ci],
    // where ci = group_of(o) * (C / group) + j.
    HostTensor weights = graph.constant_value(conv.inputs[1]);
    auto w = weights.as<float>();
    const int64_t out_channels = w_shape[0], per_group = w_shape[1];
    const int64_t spatial = w_shape[2] * w_shape[3];
    const int64_t out_per_group = out_channels / group;
    std::vector<float> shift(static_cast<size_t>(out_channels), 0.0f);
    for (int64_t o = 0; o < out_channels; ++o) {
      const int64_t g = o / out_per_group;
      double sum = 0.0;
      for (int64_t j = 0; j < per_group; ++j) {
        const size_t ci = static_cast<size_t>(g * per_group + j);
        float* block = &w[static_cast<size_t>((o * per_group + j) * spatial)];
        for (int64_t s = 0; s < spatial; ++s) {
          sum += static_cast<double>(block[s]) * static_cast<double>(b[ci]);
          block[s] *= a[ci];
        }
      }
      shift[static_cast<size_t>(o)] = static_cast<float>(sum);
    }
    // Bias first (it reads the original weights only through `shift`), then
    // the rescaled weights.
    apply_output_affine(graph, conv, {}, shift);
    const int w_index = conv.inputs[1];
    int readers = 0;
    for (const graph::Node& other : graph.nodes)
      for (int in : other.inputs) readers += in == w_index;
    if (readers == 1) {
      graph.set_constant(w_index, weights);
    } else {
      conv.inputs[1] = graph.add_constant(
          unique_tensor_name(graph, graph.tensors[static_cast<size_t>(w_index)].name + ".folded"),
          weights);
    }
    conv.inputs[0] = source;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {  // in graph order
      const int p = *it;
      remove[static_cast<size_t>(p)] = true;
      folded.push_back(graph.nodes[static_cast<size_t>(p)].name);
    }
  }
  erase_nodes(graph, remove);
  return folded;
}

}  // namespace fennec::passes
