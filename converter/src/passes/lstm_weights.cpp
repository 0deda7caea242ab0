#include "passes/lstm_weights.h"

#include <algorithm>
#include <cstring>

#include "ops/lstm.h"
#include "passes/dead_node_removal.h"
#include "passes/graph_query.h"
#include "passes/quantization.h"

namespace fennec::passes {
namespace {

bool plain_constant(const graph::Graph& graph, int tensor, const std::vector<std::vector<int>>& consumers) {
  if (tensor < 0) return false;
  const graph::TensorInfo& t = graph.tensors[static_cast<size_t>(tensor)];
  return t.is_constant() && !t.is_quantized() && t.dtype == DataType::FLOAT32 && t.shape.size() == 3 &&
         is_static(t.shape) && consumers[static_cast<size_t>(tensor)].size() == 1 && !is_graph_output(graph, tensor);
}

}  // namespace

int combine_lstm_weights(graph::Graph& graph, const std::vector<std::string>& keep, size_t group) {
  const auto consumers = tensor_consumers(graph);
  int combined = 0;
  for (graph::Node& node : graph.nodes) {
    if (node.op->type() != ops::OpType::LSTM || node.inputs.size() <= ops::kLstmR || kept_by_user(node, keep))
      continue;
    const int w = node.inputs[ops::kLstmW], r = node.inputs[ops::kLstmR];
    if (!plain_constant(graph, w, consumers) || !plain_constant(graph, r, consumers)) continue;
    const Shape ws = graph.tensors[static_cast<size_t>(w)].shape, rs = graph.tensors[static_cast<size_t>(r)].shape;
    if (ws[0] != rs[0] || ws[1] != rs[1]) continue;
    const size_t rows = static_cast<size_t>(ws[0] * ws[1]);
    const size_t in = static_cast<size_t>(ws[2]), hidden = static_cast<size_t>(rs[2]);
    const size_t r_at = (in + group - 1) / group * group, cols = r_at + hidden;
    const HostTensor wv = graph.constant_value(w), rv = graph.constant_value(r);
    HostTensor both(DataType::FLOAT32, {static_cast<int64_t>(rows), static_cast<int64_t>(cols)});
    float* out = both.as<float>().data();  // zero-filled
    for (size_t row = 0; row < rows; ++row) {
      std::memcpy(out + row * cols, wv.as<float>().data() + row * in, in * sizeof(float));
      std::memcpy(out + row * cols + r_at, rv.as<float>().data() + row * hidden, hidden * sizeof(float));
    }
    const std::string name = graph.tensors[static_cast<size_t>(w)].name + "+R";
    node.inputs[ops::kLstmW] = graph.add_constant(name, both);
    node.inputs[ops::kLstmR] = -1;
    ++combined;
  }
  if (combined > 0) compact_tensors(graph);
  return combined;
}

}  // namespace fennec::passes
