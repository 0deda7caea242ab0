// The in-memory graph that the runtime executes and the converter edits.
//
// Tensors are referred to by index. Constant tensors point at their bytes:
// into the mapped model file at run time, or into `owned_data` when the
// graph was built in memory (converter, tests).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "graph/tensor.h"
#include "ops/op.h"
#include "quant/weight_format.h"

namespace fennec::graph {

struct TensorInfo {
  std::string name;
  DataType dtype = DataType::FLOAT32;
  Shape shape;                             // kUnknownDim where not known
  std::vector<std::string> dim_symbols;    // same rank as shape, "" when unnamed
  const std::byte* data = nullptr;         // constant bytes, or nullptr
  size_t data_bytes = 0;
  // Storage format of a constant weight; the default is plain `dtype`. A
  // quantized tensor has dtype FLOAT32 and its logical shape, and `data`
  // holds the serialized matrix of quant/weight_format.h.
  quant::WeightQuant quant;

  bool is_constant() const { return data != nullptr; }
  bool is_quantized() const { return quant.quantized(); }
};

struct Node {
  std::string name;
  std::unique_ptr<ops::Op> op;
  std::vector<int> inputs;   // -1 for an absent optional input
  std::vector<int> outputs;
};

struct Graph {
  std::vector<TensorInfo> tensors;
  std::vector<Node> nodes;   // topological order
  std::vector<int> inputs;
  std::vector<int> outputs;
  // Storage for constants created in memory; TensorInfo::data points here.
  std::vector<std::unique_ptr<std::vector<std::byte>>> owned_data;
  // When set, one contiguous host region (a mapped model file's weight
  // section) that outlives the graph's users; constants whose data lie in it
  // may be used in place by unified-memory devices.
  std::span<const std::byte> constant_storage;

  int add_tensor(TensorInfo info);
  // Adds a constant that the graph owns, copying `tensor`'s bytes.
  int add_constant(const std::string& name, const HostTensor& tensor);
  // Replaces the bytes of constant tensor `index` with ones the graph owns.
  void set_constant(int index, const HostTensor& tensor);
  // Replaces the bytes of constant float32 tensor `index` with `bytes` in the
  // quantized format `quant` (the graph owns them; the shape stays).
  void set_quantized_constant(int index, const quant::WeightQuant& quant, std::vector<std::byte> bytes);
  // Reads a constant tensor as a host tensor (copy); a quantized weight is
  // decoded to the float32 values its bytes stand for.
  HostTensor constant_value(int index) const;
  // Finds a tensor by name, -1 if absent.
  int find_tensor(const std::string& name) const;

  // Checks indices, topological order, that every node input is produced
  // before use and that quantized weights feed only kernels that decode them
  // (input 1 of CONV; input 1 of MATMUL with rows = N). Used after loading and after each converter pass.
  Status validate() const;

 private:
  Status validate_quantized_uses() const;
};

}  // namespace fennec::graph
