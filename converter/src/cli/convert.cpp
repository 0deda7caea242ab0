// `fennec convert model.onnx -o model.fennec [--dump-graph] [--no-optimize]`:
// import -> passes -> write, then a one-screen summary on stdout. Errors are
// thrown (converter::ConvertError) and printed by main() as
// "fennec: error: <message>" with exit code 1.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "llm/gguf.h"
#include "llm/hf.h"
#include "llm/llama2c.h"
#include "llm/quantize_llm.h"
#include "onnx/importer.h"
#include "passes/convert_error.h"
#include "passes/pipeline.h"
#include "writer/writer.h"
#include "cli/npy.h"
#include "cli/calibration_data.h"
#include "cli/quantize_report.h"
#include "passes/half_activations.h"
#include "passes/quantization.h"

namespace fennec::cli {
namespace {

struct ConvertArgs {
  std::string input;
  std::string output;
  bool dump_graph = false;
  bool no_optimize = false;
  bool quantize_embedding = false;
  std::vector<std::string> fix_dims;      // NAME=VALUE
  std::vector<std::string> input_shapes;  // NAME=D0xD1x...
  std::vector<std::string> input_values;  // NAME=FILE.npy
  std::string quantize;                   // scheme name, empty for none
  uint32_t group_size = 32;
  bool asymmetric = false;
  std::vector<std::string> keep_fp32;
  std::string calibration;  // folder of .npy samples
  std::string calibration_method = "mse";
  double percentile = 99.99;
  std::string rounding;  // nearest | gptq; empty: gptq with --calibration
  std::string activations;  // fp16 | fp32; empty: fp16 with --quantize fp16
};

// Splits "NAME=VALUE" at the last '=' (names may contain '=' rarely, values not).
std::pair<std::string, std::string> split_assignment(const std::string& text, const char* option) {
  const size_t eq = text.rfind('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    throw converter::ConvertError(std::string(option) + " expects NAME=VALUE, got '" + text + "'");
  return {text.substr(0, eq), text.substr(eq + 1)};
}

int64_t parse_dim(const std::string& text, const std::string& what) {
  size_t used = 0;
  long long value = -1;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || value < 0)
    throw converter::ConvertError(what + ": '" + text + "' is not a non-negative integer");
  return value;
}

DataType dtype_of_npy(fennec_dtype_t dtype) {
  switch (dtype) {
    case FENNEC_FLOAT32: return DataType::FLOAT32;
    case FENNEC_INT8: return DataType::INT8;
    case FENNEC_INT32: return DataType::INT32;
    case FENNEC_INT64: return DataType::INT64;
    default: throw converter::ConvertError("--input-value: unsupported .npy data type");
  }
}

onnx_import::ImportOptions import_options(const ConvertArgs& args) {
  onnx_import::ImportOptions options;
  for (const std::string& text : args.fix_dims) {
    auto [name, value] = split_assignment(text, "--fix-dim");
    options.fixed_dims[name] = parse_dim(value, "--fix-dim " + name);
  }
  for (const std::string& text : args.input_shapes) {
    auto [name, value] = split_assignment(text, "--input-shape");
    Shape shape;
    for (size_t start = 0; start <= value.size();) {
      const size_t x = std::min(value.find('x', start), value.size());
      shape.push_back(parse_dim(value.substr(start, x - start), "--input-shape " + name));
      start = x + 1;
    }
    options.input_shapes[name] = shape;
  }
  for (const std::string& text : args.input_values) {
    auto [name, file] = split_assignment(text, "--input-value");
    NpyArray array;
    try {
      array = read_npy(file);
    } catch (const std::exception& e) {
      throw converter::ConvertError(std::string("--input-value ") + name + ": " + e.what());
    }
    HostTensor value(dtype_of_npy(array.dtype), Shape(array.shape.begin(), array.shape.end()));
    if (value.bytes.size() != array.data.size())
      throw converter::ConvertError("--input-value " + name + ": size mismatch in '" + file + "'");
    value.bytes = std::move(array.data);
    options.constant_inputs[name] = std::move(value);
  }
  return options;
}

std::string with_commas(uint64_t value) {
  std::string digits = std::to_string(value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string human_bytes(uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  if (bytes < 1024 * 1024) return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024.0);
  if (bytes < (1ull << 30)) return fmt::format("{:.2f} MiB", static_cast<double>(bytes) / (1 << 20));
  return fmt::format("{:.2f} GiB", static_cast<double>(bytes) / (1ull << 30));
}

std::string tensor_brief(const graph::Graph& g, int index) {
  if (index < 0) return "-";
  const graph::TensorInfo& t = g.tensors[static_cast<size_t>(index)];
  std::string s = t.name + shape_to_string(t.shape);
  if (t.is_constant()) s += "*";
  return s;
}

void dump_graph(const graph::Graph& g) {
  std::printf("graph after passes (%zu nodes; * = constant):\n", g.nodes.size());
  for (int in : g.inputs) std::printf("  input  %s\n", tensor_brief(g, in).c_str());
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    const graph::Node& node = g.nodes[n];
    std::string ins, outs;
    for (int in : node.inputs) ins += (ins.empty() ? "" : ", ") + tensor_brief(g, in);
    for (int out : node.outputs) outs += (outs.empty() ? "" : ", ") + tensor_brief(g, out);
    const std::string describe = node.op->describe();
    std::printf("  %4zu %-19s %s%s%s: %s -> %s\n", n, node.op->type_name(), node.name.c_str(),
                describe.empty() ? "" : " ", describe.empty() ? "" : ("{" + describe + "}").c_str(),
                ins.c_str(), outs.c_str());
  }
  for (int out : g.outputs) std::printf("  output %s\n", tensor_brief(g, out).c_str());
}

std::string io_summary(const graph::Graph& g, const std::vector<int>& tensors) {
  std::string s;
  for (int t : tensors) {
    if (!s.empty()) s += ", ";
    const graph::TensorInfo& info = g.tensors[static_cast<size_t>(t)];
    s += info.name + " " + shape_to_string(info.shape);
  }
  return s;
}

std::string op_counts(const graph::Graph& g) {
  std::map<std::string, int> counts;
  for (const graph::Node& node : g.nodes) counts[node.op->type_name()]++;
  std::vector<std::pair<std::string, int>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string s;
  for (const auto& [type, count] : sorted) s += (s.empty() ? "" : ", ") + fmt::format("{} {}", type, count);
  return s.empty() ? "(none)" : s;
}

std::string fusion_summary(const passes::PassReport& report) {
  if (report.fused_activations.empty()) return "none";
  std::string s;
  for (const auto& [host, kinds] : report.fusion_counts()) {
    int total = 0;
    std::string detail;
    for (const auto& [kind, count] : kinds) {
      total += count;
      detail += (detail.empty() ? "" : ", ") + fmt::format("{} {}", count, kind);
    }
    s += (s.empty() ? "" : "; ") +
         fmt::format("{} activation{} into {} ({})", total, total == 1 ? "" : "s", host, detail);
  }
  return s;
}

// The weight options of --quantize that ONNX and LLM imports share.
passes::QuantizeOptions weight_options(const ConvertArgs& args) {
  passes::QuantizeOptions options;
  options.scheme = passes::parse_quant_scheme(args.quantize);
  options.group_size = args.group_size;
  options.asymmetric = args.asymmetric;
  options.keep_fp32 = args.keep_fp32;
  return options;
}

// An LLM checkpoint (`format`: llama2.c or gguf): weights as named
// constants, the shape as metadata.
void convert_llm(const ConvertArgs& args, const std::filesystem::path& input, const std::filesystem::path& output,
                 std::chrono::steady_clock::time_point start, const std::string& format) {
  if (!args.calibration.empty() || args.dump_graph || !args.input_shapes.empty() || !args.fix_dims.empty() ||
      !args.input_values.empty() || !args.rounding.empty() || !args.activations.empty())
    throw converter::ConvertError("'" + input.string() + "' is a " + format +
                                  " checkpoint: --calibration, --rounding, --activations, --dump-graph and input "
                                  "options do not apply to LLM imports yet");
  if (args.quantize_embedding && args.quantize.empty())
    throw converter::ConvertError("--quantize-embedding needs --quantize SCHEME");
  llm_import::ImportedLlm imported =
      format == "gguf"          ? llm_import::import_gguf(input, {.requantize_kquants = args.quantize.empty()})
      : format == "safetensors" ? llm_import::import_hf(input)
                                : llm_import::import_llama2c(input);
  passes::QuantizeOptions quantize_options;
  passes::QuantizeReport quantized;
  if (!args.quantize.empty()) {
    quantize_options = weight_options(args);
    quantized = llm_import::quantize_llm(imported.graph, quantize_options, print_quantize_progress,
                                         args.quantize_embedding);
  }
  writer::WriteOptions write_options;
  write_options.keep_all_constants = true;
  write_options.metadata = llm::to_metadata(imported.config);
  write_options.metadata.push_back({"source", input.filename().string()});
  write_options.metadata.push_back({"llm.format", format});
  if (!imported.vocabulary.tokens.empty())
    llm::add_vocabulary(imported.graph, imported.vocabulary, write_options.metadata);
  if (!imported.chat_template.empty())
    write_options.metadata.push_back({"tokenizer.chat_template", imported.chat_template});
  if (!args.quantize.empty()) write_options.metadata.push_back({"quantization", args.quantize});
  const writer::WriteStats stats = writer::write_model_file(imported.graph, output, write_options);
  const llm::LlmConfig& c = imported.config;
  std::printf("fennec convert: %s -> %s\n", input.string().c_str(), output.string().c_str());
  std::printf("  source      %s (%s checkpoint)\n", input.filename().string().c_str(), format.c_str());
  std::printf("  llm         %s: dim %d, hidden %d, %d layers, %d heads (%d kv), vocab %d, context %d\n",
              c.arch.c_str(), c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size, c.context);
  std::printf("  weights     %d constants, %s\n", stats.constants, human_bytes(stats.weights_bytes).c_str());
  std::printf("  tokenizer   %s\n", imported.vocabulary.tokens.empty()
                                       ? "none (prompts and output as token ids)"
                                       : (imported.vocabulary.model + ", " +
                                          std::to_string(imported.vocabulary.tokens.size()) + " tokens")
                                             .c_str());
  std::printf("  file        %s\n", human_bytes(stats.file_bytes).c_str());
  for (const std::string& note : imported.notes) std::printf("  note        %s\n", note.c_str());
  for (const llm_import::RequantizedType& r : imported.requantized)
    std::printf("  requantized %s -> %s: %d tensors, %llu values, weight NMSE %.2e\n", r.type.c_str(),
                r.format.c_str(), r.tensors, static_cast<unsigned long long>(r.values), r.nmse());
  if (!args.quantize.empty()) print_quantize_report(quantized, quantize_options);
  std::printf("  time        %.3f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

void run_convert(const ConvertArgs& args) {
  const auto start = std::chrono::steady_clock::now();
  const std::filesystem::path input(args.input);
  std::filesystem::path output(args.output);
  if (output.empty()) output = std::filesystem::path(input).replace_extension(".fennec");
  std::error_code ec;
  if (std::filesystem::exists(output, ec) && std::filesystem::equivalent(input, output, ec))
    throw converter::ConvertError("output '" + output.string() + "' is the input file");

  if (llm_import::looks_like_hf(input)) {
    // model/ -> model.fennec beside the directory.
    if (args.output.empty()) output = (input.has_filename() ? input : input.parent_path()).string() + ".fennec";
    convert_llm(args, input, output, start, "safetensors");
    return;
  }
  if (llm_import::looks_like_gguf(input)) {
    convert_llm(args, input, output, start, "gguf");
    return;
  }
  if (llm_import::looks_like_llama2c(input) && input.extension() != ".onnx") {
    convert_llm(args, input, output, start, "llama2.c");
    return;
  }
  if (args.quantize_embedding)
    throw converter::ConvertError("--quantize-embedding applies to LLM checkpoints, not to ONNX models");
  onnx_import::ImportResult imported = onnx_import::import_file(input, import_options(args));
  graph::Graph& graph = imported.graph;
  const onnx_import::ImportInfo& info = imported.info;
  const size_t imported_nodes = graph.nodes.size();

  passes::PassOptions pass_options;
  if (args.no_optimize) {
    pass_options.fold_constants = false;
    pass_options.eliminate_transposes = false;
    pass_options.fuse_patterns = false;
    pass_options.fold_batch_norms = false;
    pass_options.fold_affine = false;
    pass_options.fuse_activations = false;
  }
  const passes::PassReport report = passes::run_passes(graph, pass_options);

  passes::QuantizeOptions quantize_options;
  if (!args.quantize.empty()) {
    quantize_options = weight_options(args);
    if (args.calibration_method == "minmax") quantize_options.calibration_method = passes::CalibrationMethod::kMinMax;
    else if (args.calibration_method == "percentile")
      quantize_options.calibration_method = passes::CalibrationMethod::kPercentile;
    else if (args.calibration_method != "mse")
      throw converter::ConvertError("--calibration-method: expected mse, minmax or percentile, got '" +
                                    args.calibration_method + "'");
    quantize_options.percentile = args.percentile;
    const bool fp16 = quantize_options.scheme == passes::QuantScheme::kFp16;
    const std::string rounding =
        args.rounding.empty() ? (args.calibration.empty() || fp16 ? "nearest" : "gptq") : args.rounding;
    if (rounding == "gptq") quantize_options.rounding = passes::Rounding::kGptq;
    else if (rounding != "nearest")
      throw converter::ConvertError("--rounding: expected nearest or gptq, got '" + args.rounding + "'");
    if (quantize_options.rounding == passes::Rounding::kGptq && args.calibration.empty())
      throw converter::ConvertError("--rounding gptq needs calibration inputs (--calibration DIR)");
    if (quantize_options.rounding == passes::Rounding::kGptq && fp16)
      throw converter::ConvertError("--rounding gptq: fp16 has no grid of scales to round onto (use int8, int4, fp8 or w8a8)");
  }
  if (!args.calibration.empty() && quantize_options.scheme == passes::QuantScheme::kNone)
    throw converter::ConvertError("--calibration needs --quantize");
  if (!args.activations.empty() && args.activations != "fp16" && args.activations != "fp32")
    throw converter::ConvertError("--activations: expected fp16 or fp32, got '" + args.activations + "'");
  const bool half_activations =
      args.activations.empty() ? quantize_options.scheme == passes::QuantScheme::kFp16 : args.activations == "fp16";
  const std::vector<passes::CalibrationSample> samples =
      args.calibration.empty() ? std::vector<passes::CalibrationSample>{} : read_calibration_dir(args.calibration, graph);
  // The fp32 graph's activation ranges and outputs, for the fp16 range guard
  // and the final error.
  // Without calibration data, a synthetic sample still finds activations that
  // vanish or explode whatever the input.
  std::vector<std::vector<HostTensor>> fp32_outputs;
  const std::vector<passes::CalibrationSample> synthetic =
      half_activations && samples.empty() ? passes::synthetic_sample(graph) : std::vector<passes::CalibrationSample>{};
  const std::vector<float> ranges =
      !half_activations ? std::vector<float>{}
      : !samples.empty() ? passes::activation_ranges(graph, samples, &fp32_outputs)
      : !synthetic.empty() ? passes::activation_ranges(graph, synthetic)
                           : std::vector<float>{};
  const passes::QuantizeReport quantized =
      samples.empty() ? passes::quantize_weights(graph, quantize_options, print_quantize_progress)
                      : passes::quantize_weights_calibrated(graph, quantize_options, samples, print_quantize_progress);
  passes::HalfActivationReport half_report;
  std::vector<passes::OutputError> half_errors;
  if (half_activations) {
    half_report = passes::store_activations_fp16(graph, {quantize_options.keep_fp32, ranges});
    if (!samples.empty()) half_errors = passes::output_errors(graph, samples, fp32_outputs);
  }

  writer::WriteOptions write_options;
  write_options.metadata = {
      {"source", info.source},
      {"onnx.producer_name", info.producer_name},
      {"onnx.producer_version", info.producer_version},
      {"onnx.opset", std::to_string(info.opset)},
  };
  if (quantize_options.scheme != passes::QuantScheme::kNone)
    write_options.metadata.push_back({"quantization", args.quantize});
  const writer::WriteStats stats = writer::write_model_file(graph, output, write_options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  uint64_t parameters = 0;
  for (const graph::TensorInfo& t : graph.tensors)
    if (t.is_constant() && (t.dtype == DataType::FLOAT32 || t.dtype == DataType::FLOAT16))
      parameters += static_cast<uint64_t>(element_count(t.shape));

  if (args.dump_graph) dump_graph(graph);

  std::string producer = info.producer_name;
  if (!info.producer_version.empty()) producer += " " + info.producer_version;
  std::printf("fennec convert: %s -> %s\n", input.string().c_str(), output.string().c_str());
  std::printf("  source      %s (ONNX IR %lld, opset %d%s)\n", info.source.c_str(),
              static_cast<long long>(info.ir_version), info.opset,
              producer.empty() ? "" : (", producer " + producer).c_str());
  std::printf("  inputs      %s\n", io_summary(graph, graph.inputs).c_str());
  std::printf("  outputs     %s\n", io_summary(graph, graph.outputs).c_str());
  std::printf("  nodes       %d ONNX (%d Constant) -> %zu imported -> %zu after passes\n",
              info.onnx_nodes, info.constant_nodes, imported_nodes, graph.nodes.size());
  std::printf("  ops         %s\n", op_counts(graph).c_str());
  std::printf("  parameters  %s in %d constant tensors, %s of weights\n",
              with_commas(parameters).c_str(), stats.constants,
              human_bytes(stats.weights_bytes).c_str());
  std::printf("  file        %s (ONNX %s, %.0f%%)\n", human_bytes(stats.file_bytes).c_str(),
              human_bytes(info.file_bytes).c_str(),
              info.file_bytes ? 100.0 * static_cast<double>(stats.file_bytes) /
                                    static_cast<double>(info.file_bytes)
                              : 0.0);
  std::printf("  folded      %zu BatchNorm, %zu Add/Sub/Mul/Div into Conv, %zu constant nodes\n",
              report.folded_batch_norms.size(), report.folded_affine.size(),
              report.folded_constants.size());
  std::printf("  fused       %s\n", fusion_summary(report).c_str());
  const passes::PatternFusionReport& pf = report.patterns;
  if (!pf.layer_norms.empty() || !pf.gelus.empty() || !pf.silus.empty() || !pf.attentions.empty())
    std::printf("  patterns    %zu LayerNorm, %zu GELU, %zu SiLU, %zu attention\n",
                pf.layer_norms.size(), pf.gelus.size(), pf.silus.size(), pf.attentions.size());
  if (!report.transposes.empty())
    std::printf("  layout      %zu transpose rewrites (merged, moved below elementwise ops, removed)\n",
                report.transposes.size());
  std::printf("  removed     %zu dead nodes, %d unused constants\n", report.removed_nodes.size(),
              report.removed_constants);
  if (quantize_options.scheme != passes::QuantScheme::kNone) print_quantize_report(quantized, quantize_options);
  if (half_activations) print_activation_report(half_report, half_errors, samples.size(), synthetic);
  std::printf("  time        %.3f s\n", seconds);
}

}  // namespace

void add_convert_command(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  CLI::App* cmd = app.add_subcommand("convert", "Convert an ONNX model to a .fennec file");
  cmd->add_option("input", args->input, "ONNX model (.onnx), or an LLM: llama2.c checkpoint (.bin), GGUF (.gguf) or a Hugging Face "
                  "directory (config.json + *.safetensors + tokenizer.json)")->required();
  cmd->add_option("-o,--output", args->output,
                  "Output .fennec file (default: the input with extension .fennec)");
  cmd->add_flag("--dump-graph", args->dump_graph,
                "Print the graph after the passes, one line per node");
  cmd->add_flag("--no-optimize", args->no_optimize,
                "Skip constant folding, BatchNorm/affine folding, pattern fusion, transpose elimination and activation fusion");
  cmd->add_option("--fix-dim", args->fix_dims,
                  "Fix a symbolic input dimension, by its name in the model (e.g. batch=1); "
                  "repeatable");
  cmd->add_option("--input-shape", args->input_shapes,
                  "Fix a graph input's shape (e.g. x=1x3x48x320); repeatable");
  cmd->add_option("--input-value", args->input_values,
                  "Make a graph input a constant with the value in a .npy file "
                  "(e.g. sr=sr.npy); repeatable");
  cmd->add_option("--quantize", args->quantize,
                  "Store CONV and MATMUL weights quantized: fp16, int8 (per output channel), int4 "
                  "(groups along the input dimension), fp8 (MX: E4M3 with a UE8M0 scale per 32), or "
                  "w8a8 (int8 weights and per-tensor int8 activations; needs --calibration)");
  cmd->add_option("--group-size", args->group_size, "int4 values per scale: 32, 64 or 128 (default 32)");
  cmd->add_flag("--asymmetric", args->asymmetric, "int4 with a zero point per group");
  cmd->add_option("--keep-fp32", args->keep_fp32,
                  "Node names or op types (Conv, MatMul, Gemm) whose weights stay fp32 (LLMs: weight names, "
                  "e.g. output for the classifier); repeatable");
  cmd->add_flag("--quantize-embedding", args->quantize_embedding,
                "LLMs: quantize the token embedding too (its rows are looked up on the host)");
  cmd->add_option("--calibration", args->calibration,
                  "Folder of .npy input samples: the report then gives each layer's output NMSE and the "
                  "model outputs' error against fp32, measured on the Vulkan device");
  cmd->add_option("--calibration-method", args->calibration_method,
                  "w8a8 activation scales: mse (the clipping of least squared error), minmax or percentile (default mse)");
  cmd->add_option("--rounding", args->rounding,
                  "How weights take their quantized values: nearest, or gptq (each layer's rounding error "
                  "compensated on its calibration inputs; needs --calibration, and is its default)");
  cmd->add_option("--activations", args->activations,
                  "Activation storage: fp16 (binary16 tensors between ops, float32 arithmetic; layers whose "
                  "calibration values leave binary16's range stay fp32) or fp32 (default: fp16 with --quantize "
                  "fp16, fp32 otherwise)");
  cmd->add_option("--percentile", args->percentile, "Percentile of |x| for --calibration-method percentile (default 99.99)")
      ->check(CLI::Range(50.0, 100.0));
  cmd->callback([args] { run_convert(*args); });
}

}  // namespace fennec::cli
