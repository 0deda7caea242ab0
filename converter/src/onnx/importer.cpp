#include "onnx/importer.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <unordered_set>

#include "onnx/host_eval.h"
#include "onnx/import_context.h"
#include "onnx/op_importers.h"
#include "onnx/tensor_proto.h"
#include "passes/convert_error.h"

namespace fennec::onnx_import {

// Imports the nodes of `graph` (the model's, or an If branch's) in order.
void import_graph_nodes(ImportContext& ctx, const onnx::GraphProto& graph);

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
    {"MaxPool", import_max_pool},
    {"AveragePool", import_average_pool},
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
    {"MatMul", import_matmul},
    {"Gemm", import_gemm},
    {"Identity", import_identity},
    {"Cast", import_cast},
    {"Dropout", import_dropout},
    {"Tanh", import_math<schema::Activation::TANH>},
    {"Exp", import_math<schema::Activation::EXP>},
    {"Log", import_math<schema::Activation::LOG>},
    {"Sqrt", import_math<schema::Activation::SQRT>},
    {"Abs", import_math<schema::Activation::ABS>},
    {"Neg", import_math<schema::Activation::NEG>},
    {"Reciprocal", import_math<schema::Activation::RECIPROCAL>},
    {"Erf", import_math<schema::Activation::ERF>},
    {"Floor", import_math<schema::Activation::FLOOR>},
    {"Ceil", import_math<schema::Activation::CEIL>},
    {"Round", import_math<schema::Activation::ROUND>},
    {"Sign", import_math<schema::Activation::SIGN>},
    {"Sin", import_math<schema::Activation::SIN>},
    {"Cos", import_math<schema::Activation::COS>},
    {"Tan", import_math<schema::Activation::TAN>},
    {"Asin", import_math<schema::Activation::ASIN>},
    {"Acos", import_math<schema::Activation::ACOS>},
    {"Atan", import_math<schema::Activation::ATAN>},
    {"Sinh", import_math<schema::Activation::SINH>},
    {"Cosh", import_math<schema::Activation::COSH>},
    {"Asinh", import_math<schema::Activation::ASINH>},
    {"Acosh", import_math<schema::Activation::ACOSH>},
    {"Atanh", import_math<schema::Activation::ATANH>},
    {"Softsign", import_math<schema::Activation::SOFTSIGN>},
    {"Softplus", import_math<schema::Activation::SOFTPLUS>},
    {"Mish", import_math<schema::Activation::MISH>},
    {"LeakyRelu", import_leaky_relu},
    {"Elu", import_elu},
    {"Selu", import_selu},
    {"Celu", import_celu},
    {"ThresholdedRelu", import_thresholded_relu},
    {"Shrink", import_shrink},
    {"Gelu", import_gelu},
    {"Pow", import_pow},
    {"Max", import_max},
    {"Min", import_min},
    {"Sum", import_sum},
    {"Mean", import_mean},
    {"Softmax", import_softmax},
    {"LogSoftmax", import_log_softmax},
    {"ReduceSum", import_reduce<schema::ReduceKind::SUM>},
    {"ReduceMean", import_reduce<schema::ReduceKind::MEAN>},
    {"ReduceMax", import_reduce<schema::ReduceKind::MAXIMUM>},
    {"ReduceMin", import_reduce<schema::ReduceKind::MINIMUM>},
    {"ReduceProd", import_reduce<schema::ReduceKind::PROD>},
    {"ReduceL1", import_reduce<schema::ReduceKind::L1>},
    {"ReduceL2", import_reduce<schema::ReduceKind::L2>},
    {"ReduceSumSquare", import_reduce<schema::ReduceKind::SUM_SQUARE>},
    {"ReduceLogSum", import_reduce<schema::ReduceKind::LOG_SUM>},
    {"ReduceLogSumExp", import_reduce<schema::ReduceKind::LOG_SUM_EXP>},
    {"LayerNormalization", import_layer_normalization},
    {"GlobalMaxPool", import_global_max_pool},
    {"LSTM", import_lstm},
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

// Reads a ValueInfoProto's tensor type into `info`, applying the fixed
// dims and shapes of `options`.
void read_value_info(const onnx::ValueInfoProto& value, const ImportOptions& options,
                     graph::TensorInfo& info) {
  const std::string what = "graph input '" + value.name() + "'";
  if (!value.type().has_tensor_type())
    throw ConvertError(what + " is not a tensor; only tensor inputs are supported");
  const auto& tensor_type = value.type().tensor_type();
  info.dtype = dtype_from_onnx(tensor_type.elem_type(), what);
  // Computed tensors are fp32 throughout the runtime; an integer input would
  // be read as floats.
  if (info.dtype != DataType::FLOAT32)
    throw ConvertError(what + " has data type " + onnx_dtype_name(tensor_type.elem_type()) +
                       "; only FLOAT graph inputs are supported (give a fixed value with "
                       "--input-value NAME=FILE.npy to make it a constant)");
  if (!tensor_type.has_shape())
    throw ConvertError(what + " has no shape; re-export the model with input shapes "
                       "(dynamic dimensions may stay symbolic)");
  info.shape.clear();
  info.dim_symbols.clear();
  for (const auto& dim : tensor_type.shape().dim()) {
    auto fixed = dim.has_dim_param() ? options.fixed_dims.find(dim.dim_param()) : options.fixed_dims.end();
    if (fixed != options.fixed_dims.end()) {
      info.shape.push_back(fixed->second);
      info.dim_symbols.emplace_back();
    } else if (dim.has_dim_value() && dim.dim_value() >= 0) {
      info.shape.push_back(dim.dim_value());
      info.dim_symbols.emplace_back();
    } else {
      info.shape.push_back(kUnknownDim);
      info.dim_symbols.push_back(dim.has_dim_param() ? dim.dim_param() : std::string());
    }
  }
  auto given = options.input_shapes.find(value.name());
  if (given != options.input_shapes.end()) {
    if (given->second.size() != info.shape.size())
      throw ConvertError(what + " has rank " + std::to_string(info.shape.size()) +
                         "; the given shape " + shape_to_string(given->second) + " does not match");
    for (size_t d = 0; d < info.shape.size(); ++d) {
      if (info.shape[d] != kUnknownDim && info.shape[d] != given->second[d])
        throw ConvertError(what + " has shape " + shape_to_string(info.shape) +
                           "; the given shape " + shape_to_string(given->second) + " does not match");
      info.shape[d] = given->second[d];
      info.dim_symbols[d].clear();
    }
  }
}

// If: the condition must be known at conversion time; the chosen branch is
// imported in place of the node.
void import_if(ImportContext& ctx) {
  auto cond = ctx.known_input(0);
  if (!cond || cond->at(0).v.size() != 1)
    ctx.fail("the If condition is computed at run time; only conditions known at conversion "
             "(from constants or fixed input dimensions) are supported");
  if (ctx.is_probed(0))
    ctx.fail("the If condition depends on a symbolic input dimension; fix it with --fix-dim");
  const bool taken = cond->at(0).v[0] != 0;
  const onnx::AttributeProto* branch = ctx.attribute(taken ? "then_branch" : "else_branch");
  if (!branch || !branch->has_g()) ctx.fail("If without its branch graphs");
  const onnx::NodeProto& node = ctx.node();
  if (branch->g().output_size() != node.output_size())
    ctx.fail("the If branch has " + std::to_string(branch->g().output_size()) + " outputs, the node " +
             std::to_string(node.output_size()));
  for (const onnx::TensorProto& init : branch->g().initializer()) {
    HostTensor value = tensor_from_proto(init, ctx.base_dir(), "initializer '" + init.name() + "'");
    ctx.bind(init.name(), ctx.graph().add_constant(init.name(), value));
  }
  import_graph_nodes(ctx, branch->g());
  for (int o = 0; o < node.output_size(); ++o)
    if (!node.output(o).empty()) ctx.alias_name(node.output(o), branch->g().output(o).name());
}

}  // namespace

