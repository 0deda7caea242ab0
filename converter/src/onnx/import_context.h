// The state shared by the per-op import functions while one ONNX graph is
// imported: the graph being built, the ONNX-name -> tensor-index map, the
// opset, and the node currently being imported with helpers to read its
// inputs and attributes and to report errors in the house format:
//   unsupported ONNX op <Type> (opset N) at node <name>
//   unsupported attribute <attr>=<value> of ONNX op <Type> (opset N) at node <name>
// Errors are thrown as converter::ConvertError.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <onnx/onnx_pb.h>

#include "graph/graph.h"
#include "onnx/host_value.h"
#include "ops/op.h"

namespace fennec::onnx_import {

using schema::OpType;

class ImportContext {
 public:
  ImportContext(graph::Graph& graph, int opset, std::filesystem::path base_dir);

  // Opsets of the non-default domains, for error messages.
  std::map<std::string, int> domain_opsets;

  graph::Graph& graph() { return graph_; }
  int opset() const { return opset_; }
  const std::filesystem::path& base_dir() const { return base_dir_; }

  // Binds an ONNX tensor name to a graph tensor index.
  void bind(const std::string& name, int tensor) {
    names_[name] = tensor;
    probed_.erase(name);
  }
  // The tensor index for an ONNX name, or -1.
  int lookup(const std::string& name) const;

  // --- the node being imported ---
  void begin_node(const onnx::NodeProto& node, int index);
  const onnx::NodeProto& node() const { return *node_; }
  // The node's name, or "#<index> (output <name>)" for an unnamed node.
  std::string node_label() const;
  // The name the graph node gets: the ONNX name, else its first output.
  std::string graph_node_name() const;

  // True when input slot `i` exists and is not the empty name.
  bool has_input(int i) const;
  // Tensor index of a required input; throws when absent or unknown.
  int input(int i) const;
  // Tensor index of an optional input, -1 when absent.
  int optional_input(int i) const;
  const graph::TensorInfo& tensor(int index) const;
  // Tensor index of required input `i`, failing with "data type X is not
  // supported" unless it is FLOAT32 (for ops with fp32-only kernels).
  int float_input(int i) const;
  // The value of input `i` when it is a constant, converted to float, else nullopt.
  std::optional<std::vector<float>> constant_floats(int i) const;
  // The value of input `i` when it is a constant, converted to int64, else nullopt.
  std::optional<std::vector<int64_t>> constant_ints(int i) const;

  const onnx::AttributeProto* attribute(const std::string& name) const;
  int64_t attr_int(const std::string& name, int64_t fallback) const;
  float attr_float(const std::string& name, float fallback) const;
  std::string attr_string(const std::string& name, const std::string& fallback) const;
  std::vector<int64_t> attr_ints(const std::string& name, std::vector<int64_t> fallback) const;
  std::vector<float> attr_floats(const std::string& name, std::vector<float> fallback) const;

  // Adds a graph node for the current ONNX node with `op` reading `inputs`
  // (-1 for absent). Its outputs are the ONNX node's N outputs from
  // `first_output` on, where N is the op's output count (an ONNX node that
  // becomes several graph nodes, like Split, passes the output it is making);
  // outputs the ONNX node omits become unnamed-in-ONNX tensors. Shapes are
  // inferred immediately.
  void add_node(std::unique_ptr<ops::Op> op, std::vector<int> inputs, int first_output = 0);
  // Adds a single-output graph node whose output is an intermediate tensor
  // named "<first ONNX output>/<suffix>", not bound to an ONNX name (for ONNX
  // nodes that become a chain of graph nodes). Returns the output tensor.
  int add_internal_node(std::unique_ptr<ops::Op> op, std::vector<int> inputs,
                        const std::string& suffix);
  // Binds ONNX output `i` of the current node to a new graph-owned constant.
  void add_constant_output(int i, const HostTensor& value);

  // --- host values and probe shapes (see host_value.h) ---
  // Input `i` as a host value under each probe: a constant (same in both) or
  // a probed value; nullopt when it is computed at run time.
  std::optional<ProbedValue> known_input(int i) const;
  // True when input `i` names a probed (input-size dependent) host value.
  bool is_probed(int i) const;
  // The shape of tensor `index` when the symbolic input dims take their
  // values under `probe`; throws when it cannot be inferred.
  Shape probe_shape(int index, int probe);
  // Binds output `i`: a constant when both probes agree (unless
  // `input_dependent`), else a probed value.
  void bind_host_output(int i, const ProbedValue& value, bool input_dependent = false);
  // Makes ONNX name `to` refer to what `from` refers to (a tensor or a
  // probed value); throws when `from` is unknown.
  void alias_name(const std::string& to, const std::string& from);
  // Fixes the probe values of a graph input's dims from its symbols.
  void register_graph_input(int index);

  [[noreturn]] void unsupported_op() const;
  [[noreturn]] void unsupported_attribute(const std::string& attr, const std::string& value) const;
  // Throws "<message> in ONNX op <Type> (opset N) at node <name>".
  [[noreturn]] void fail(const std::string& message) const;

 private:
  std::string op_label() const;

  std::vector<Shape> infer_probe_shapes(size_t node_index, int probe);

  graph::Graph& graph_;
  std::unordered_map<std::string, ProbedValue> probed_;
  std::unordered_map<int, size_t> producer_;                       // tensor -> node index
  std::unordered_map<int, std::array<Shape, kProbes>> probe_shapes_;  // cache
  std::unordered_map<std::string, int> symbols_;                   // dim symbol -> probe slot
  int opset_;
  std::filesystem::path base_dir_;
  std::unordered_map<std::string, int> names_;
  const onnx::NodeProto* node_ = nullptr;
  int node_index_ = -1;
};

// "[1,2,3]" for attribute values in messages.
std::string ints_to_string(const std::vector<int64_t>& values);

}  // namespace fennec::onnx_import
