#include "graph/graph.h"

#include <cstring>

#include "graph/activation_storage.h"
#include "ops/lstm.h"
#include "ops/matmul.h"

namespace fennec::graph {

int Graph::add_tensor(TensorInfo info) {
  tensors.push_back(std::move(info));
  return static_cast<int>(tensors.size()) - 1;
}

int Graph::add_constant(const std::string& name, const HostTensor& tensor) {
  TensorInfo info;
  info.name = name;
  info.dtype = tensor.dtype;
  info.shape = tensor.shape;
  info.dim_symbols.assign(tensor.shape.size(), "");
  int index = add_tensor(std::move(info));
  set_constant(index, tensor);
  return index;
}

void Graph::set_constant(int index, const HostTensor& tensor) {
  owned_data.push_back(std::make_unique<std::vector<std::byte>>(tensor.bytes));
  TensorInfo& info = tensors[static_cast<size_t>(index)];
  info.dtype = tensor.dtype;
  info.shape = tensor.shape;
  info.dim_symbols.assign(tensor.shape.size(), "");
  info.data = owned_data.back()->data();
  info.data_bytes = owned_data.back()->size();
  // A zero-sized constant still counts as constant.
  if (info.data == nullptr) {
    static const std::byte kEmpty{};
    info.data = &kEmpty;
  }
}

void Graph::set_quantized_constant(int index, const quant::WeightQuant& quant, std::vector<std::byte> bytes) {
  owned_data.push_back(std::make_unique<std::vector<std::byte>>(std::move(bytes)));
  TensorInfo& info = tensors[static_cast<size_t>(index)];
  info.quant = quant;
  info.data = owned_data.back()->data();
  info.data_bytes = owned_data.back()->size();
}

HostTensor Graph::constant_value(int index) const {
  const TensorInfo& info = tensors[static_cast<size_t>(index)];
  HostTensor t(info.dtype, info.shape);
  if (info.is_quantized()) {
    const std::vector<float> values =
        quant::decode_weight(info.quant, info.shape, std::span(info.data, info.data_bytes));
    std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
    return t;
  }
  if (info.data_bytes) std::memcpy(t.bytes.data(), info.data, std::min(info.data_bytes, t.bytes.size()));
  return t;
}

int Graph::find_tensor(const std::string& name) const {
  for (size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].name == name) return static_cast<int>(i);
  return -1;
}

Status Graph::validate() const {
  const int count = static_cast<int>(tensors.size());
  std::vector<bool> available(tensors.size(), false);
  for (size_t i = 0; i < tensors.size(); ++i) available[i] = tensors[i].is_constant();
  for (int input : inputs) {
    if (input < 0 || input >= count)
      return make_error(StatusCode::kInvalidModel, "graph input index {} out of range", input);
    available[static_cast<size_t>(input)] = true;
  }
  for (const Node& node : nodes) {
    if (!node.op) return make_error(StatusCode::kInvalidModel, "node '{}' has no operator", node.name);
    for (int in : node.inputs) {
      if (in == -1) continue;
      if (in < 0 || in >= count)
        return make_error(StatusCode::kInvalidModel, "node '{}' input index {} out of range",
                          node.name, in);
      if (!available[static_cast<size_t>(in)])
        return make_error(StatusCode::kInvalidModel,
                          "node '{}' reads tensor '{}' before it is produced", node.name,
                          tensors[static_cast<size_t>(in)].name);
    }
    for (int out : node.outputs) {
      if (out < 0 || out >= count)
        return make_error(StatusCode::kInvalidModel, "node '{}' output index {} out of range",
                          node.name, out);
      available[static_cast<size_t>(out)] = true;
    }
  }
  for (int output : outputs) {
    if (output < 0 || output >= count || !available[static_cast<size_t>(output)])
      return make_error(StatusCode::kInvalidModel, "graph output index {} is never produced", output);
    if (tensors[static_cast<size_t>(output)].is_quantized())
      return make_error(StatusCode::kInvalidModel, "graph output '{}' is a quantized weight",
                        tensors[static_cast<size_t>(output)].name);
  }
  FENNEC_RETURN_IF_ERROR(validate_quantized_uses());
  return validate_activation_storage(*this);
}

Status Graph::validate_quantized_uses() const {
  for (const Node& node : nodes) {
    for (size_t slot = 0; slot < node.inputs.size(); ++slot) {
      const int in = node.inputs[slot];
      if (in < 0 || !tensors[static_cast<size_t>(in)].is_quantized()) continue;
      const TensorInfo& t = tensors[static_cast<size_t>(in)];
      const ops::OpType type = node.op->type();
      bool decodes = slot == 1 && (type == ops::OpType::CONV || type == ops::OpType::CONV_TRANSPOSE) &&
                     t.shape.size() == 4 && !t.quant.transposed &&
                     (type == ops::OpType::CONV || !t.quant.int8_activations());
      if (slot == 1 && type == ops::OpType::MATMUL && t.shape.size() == 2)
        decodes = t.quant.transposed != static_cast<const ops::MatMulOp&>(*node.op).params().transpose_b;
      if (slot == ops::kLstmW && type == ops::OpType::LSTM)
        decodes = t.shape.size() == 2 && !t.quant.transposed && !t.quant.int8_activations() &&
                  (node.inputs.size() <= ops::kLstmR || node.inputs[ops::kLstmR] < 0);
      if (!decodes)
        return make_error(StatusCode::kInvalidModel,
                          "node '{}' ({}) reads the {} weight '{}' {} as input {}; only a CONV or "
                          "CONV_TRANSPOSE weight (int8 activations: CONV only), a rank-2 MATMUL B stored "
                          "with a row per output column, or an LSTM W that holds R can be quantized",
                          node.name, node.op->type_name(), t.quant.to_string(), t.name,
                          shape_to_string(t.shape), slot);
    }
  }
  return ok_status();
}

}  // namespace fennec::graph
