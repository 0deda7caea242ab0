#include "onnx/import_context.h"

#include <algorithm>

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
  if (index < 0 && probed_.count(name))
    fail("input '" + name + "' is computed from the input dimensions and is only known at run "
         "time; fix the dimensions at conversion (--fix-dim NAME=VALUE) to make it a constant");
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
  if (first_output >= node_->output_size())
    fail("node has " + std::to_string(node_->output_size()) + " outputs, expected at least " +
         std::to_string(first_output + 1));

  graph::Node node;
  node.name = graph_node_name();
  // Later nodes of a multi-node import get distinct names.
  if (first_output > 0) {
    node.name += '_';
    node.name += std::to_string(first_output);
  }
  node.op = std::move(op);
  node.inputs = std::move(inputs);
  for (size_t o = 0; o < out_shapes.size(); ++o) {
    const int slot = first_output + static_cast<int>(o);
    // An optional output the ONNX node omits (trailing or named "") still
    // gets a tensor, since graph ops have a fixed output count; nothing
    // can refer to it by name.
    const bool absent = slot >= node_->output_size() || node_->output(slot).empty();
    graph::TensorInfo info;
    info.name = absent ? node.name + "/unused_output" + std::to_string(slot) : node_->output(slot);
    const int index = graph_.add_tensor(std::move(info));
    node.outputs.push_back(index);
    if (!absent) bind(node_->output(slot), index);
  }
  for (int out : node.outputs) producer_[out] = graph_.nodes.size();
  graph_.nodes.push_back(std::move(node));
  passes::infer_node_shapes(graph_, graph_.nodes.size() - 1);
  // A single-output node whose output is statically empty computes nothing:
  // its output is an empty constant. An empty input to a node that computes
  // something would reach the device as a zero-size buffer: refused.
  const graph::Node& added = graph_.nodes.back();
  auto empty = [&](int t) {
    const Shape& shape = graph_.tensors[static_cast<size_t>(t)].shape;
    return is_static(shape) && element_count(shape) == 0;
  };
  const bool all_out_empty = std::all_of(added.outputs.begin(), added.outputs.end(), empty);
  if (!all_out_empty)
    for (int in : added.inputs)
      if (in >= 0 && empty(in))
        fail("input '" + graph_.tensors[static_cast<size_t>(in)].name + "' has shape " +
             shape_to_string(graph_.tensors[static_cast<size_t>(in)].shape) +
             "; an empty tensor is only supported where the node's results are empty too");
  if (graph_.nodes.back().outputs.size() == 1) {
    const graph::TensorInfo& out = graph_.tensors[static_cast<size_t>(graph_.nodes.back().outputs[0])];
    if (is_static(out.shape) && element_count(out.shape) == 0 && !node_->output(first_output).empty()) {
      const int orphan = graph_.nodes.back().outputs[0];
      HostTensor empty(out.dtype, out.shape);
      graph_.nodes.pop_back();
      producer_.erase(orphan);
      graph_.tensors[static_cast<size_t>(orphan)].name += "/unused";
      bind(node_->output(first_output), graph_.add_constant(node_->output(first_output), empty));
      return;
    }
  }
  for (int out : graph_.nodes.back().outputs)
    for (int64_t d : graph_.tensors[static_cast<size_t>(out)].shape)
      if (d == 0)
        fail("output '" + graph_.tensors[static_cast<size_t>(out)].name + "' has shape " +
             shape_to_string(graph_.tensors[static_cast<size_t>(out)].shape) +
             "; zero-size tensors are not supported");
}

int ImportContext::add_internal_node(std::unique_ptr<ops::Op> op, std::vector<int> inputs,
                                     const std::string& suffix) {
  graph::Node node;
  node.name = graph_node_name() + "/" + suffix;
  node.op = std::move(op);
  node.inputs = std::move(inputs);
  graph::TensorInfo info;
  info.name = (node_->output_size() > 0 ? node_->output(0) : node.name) + "/" + suffix;
  const int index = graph_.add_tensor(std::move(info));
  node.outputs.push_back(index);
  producer_[index] = graph_.nodes.size();
  graph_.nodes.push_back(std::move(node));
  passes::infer_node_shapes(graph_, graph_.nodes.size() - 1);
  return index;
}

