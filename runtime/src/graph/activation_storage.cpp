#include "graph/activation_storage.h"

#include "ops/cast.h"

namespace fennec::graph {
namespace {

const TensorInfo& tensor(const Graph& graph, int index) { return graph.tensors[static_cast<size_t>(index)]; }

}  // namespace

bool activation_input(const Graph& graph, const Node& node, size_t slot) {
  const int in = node.inputs[slot];
  if (in < 0) return false;
  const TensorInfo& t = tensor(graph, in);
  if (t.is_quantized() || !is_float_dtype(t.dtype)) return false;
  switch (node.op->type()) {
    case ops::OpType::CONV:
    case ops::OpType::CONV_TRANSPOSE:
    case ops::OpType::BATCH_NORM:
    case ops::OpType::LAYER_NORM:
      return slot == 0;
    default:
      return true;
  }
}

bool binary16_node(const Graph& graph, const Node& node) {
  return node.op->type() != ops::OpType::CAST && !node.outputs.empty() &&
         tensor(graph, node.outputs[0]).dtype == DataType::FLOAT16;
}

bool has_binary16_activations(const Graph& graph) {
  for (const TensorInfo& t : graph.tensors)
    if (!t.is_constant() && t.dtype == DataType::FLOAT16) return true;
  return false;
}

Status validate_activation_storage(const Graph& graph) {
  for (const Node& node : graph.nodes) {
    if (node.op->type() == ops::OpType::CAST) {
      const DataType to = static_cast<const ops::CastOp&>(*node.op).to();
      if (node.outputs.size() != 1 || tensor(graph, node.outputs[0]).dtype != to)
        return make_error(StatusCode::kInvalidModel, "CAST '{}' must have one {} output", node.name,
                          dtype_name(to));
      continue;
    }
    const bool half = binary16_node(graph, node);
    if (half && node.op->type() == ops::OpType::LSTM)
      return make_error(StatusCode::kInvalidModel, "node '{}' (LSTM) has FLOAT16 outputs; LSTM runs in float32",
                        node.name);
    const DataType want = half ? DataType::FLOAT16 : DataType::FLOAT32;
    for (int out : node.outputs) {
      const TensorInfo& t = tensor(graph, out);
      if (is_float_dtype(t.dtype) && t.dtype != want)
        return make_error(StatusCode::kInvalidModel, "node '{}' ({}) mixes FLOAT16 and FLOAT32 outputs ('{}' is {})",
                          node.name, node.op->type_name(), t.name, dtype_name(t.dtype));
    }
    for (size_t slot = 0; slot < node.inputs.size(); ++slot) {
      if (node.inputs[slot] < 0) continue;
      const TensorInfo& t = tensor(graph, node.inputs[slot]);
      if (!is_float_dtype(t.dtype) || t.is_quantized()) continue;
      const DataType expected = activation_input(graph, node, slot) ? want : DataType::FLOAT32;
      if (t.dtype != expected)
        return make_error(StatusCode::kInvalidModel,
                          "node '{}' ({}) with {} activations reads {} '{}' as input {}; it needs {} (a CAST "
                          "converts)",
                          node.name, node.op->type_name(), dtype_name(want), dtype_name(t.dtype), t.name, slot,
                          dtype_name(expected));
    }
  }
  return ok_status();
}

void widen_binary16(Graph& graph) {
  for (size_t i = 0; i < graph.tensors.size(); ++i) {
    TensorInfo& t = graph.tensors[i];
    if (t.dtype != DataType::FLOAT16) continue;
    if (!t.is_constant()) {
      t.dtype = DataType::FLOAT32;
      continue;
    }
    Result<HostTensor> wide = convert_dtype(graph.constant_value(static_cast<int>(i)), DataType::FLOAT32);
    if (wide.ok()) graph.set_constant(static_cast<int>(i), *wide);
  }
  for (Node& node : graph.nodes)
    if (node.op->type() == ops::OpType::CAST) node.op = std::make_unique<ops::CastOp>(DataType::FLOAT32);
}

Result<std::unique_ptr<Graph>> widened_copy(const Graph& graph) {
  auto copy = std::make_unique<Graph>();
  copy->tensors = graph.tensors;
  copy->inputs = graph.inputs;
  copy->outputs = graph.outputs;
  copy->constant_storage = graph.constant_storage;
  for (const Node& node : graph.nodes) {
    FENNEC_ASSIGN_OR_RETURN(std::unique_ptr<ops::Op> op, ops::clone_op(*node.op));
    copy->nodes.push_back({node.name, std::move(op), node.inputs, node.outputs});
  }
  widen_binary16(*copy);
  return copy;
}

}  // namespace fennec::graph
