// Helpers for the converter tests: building small ONNX ModelProtos in
// memory, running a graph::Graph with the reference kernels, and seeded
// random tensors.
#pragma once

#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <onnx/onnx_pb.h>

#include "graph/graph.h"
#include "ops/op.h"

namespace fennec::converter_test {

class OnnxBuilder {
 public:
  explicit OnnxBuilder(int opset) {
    model_.set_ir_version(8);
    model_.set_producer_name("fennec-tests");
    model_.set_producer_version("1");
    auto* op = model_.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
    graph_ = model_.mutable_graph();
    graph_->set_name("test");
  }

  onnx::ModelProto& model() { return model_; }

  // dims: -1 is a dim_param named from `symbols` (or "N").
  void input(const std::string& name, const std::vector<int64_t>& dims,
             const std::vector<std::string>& symbols = {}) {
    fill_value_info(graph_->add_input(), name, dims, symbols);
  }
  void output(const std::string& name, const std::vector<int64_t>& dims = {},
              const std::vector<std::string>& symbols = {}) {
    fill_value_info(graph_->add_output(), name, dims, symbols);
  }

  void initializer(const std::string& name, const std::vector<int64_t>& dims,
                   const std::vector<float>& values, bool raw = true) {
    fill_float_tensor(graph_->add_initializer(), name, dims, values, raw);
  }
  void initializer_i64(const std::string& name, const std::vector<int64_t>& dims,
                       const std::vector<int64_t>& values) {
    onnx::TensorProto* t = graph_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    for (int64_t d : dims) t->add_dims(d);
    for (int64_t v : values) t->add_int64_data(v);
  }

  onnx::NodeProto& node(const std::string& op_type, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const std::string& name = "") {
    onnx::NodeProto* n = graph_->add_node();
    n->set_op_type(op_type);
    if (!name.empty()) n->set_name(name);
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
    return *n;
  }

  // A Constant node holding a float tensor.
  onnx::NodeProto& constant(const std::string& output, const std::vector<int64_t>& dims,
                            const std::vector<float>& values, bool raw = true) {
    onnx::NodeProto& n = node("Constant", {}, {output});
    onnx::AttributeProto* a = n.add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    fill_float_tensor(a->mutable_t(), output, dims, values, raw);
    return n;
  }

  static void attr(onnx::NodeProto& n, const std::string& name, int64_t v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr(onnx::NodeProto& n, const std::string& name, float v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void attr(onnx::NodeProto& n, const std::string& name, const std::string& v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }
  static void attr(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  static void attr(onnx::NodeProto& n, const std::string& name, const std::vector<float>& v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOATS);
    for (float x : v) a->add_floats(x);
  }

 private:
  static void fill_value_info(onnx::ValueInfoProto* v, const std::string& name,
                              const std::vector<int64_t>& dims,
                              const std::vector<std::string>& symbols) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    auto* shape = tt->mutable_shape();
    for (size_t i = 0; i < dims.size(); ++i) {
      auto* d = shape->add_dim();
      if (dims[i] >= 0) d->set_dim_value(dims[i]);
      else d->set_dim_param(i < symbols.size() ? symbols[i] : "N");
    }
  }
  static void fill_float_tensor(onnx::TensorProto* t, const std::string& name,
                                const std::vector<int64_t>& dims, const std::vector<float>& values,
                                bool raw) {
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    if (raw) {
      t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()),
                                  values.size() * sizeof(float)));
    } else {
      for (float v : values) t->add_float_data(v);
    }
  }

  onnx::ModelProto model_;
  onnx::GraphProto* graph_;
};

inline std::vector<float> random_values(size_t count, uint32_t seed, float lo = -1.0f,
                                        float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(count);
  for (float& x : v) x = dist(rng);
  return v;
}

inline HostTensor make_tensor(const Shape& shape, const std::vector<float>& values) {
  HostTensor t(DataType::FLOAT32, shape);
  std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
  return t;
}

inline HostTensor random_tensor(const Shape& shape, uint32_t seed, float lo = -1.0f,
                                float hi = 1.0f) {
  return make_tensor(shape, random_values(static_cast<size_t>(element_count(shape)), seed, lo, hi));
}

// The tensor named `name` (which must exist).
inline const graph::TensorInfo& tensor_named(const graph::Graph& g, const std::string& name) {
  const int index = g.find_tensor(name);
  REQUIRE_MESSAGE(index >= 0, "no tensor '" << name << "'");
  return g.tensors[static_cast<size_t>(index)];
}

// Runs every node with its reference kernel; returns all graph outputs by
// name, or every tensor a node computed when `all_tensors` is set.
inline std::map<std::string, HostTensor> run_graph(const graph::Graph& g,
                                                   const std::map<std::string, HostTensor>& feeds,
                                                   bool all_tensors = false) {
  std::map<int, HostTensor> values;
  // Feeds convert to the input's dtype (a FLOAT16 input takes float32 data), as a session does.
  for (int in : g.inputs) {
    const graph::TensorInfo& t = g.tensors[static_cast<size_t>(in)];
    values[in] = convert_dtype(feeds.at(t.name), t.dtype).value();
  }
  for (size_t i = 0; i < g.tensors.size(); ++i)
    if (g.tensors[i].is_constant()) values[static_cast<int>(i)] = g.constant_value(static_cast<int>(i));
  for (const graph::Node& node : g.nodes) {
    std::vector<const HostTensor*> inputs;
    for (int in : node.inputs) inputs.push_back(in < 0 ? nullptr : &values.at(in));
    auto result = ops::run_reference(*node.op, inputs);
    if (!result.ok()) throw std::runtime_error(node.name + ": " + result.status().to_string());
    for (size_t o = 0; o < node.outputs.size(); ++o) values[node.outputs[o]] = (*result)[o];
  }
  std::map<std::string, HostTensor> outputs;
  if (all_tensors) {
    for (const graph::Node& node : g.nodes)
      for (int out : node.outputs) outputs[g.tensors[static_cast<size_t>(out)].name] = values.at(out);
    return outputs;
  }
  for (int out : g.outputs) outputs[g.tensors[static_cast<size_t>(out)].name] = values.at(out);
  return outputs;
}

inline double max_abs_diff(const HostTensor& a, const HostTensor& b) {
  if (a.shape != b.shape) return INFINITY;
  auto x = a.as<float>();
  auto y = b.as<float>();
  double m = 0.0;
  for (size_t i = 0; i < x.size(); ++i)
    m = std::max(m, std::fabs(static_cast<double>(x[i]) - static_cast<double>(y[i])));
  return m;
}

inline double max_abs(const HostTensor& a) {
  double m = 0.0;
  for (float v : a.as<float>()) m = std::max(m, std::fabs(static_cast<double>(v)));
  return m;
}

// Count of nodes of `type`.
inline int count_ops(const graph::Graph& g, schema::OpType type) {
  int n = 0;
  for (const graph::Node& node : g.nodes) n += node.op->type() == type;
  return n;
}

}  // namespace fennec::converter_test
