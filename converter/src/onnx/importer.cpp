#include "onnx/importer.h"

#include <fstream>
#include <iterator>
#include <unordered_set>

#include "onnx/import_context.h"
#include "onnx/op_importers.h"
#include "onnx/tensor_proto.h"
#include "passes/convert_error.h"

namespace fennec::onnx_import {
namespace {

using converter::ConvertError;
using ImportFn = void (*)(ImportContext&);

struct OpEntry {
  const char* op_type;
  ImportFn import;
};

// The op table: one line per ONNX op type (default domain).
constexpr OpEntry kOps[] = {
    {"Constant", import_constant},
    {"Conv", import_conv},
    {"ConvTranspose", import_conv_transpose},
    {"BatchNormalization", import_batch_normalization},
    {"Add", import_add},
    {"Sub", import_sub},
    {"Mul", import_mul},
    {"Div", import_div},
    {"Relu", import_relu},
    {"Sigmoid", import_sigmoid},
    {"HardSigmoid", import_hard_sigmoid},
    {"HardSwish", import_hard_swish},
    {"Clip", import_clip},
    {"GlobalAveragePool", import_global_average_pool},
    {"Concat", import_concat},
    {"Resize", import_resize},
    {"Upsample", import_upsample},
    {"Reshape", import_reshape},
    {"Flatten", import_flatten},
    {"Squeeze", import_squeeze},
    {"Unsqueeze", import_unsqueeze},
    {"Transpose", import_transpose},
    {"Slice", import_slice},
    {"Split", import_split},
    {"Gather", import_gather},
    {"Pad", import_pad},
    {"Expand", import_expand},
    {"Identity", import_identity},
    {"Dropout", import_dropout},
};

ImportFn find_importer(const std::string& op_type) {
  for (const OpEntry& entry : kOps)
    if (op_type == entry.op_type) return entry.import;
  return nullptr;
}

bool is_default_domain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

int domain_opset(const onnx::ModelProto& model, const std::string& domain) {
  for (const auto& entry : model.opset_import()) {
    const bool match = is_default_domain(domain) ? is_default_domain(entry.domain())
                                                 : entry.domain() == domain;
    if (match) return static_cast<int>(entry.version());
  }
  return 0;
}

// Reads a ValueInfoProto's tensor type into `info`.
void read_value_info(const onnx::ValueInfoProto& value, graph::TensorInfo& info) {
  const std::string what = "graph input '" + value.name() + "'";
  if (!value.type().has_tensor_type())
    throw ConvertError(what + " is not a tensor; only tensor inputs are supported");
  const auto& tensor_type = value.type().tensor_type();
  info.dtype = dtype_from_onnx(tensor_type.elem_type(), what);
  // Computed tensors are fp32 throughout the runtime; an integer input would
  // be read as floats.
  if (info.dtype != DataType::FLOAT32)
    throw ConvertError(what + " has data type " + onnx_dtype_name(tensor_type.elem_type()) +
                       "; only FLOAT graph inputs are supported");
  if (!tensor_type.has_shape())
    throw ConvertError(what + " has no shape; re-export the model with input shapes "
                       "(dynamic dimensions may stay symbolic)");
  info.shape.clear();
  info.dim_symbols.clear();
  for (const auto& dim : tensor_type.shape().dim()) {
    if (dim.has_dim_value() && dim.dim_value() >= 0) {
      info.shape.push_back(dim.dim_value());
      info.dim_symbols.emplace_back();
    } else {
      info.shape.push_back(kUnknownDim);
      info.dim_symbols.push_back(dim.has_dim_param() ? dim.dim_param() : std::string());
    }
  }
}

}  // namespace

std::vector<std::string> supported_op_types() {
  std::vector<std::string> types;
  for (const OpEntry& entry : kOps) types.emplace_back(entry.op_type);
  return types;
}

ImportResult import_model(const onnx::ModelProto& model, const std::filesystem::path& base_dir) {
  ImportResult result;
  ImportInfo& info = result.info;
  graph::Graph& graph = result.graph;
  const onnx::GraphProto& onnx_graph = model.graph();

  info.producer_name = model.producer_name();
  info.producer_version = model.producer_version();
  info.graph_name = onnx_graph.name();
  info.ir_version = model.ir_version();
  info.opset = domain_opset(model, "");
  info.onnx_nodes = onnx_graph.node_size();
  info.initializers = onnx_graph.initializer_size();
  if (info.opset == 0 && onnx_graph.node_size() > 0)
    throw ConvertError("the model declares no opset for the default ONNX domain (opset_import)");

  ImportContext ctx(graph, info.opset, base_dir);

  std::unordered_set<std::string> initializer_names;
  for (const onnx::TensorProto& init : onnx_graph.initializer()) {
    HostTensor value = tensor_from_proto(init, base_dir, "initializer '" + init.name() + "'");
    ctx.bind(init.name(), graph.add_constant(init.name(), value));
    initializer_names.insert(init.name());
  }
  if (onnx_graph.sparse_initializer_size() > 0)
    throw ConvertError("sparse initializers are not supported (first: '" +
                       onnx_graph.sparse_initializer(0).values().name() + "')");

  for (const onnx::ValueInfoProto& input : onnx_graph.input()) {
    // IR < 4 lists initializers among the inputs too; those are constants.
    if (initializer_names.count(input.name())) continue;
    graph::TensorInfo tensor;
    tensor.name = input.name();
    read_value_info(input, tensor);
    const int index = graph.add_tensor(std::move(tensor));
    graph.inputs.push_back(index);
    ctx.bind(input.name(), index);
  }

  for (int n = 0; n < onnx_graph.node_size(); ++n) {
    const onnx::NodeProto& node = onnx_graph.node(n);
    if (node.op_type() == "Constant") info.constant_nodes++;
    if (!is_default_domain(node.domain())) {
      // Report the opset of the node's own domain.
      ImportContext custom(graph, domain_opset(model, node.domain()), base_dir);
      custom.begin_node(node, n);
      custom.unsupported_op();
    }
    ctx.begin_node(node, n);
    ImportFn import = find_importer(node.op_type());
    if (!import) ctx.unsupported_op();
    import(ctx);
  }

  for (const onnx::ValueInfoProto& output : onnx_graph.output()) {
    const int index = ctx.lookup(output.name());
    if (index < 0)
      throw ConvertError("graph output '" + output.name() + "' is not produced by any node");
    graph.outputs.push_back(index);
    // Keep the declared names of dimensions that inference left unknown.
    graph::TensorInfo& tensor = graph.tensors[static_cast<size_t>(index)];
    if (!output.type().has_tensor_type() || !output.type().tensor_type().has_shape()) continue;
    const auto& dims = output.type().tensor_type().shape().dim();
    if (dims.size() != static_cast<int>(tensor.shape.size())) continue;
    tensor.dim_symbols.resize(tensor.shape.size());
    for (int d = 0; d < dims.size(); ++d) {
      const size_t axis = static_cast<size_t>(d);
      if (tensor.shape[axis] == kUnknownDim && tensor.dim_symbols[axis].empty() &&
          dims[d].has_dim_param())
        tensor.dim_symbols[axis] = dims[d].dim_param();
    }
  }
  if (graph.outputs.empty()) throw ConvertError("the model has no graph outputs");
  return result;
}

ImportResult import_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw ConvertError("input file '" + path.string() + "' does not exist");
  if (std::filesystem::is_directory(path, ec))
    throw ConvertError("input '" + path.string() + "' is a directory, expected an .onnx file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConvertError("cannot open '" + path.string() + "' for reading");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw ConvertError("cannot read '" + path.string() + "'");

  onnx::ModelProto model;
  if (!model.ParseFromString(bytes) || !model.has_graph())
    throw ConvertError("'" + path.string() + "' is not a valid ONNX model (protobuf parse failed)");
  ImportResult result = import_model(model, path.parent_path());
  result.info.source = path.filename().string();
  result.info.file_bytes = bytes.size();
  return result;
}

}  // namespace fennec::onnx_import