void import_graph_nodes(ImportContext& ctx, const onnx::GraphProto& onnx_graph) {
  for (int n = 0; n < onnx_graph.node_size(); ++n) {
    const onnx::NodeProto& node = onnx_graph.node(n);
    if (!is_default_domain(node.domain())) {
      // Report the opset of the node's own domain.
      auto opset = ctx.domain_opsets.find(node.domain());
      ImportContext custom(ctx.graph(), opset == ctx.domain_opsets.end() ? 0 : opset->second,
                           ctx.base_dir());
      custom.begin_node(node, n);
      custom.unsupported_op();
    }
    ctx.begin_node(node, n);
    if (node.op_type() == "If") {
      import_if(ctx);
      continue;
    }
    if (try_host_evaluation(ctx)) continue;
    ImportFn import = find_importer(node.op_type());
    if (!import) ctx.unsupported_op();
    import(ctx);
  }
}

std::vector<std::string> supported_op_types() {
  std::vector<std::string> types;
  for (const OpEntry& entry : kOps) types.emplace_back(entry.op_type);
  return types;
}

ImportResult import_model(const onnx::ModelProto& model, const std::filesystem::path& base_dir,
                          const ImportOptions& options) {
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
  // A graph of only custom-domain nodes needs no default opset; its first
  // node is then reported as an unsupported op below.
  const bool default_nodes = std::any_of(onnx_graph.node().begin(), onnx_graph.node().end(),
                                         [](const onnx::NodeProto& n) { return is_default_domain(n.domain()); });
  if (info.opset == 0 && default_nodes)
    throw ConvertError("the model declares no opset for the default ONNX domain (opset_import)");

  ImportContext ctx(graph, info.opset, base_dir);
  for (const auto& entry : model.opset_import())
    if (!is_default_domain(entry.domain())) ctx.domain_opsets[entry.domain()] = static_cast<int>(entry.version());
  for (const onnx::NodeProto& node : onnx_graph.node())
    if (node.op_type() == "Constant") info.constant_nodes++;

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
    auto bound = options.constant_inputs.find(input.name());
    if (bound != options.constant_inputs.end()) {
      ctx.bind(input.name(), graph.add_constant(input.name(), bound->second));
      continue;
    }
    read_value_info(input, options, tensor);
    const int index = graph.add_tensor(std::move(tensor));
    graph.inputs.push_back(index);
    ctx.bind(input.name(), index);
    ctx.register_graph_input(index);
  }

  import_graph_nodes(ctx, onnx_graph);

  for (const onnx::ValueInfoProto& output : onnx_graph.output()) {
    const int index = ctx.lookup(output.name());
    if (index < 0)
      throw ConvertError("graph output '" + output.name() + "' is not produced by any node");
    // DOUBLE is narrowed to FLOAT32 and UINT32/UINT64 widened to INT64 on
    // import; an output declared with such a type would come back retyped,
    // so it is refused.
    if (output.type().has_tensor_type()) {
      const int type = output.type().tensor_type().elem_type();
      if (type == onnx::TensorProto::DOUBLE)
        throw ConvertError("graph output '" + output.name() +
                           "' has data type DOUBLE; Fennec computes in FLOAT32 and gives no DOUBLE "
                           "outputs (re-export the model with FLOAT outputs)");
      if (type == onnx::TensorProto::UINT32 || type == onnx::TensorProto::UINT64)
        throw ConvertError("graph output '" + output.name() + "' has data type " + onnx_dtype_name(type) +
                           "; Fennec holds unsigned 32/64-bit values as INT64 and gives no " +
                           onnx_dtype_name(type) + " outputs");
    }
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

ImportResult import_file(const std::filesystem::path& path, const ImportOptions& options) {
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
  ImportResult result = import_model(model, path.parent_path(), options);
  result.info.source = path.filename().string();
  result.info.file_bytes = bytes.size();
  return result;
}

}  // namespace fennec::onnx_import
