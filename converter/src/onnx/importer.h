// ONNX importer: ModelProto (protobuf classes from Debian's libonnx) -> the
// converter's graph::Graph.
//
// Initializers and Constant nodes become graph-owned constants (float and
// int64 kept in their type; int64 constants only feed attributes such as
// Resize sizes). Graph inputs that are not initializers become graph inputs;
// a symbolic dimension (dim_param) becomes kUnknownDim with its name in
// TensorInfo::dim_symbols. Every node is imported through the op table in
// importer.cpp; an op that is not in it, or a node in a non-default domain,
// throws converter::ConvertError
//   "unsupported ONNX op <Type> (opset N) at node <name>".
// Nothing is skipped silently. Shapes are inferred while importing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include <onnx/onnx_pb.h>

#include "graph/graph.h"

namespace fennec::onnx_import {

struct ImportInfo {
  std::string source;            // file name, when imported from a file
  std::string producer_name;     // ModelProto.producer_name
  std::string producer_version;  // ModelProto.producer_version
  std::string graph_name;
  int64_t ir_version = 0;
  int opset = 0;                 // default-domain opset
  int onnx_nodes = 0;            // all NodeProtos, Constant included
  int constant_nodes = 0;
  int initializers = 0;
  uint64_t file_bytes = 0;       // size of the .onnx file, when imported from a file
};

// What the caller fixes at conversion time.
struct ImportOptions {
  // Graph inputs that become constants with these values (for example the
  // integer parameters of a test model, or a model's fixed sample rate).
  std::map<std::string, HostTensor> constant_inputs;
  // Symbolic dimensions fixed to a size, by dim_param name ("batch" -> 1).
  std::map<std::string, int64_t> fixed_dims;
  // Graph input shapes that replace the declared ones (same rank).
  std::map<std::string, Shape> input_shapes;
};

struct ImportResult {
  graph::Graph graph;
  ImportInfo info;
};

// Imports an in-memory model. `base_dir` resolves external tensor data.
ImportResult import_model(const onnx::ModelProto& model,
                          const std::filesystem::path& base_dir = {},
                          const ImportOptions& options = {});

// Reads and parses `path`, then imports it. Throws ConvertError when the file
// is missing, unreadable or not an ONNX model.
ImportResult import_file(const std::filesystem::path& path, const ImportOptions& options = {});

// The op types the importer accepts, in table order (for messages and docs).
std::vector<std::string> supported_op_types();

}  // namespace fennec::onnx_import