void ImportContext::add_constant_output(int i, const HostTensor& value) {
  if (i >= node_->output_size() || node_->output(i).empty()) fail("missing output");
  bind(node_->output(i), graph_.add_constant(node_->output(i), value));
}

bool ImportContext::is_probed(int i) const {
  return has_input(i) && probed_.count(node_->input(i)) > 0;
}

std::optional<ProbedValue> ImportContext::known_input(int i) const {
  if (!has_input(i)) return std::nullopt;
  auto it = probed_.find(node_->input(i));
  if (it != probed_.end()) return it->second;
  const int index = lookup(node_->input(i));
  if (index < 0 || !tensor(index).is_constant()) return std::nullopt;
  const HostValue value = host_value_from(graph_.constant_value(index));
  return ProbedValue{value, value};
}

void ImportContext::bind_host_output(int i, const ProbedValue& value, bool input_dependent) {
  if (i >= node_->output_size() || node_->output(i).empty()) return;
  if (!input_dependent && same_value(value[0], value[1])) {
    add_constant_output(i, host_tensor_from(value[0]));
    return;
  }
  probed_[node_->output(i)] = value;
  names_.erase(node_->output(i));
}

void ImportContext::alias_name(const std::string& to, const std::string& from) {
  auto probed = probed_.find(from);
  if (probed != probed_.end()) {
    probed_[to] = probed->second;
    names_.erase(to);
    return;
  }
  const int index = lookup(from);
  if (index < 0) fail("value '" + from + "' is not produced by any earlier node or initializer");
  probed_.erase(to);
  bind(to, index);
}

void ImportContext::register_graph_input(int index) {
  const graph::TensorInfo& info = tensor(index);
  std::array<Shape, kProbes> shapes{info.shape, info.shape};
  for (size_t d = 0; d < info.shape.size(); ++d) {
    if (info.shape[d] != kUnknownDim) continue;
    // An unnamed dimension is its own symbol.
    std::string symbol = d < info.dim_symbols.size() ? info.dim_symbols[d] : std::string();
    if (symbol.empty()) symbol = "#" + info.name + ":" + std::to_string(d);
    auto [it, inserted] = symbols_.emplace(symbol, static_cast<int>(symbols_.size()));
    for (int p = 0; p < kProbes; ++p) shapes[static_cast<size_t>(p)][d] = probe_dim(it->second, p);
  }
  probe_shapes_[index] = shapes;
}

std::vector<Shape> ImportContext::infer_probe_shapes(size_t node_index, int probe) {
  const graph::Node& node = graph_.nodes[node_index];
  std::vector<Shape> in_shapes;
  for (int in : node.inputs) in_shapes.push_back(in >= 0 ? probe_shape(in, probe) : Shape{});
  std::vector<Shape> out_shapes;
  Status status = node.op->infer_shapes(in_shapes, out_shapes);
  if (!status.ok())
    fail("cannot infer the shapes of node '" + node.name + "' for sample input sizes: " +
         status.message());
  return out_shapes;
}

Shape ImportContext::probe_shape(int index, int probe) {
  const graph::TensorInfo& info = tensor(index);
  if (is_static(info.shape)) return info.shape;
  auto cached = probe_shapes_.find(index);
  if (cached != probe_shapes_.end()) return cached->second[static_cast<size_t>(probe)];
  auto producer = producer_.find(index);
  if (producer == producer_.end())
    fail("the shape of tensor '" + info.name + "' " + shape_to_string(info.shape) +
         " is not known before run time");
  const graph::Node& node = graph_.nodes[producer->second];
  std::array<std::vector<Shape>, kProbes> outs;
  for (int p = 0; p < kProbes; ++p) outs[static_cast<size_t>(p)] = infer_probe_shapes(producer->second, p);
  for (size_t o = 0; o < node.outputs.size() && o < outs[0].size(); ++o)
    probe_shapes_[node.outputs[o]] = {outs[0][o], outs[1][o]};
  return probe_shapes_.at(index)[static_cast<size_t>(probe)];
}

}  // namespace fennec::onnx_import
