#include "onnx/import_context.h"

#include "passes/convert_error.h"
#include "passes/shape_inference.h"

namespace fennec::onnx_import {

using converter::ConvertError;

std::string ints_to_string(const std::vector<int64_t>& values) {
  std::string s = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(values[i]);
  }
  return s + "]";
}

ImportContext::ImportContext(graph::Graph& graph, int opset, std::filesystem::path base_dir)
    : graph_(graph), opset_(opset), base_dir_(std::move(base_dir)) {}

int ImportContext::lookup(const std::string& name) const {
  auto it = names_.find(name);
  return it == names_.end() ? -1 : it->second;
}

void ImportContext::begin_node(const onnx::NodeProto& node, int index) {
  node_ = &node;
  node_index_ = index;
}

std::string ImportContext::node_label() const {
  if (!node_->name().empty()) return node_->name();
  std::string label = "#";
  label += std::to_string(node_index_);
  if (node_->output_size() > 0) {
    label += " (output ";
    label += node_->output(0);
    label += ')';
  }
  return label;
}

std::string ImportContext::graph_node_name() const {
  if (!node_->name().empty()) return node_->name();
  if (node_->output_size() > 0) return node_->output(0);
  return node_->op_type() + "_" + std::to_string(node_index_);
}

std::string ImportContext::op_label() const {
  std::string type = node_->op_type();
  if (!node_->domain().empty() && node_->domain() != "ai.onnx") type = node_->domain() + "." + type;
  return "ONNX op " + type + " (opset " + std::to_string(opset_) + ") at node " + node_label();
}

void ImportContext::unsupported_op() const { throw ConvertError("unsupported " + op_label()); }

void ImportContext::unsupported_attribute(const std::string& attr, const std::string& value) const {
  throw ConvertError("unsupported attribute " + attr + "=" + value + " of " + op_label());
}

void ImportContext::fail(const std::string& message) const {
  throw ConvertError(message + " in " + op_label());
}

bool ImportContext::has_input(int i) const {
  return i >= 0 && i < node_->input_size() && !node_->input(i).empty();
}

int ImportContext::input(int i) const {
  if (!has_input(i)) fail("missing required input " + std::to_string(i));
  return optional_input(i);
}

int ImportContext::optional_input(int i) const {
  if (!has_input(i)) return -1;
  const std::string& name = node_->input(i);
  const int index = lookup(name);
  if (index < 0) fail("input '" + name + "' is not produced by any earlier node or initializer");
  return index;
}

const graph::TensorInfo& ImportContext::tensor(int index) const {
  return graph_.tensors[static_cast<size_t>(index)];
}

int ImportContext::float_input(int i) const {
  const int index = input(i);
  const DataType dtype = tensor(index).dtype;
  if (dtype != DataType::FLOAT32)
    fail("input '" + node_->input(i) + "' has data type " + dtype_name(dtype) + "; data type " +
         dtype_name(dtype) + " is not supported");
  return index;
}

std::optional<std::vector<float>> ImportContext::constant_floats(int i) const {
  const int index = optional_input(i);
  if (index < 0 || !tensor(index).is_constant()) return std::nullopt;
  const HostTensor t = graph_.constant_value(index);
  std::vector<float> values;
  switch (t.dtype) {
    case DataType::FLOAT32:
      for (float v : t.as<float>()) values.push_back(v);
      break;
    case DataType::INT64:
      for (int64_t v : t.as<int64_t>()) values.push_back(static_cast<float>(v));
      break;
    case DataType::INT32:
      for (int32_t v : t.as<int32_t>()) values.push_back(static_cast<float>(v));
      break;
    default:
      fail("input '" + node_->input(i) + "' has data type " + dtype_name(t.dtype) +
           ", expected a float or integer constant");
  }
  return values;
}

std::optional<std::vector<int64_t>> ImportContext::constant_ints(int i) const {
  const int index = optional_input(i);
  if (index < 0 || !tensor(index).is_constant()) return std::nullopt;
  const HostTensor t = graph_.constant_value(index);
  std::vector<int64_t> values;
  switch (t.dtype) {
    case DataType::INT64:
      for (int64_t v : t.as<int64_t>()) values.push_back(v);
      break;
    case DataType::INT32:
      for (int32_t v : t.as<int32_t>()) values.push_back(v);
      break;
    default:
      fail("input '" + node_->input(i) + "' has data type " + dtype_name(t.dtype) +
           ", expected an integer constant");
  }
  return values;
}

const onnx::AttributeProto* ImportContext::attribute(const std::string& name) const {
  for (const auto& attr : node_->attribute())
    if (attr.name() == name) return &attr;
  return nullptr;
}

int64_t ImportContext::attr_int(const std::string& name, int64_t fallback) const {
  const auto* a = attribute(name);
  return a ? a->i() : fallback;
}

float ImportContext::attr_float(const std::string& name, float fallback) const {
  const auto* a = attribute(name);
  return a ? a->f() : fallback;
}

std::string ImportContext::attr_string(const std::string& name, const std::string& fallback) const {
  const auto* a = attribute(name);
  return a ? a->s() : fallback;
}

std::vector<int64_t> ImportContext::attr_ints(const std::string& name,
                                              std::vector<int64_t> fallback) const {
  const auto* a = attribute(name);
  if (!a) return fallback;
  return {a->ints().begin(), a->ints().end()};
}

std::vector<float> ImportContext::attr_floats(const std::string& name,
                                              std::vector<float> fallback) const {
  const auto* a = attribute(name);
  if (!a) return fallback;
  return {a->floats().begin(), a->floats().end()};
}

void ImportContext::add_node(std::unique_ptr<ops::Op> op, std::vector<int> inputs,
                             int first_output) {
  // Ask the op how many outputs it has before creating tensors for them.
  std::vector<Shape> in_shapes;
  for (int in : inputs) in_shapes.push_back(in >= 0 ? tensor(in).shape : Shape{});
  std::vector<Shape> out_shapes;
  Status status = op->infer_shapes(in_shapes, out_shapes);
  if (!status.ok()) fail("shape inference failed: " + status.message());
  if (first_output + static_cast<int>(out_shapes.size()) > node_->output_size())
    fail("node has " + std::to_string(node_->output_size()) + " outputs, expected " +
         std::to_string(first_output + static_cast<int>(out_shapes.size())));

  graph::Node node;
  node.name = graph_node_name();
  // Later nodes of a multi-node import get distinct names.
  if (first_output > 0) node.name += "_" + std::to_string(first_output);
  node.op = std::move(op);
  node.inputs = std::move(inputs);
  for (size_t o = 0; o < out_shapes.size(); ++o) {
    const std::string& name = node_->output(first_output + static_cast<int>(o));
    graph::TensorInfo info;
    info.name = name;
    const int index = graph_.add_tensor(std::move(info));
    node.outputs.push_back(index);
    bind(name, index);
  }
  graph_.nodes.push_back(std::move(node));
  passes::infer_node_shapes(graph_, graph_.nodes.size() - 1);
}

void ImportContext::add_constant_output(int i, const HostTensor& value) {
  if (i >= node_->output_size() || node_->output(i).empty()) fail("missing output");
  bind(node_->output(i), graph_.add_constant(node_->output(i), value));
}

}  // namespace fennec::onnx_import
