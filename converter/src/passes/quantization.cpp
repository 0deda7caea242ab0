#include "passes/quantization.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>

#include <fmt/format.h>

#include "ops/lstm.h"
#include "ops/matmul.h"
#include "passes/convert_error.h"
#include "passes/graph_query.h"
#include "passes/lstm_weights.h"

namespace fennec::passes {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

bool kept_by_user(const graph::Node& node, const std::vector<std::string>& keep) {
  const std::string type = lower(node.op->type_name());
  for (const std::string& entry : keep) {
    if (entry == node.name) return true;
    const std::string e = lower(entry);
    if (e == type || (type == "matmul" && e == "gemm")) return true;
  }
  return false;
}

namespace {

constexpr float kFp16Max = 65504.0f;

// The storage a weight of node `node` takes: rows = output channels (input
// channels for CONV_TRANSPOSE, whose weight is [C, O/group, KH, KW]).
// Returns false when the node's weight cannot be quantized.
bool weight_view(const graph::Graph& graph, const graph::Node& node, quant::WeightQuant& quant) {
  if (node.inputs.size() < 2 || node.inputs[1] < 0) return false;
  const graph::TensorInfo& w = graph.tensors[static_cast<size_t>(node.inputs[1])];
  if (!w.is_constant() || w.is_quantized() || w.dtype != DataType::FLOAT32 || !is_static(w.shape) ||
      element_count(w.shape) == 0)
    return false;
  if (node.op->type() == ops::OpType::CONV || node.op->type() == ops::OpType::CONV_TRANSPOSE) {
    quant.transposed = false;
    return w.shape.size() == 4;
  }
  if (node.op->type() == ops::OpType::MATMUL) {
    quant.transposed = !static_cast<const ops::MatMulOp&>(*node.op).params().transpose_b;
    return w.shape.size() == 2;
  }
  if (node.op->type() == ops::OpType::LSTM) {  // W holding R (passes/lstm_weights.h)
    quant.transposed = false;
    return w.shape.size() == 2 && (node.inputs.size() <= ops::kLstmR || node.inputs[ops::kLstmR] < 0);
  }
  return false;
}

// Where R starts in an LSTM's joined weight: a multiple of every scale group
// its scheme may give it (int4's groups; fp8 blocks and grouped int8, 32).
size_t lstm_group(const QuantizeOptions& options) {
  if (options.scheme == QuantScheme::kFp16) return 1;
  const size_t group = options.scheme == QuantScheme::kInt4 && options.group_size > 0 ? options.group_size : 32;
  return std::lcm<size_t>(group, 32);
}

quant::WeightQuant scheme_quant(const QuantizeOptions& options) {
  quant::WeightQuant q;
  switch (options.scheme) {
    case QuantScheme::kNone: break;
    case QuantScheme::kFp16: q.format = quant::WeightFormat::kFloat16; break;
    case QuantScheme::kInt8:
    case QuantScheme::kW8A8: q.format = quant::WeightFormat::kInt8; break;
    case QuantScheme::kInt4:
      q.format = options.asymmetric ? quant::WeightFormat::kInt4Asymmetric : quant::WeightFormat::kInt4;
      q.group_size = options.group_size;
      break;
    case QuantScheme::kFp8: q.format = quant::WeightFormat::kMxFp8; break;
  }
  return q;
}

// Smallest constant that the report lists as kept float32 outside the
// quantized layers (biases, scales and shape constants stay unlisted).
constexpr uint64_t kKeptReportBytes = 8192;

void measure(QuantizedLayer& layer, std::span<const float> original, std::span<const float> decoded) {
  ErrorSums sums;
  sums.add(original, decoded);
  layer.weight_nmse = sums.nmse();
  layer.weight_max_abs = sums.max_abs;
}

// Nodes whose weight can be quantized, in graph order, with the matrix view
// of each weight.
std::vector<std::pair<size_t, quant::WeightQuant>> candidate_layers(const graph::Graph& graph) {
  std::vector<std::pair<size_t, quant::WeightQuant>> candidates;
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    quant::WeightQuant view;
    if (weight_view(graph, graph.nodes[n], view)) candidates.emplace_back(n, view);
  }
  return candidates;
}

// The w8a8 scale of one tensor from its calibration magnitudes: max or the
// given percentile, over 127; 1 when every value is 0.
float activation_scale(std::vector<float>& magnitudes, CalibrationMethod method, double percentile) {
  if (magnitudes.empty()) return 1.0f;
  float top;
  if (method == CalibrationMethod::kMinMax) {
    top = *std::max_element(magnitudes.begin(), magnitudes.end());
  } else if (method == CalibrationMethod::kMse) {
    const float max = *std::max_element(magnitudes.begin(), magnitudes.end());
    // At most ~1M values, evenly strided, decide; the error of a candidate
    // is exact arithmetic on them (rounding inside, clipping beyond).
    const size_t stride = std::max<size_t>(1, magnitudes.size() >> 20);
    double best = INFINITY;
    top = max;
    for (int i = 64; i >= 4; --i) {
      const float clip = max * static_cast<float>(i) / 64.0f;
      const float scale = clip / 127.0f;
      if (!(scale > 0.0f)) break;
      double error = 0.0;
      for (size_t j = 0; j < magnitudes.size(); j += stride) {
        const float v = magnitudes[j];
        const double d = v - static_cast<float>(quant::quantize_activation(v, scale)) * scale;
        error += d * d;
      }
      if (error < best) best = error, top = clip;
    }
  } else {
    const double rank = std::clamp(percentile, 0.0, 100.0) / 100.0 * static_cast<double>(magnitudes.size() - 1);
    const auto nth = magnitudes.begin() + static_cast<long>(std::ceil(rank));
    std::nth_element(magnitudes.begin(), nth, magnitudes.end());
    top = *nth;
  }
  return top > 0.0f ? top / 127.0f : 1.0f;
}

}  // namespace

QuantScheme parse_quant_scheme(const std::string& text) {
  const std::string t = lower(text);
  if (t == "fp16") return QuantScheme::kFp16;
  if (t == "int8") return QuantScheme::kInt8;
  if (t == "int4") return QuantScheme::kInt4;
  if (t == "fp8" || t == "mxfp8") return QuantScheme::kFp8;
  if (t == "w8a8") return QuantScheme::kW8A8;
  throw converter::ConvertError("--quantize: unknown scheme '" + text +
                                "' (expected fp16, int8, int4, fp8 or w8a8)");
}

const char* quant_scheme_name(QuantScheme scheme) {
  switch (scheme) {
    case QuantScheme::kNone: return "none";
    case QuantScheme::kFp16: return "fp16";
    case QuantScheme::kInt8: return "int8";
    case QuantScheme::kInt4: return "int4";
    case QuantScheme::kFp8: return "fp8";
    case QuantScheme::kW8A8: return "w8a8";
  }
  return "?";
}

QuantizeReport quantize_weights(graph::Graph& graph, const QuantizeOptions& options, const ProgressFn& progress) {
  QuantizeReport report;
  for (const graph::TensorInfo& t : graph.tensors)
    if (t.is_constant()) report.weights_before += t.data_bytes;
  if (options.scheme == QuantScheme::kNone) {
    report.weights_after = report.weights_before;
    return report;
  }
  if (options.scheme == QuantScheme::kInt4 &&
      (options.group_size == 0 || options.group_size % 2 != 0 || options.group_size > 4096))
    throw converter::ConvertError("--group-size " + std::to_string(options.group_size) +
                                  ": expected an even number up to 4096 (32, 64 or 128)");

  combine_lstm_weights(graph, options.keep_fp32, lstm_group(options));
  const auto candidates = candidate_layers(graph);
  const auto consumers = tensor_consumers(graph);
  if (progress) progress(0, candidates.size());

  const quant::WeightQuant target = scheme_quant(options);
  for (size_t c = 0; c < candidates.size(); ++c) {
    const graph::Node& node = graph.nodes[candidates[c].first];
    const int w = node.inputs[1];
    QuantizedLayer layer;
    layer.node = node.name;
    layer.op_type = node.op->type_name();
    layer.weight = graph.tensors[static_cast<size_t>(w)].name;
    layer.output = node.outputs.empty() ? -1 : node.outputs[0];
    layer.shape = graph.tensors[static_cast<size_t>(w)].shape;
    quant::WeightQuant q = target;
    q.transposed = candidates[c].second.transposed;
    // int4 rounded by GPTQ keeps the last layer at 4 bits too: with its
    // error compensated it no longer needs int8 (the OCR recognizer's
    // classifier, a third of its weights, reads the test page exactly).
    const bool gptq_int4 = options.scheme == QuantScheme::kInt4 && options.hessians.count(node.name) > 0;
    const bool end_layer = c == 0 || (c + 1 == candidates.size() && !gptq_int4);
    if (kept_by_user(node, options.keep_fp32)) {
      q = {};
      layer.note = "kept fp32 (--keep-fp32)";
    } else if (is_graph_output(graph, w) || consumers[static_cast<size_t>(w)].size() != 1) {
      // Shared weights (tied embeddings, reused convolutions) need every
      // consumer to agree on the matrix view; keep the simple case only.
      q = {};
      layer.note = "kept fp32 (weight shared by several nodes)";
    } else if (options.scheme != QuantScheme::kFp16 && options.scheme != QuantScheme::kInt8 &&
               options.protect_ends && end_layer) {
      q.format = quant::WeightFormat::kInt8;
      q.group_size = 0;
      layer.note = c == 0 ? "int8: first layer" : "int8: last layer";
      if (options.scheme == QuantScheme::kW8A8) layer.note += ", float activations";
    } else if (options.scheme == QuantScheme::kW8A8 &&
               (node.op->type() == ops::OpType::CONV_TRANSPOSE || node.op->type() == ops::OpType::LSTM)) {
      layer.note = fmt::format("int8: float activations ({})", node.op->type_name());
    } else if (options.scheme == QuantScheme::kW8A8) {
      const auto it = options.activation_scales.find(node.name);
      if (it == options.activation_scales.end())
        throw converter::ConvertError("--quantize w8a8 needs activation scales from --calibration DIR (none for '" +
                                      node.name + "')");
      const auto loss = options.activation_nmse.find(node.name);
      if (loss != options.activation_nmse.end()) layer.activation_nmse = loss->second;
      if (layer.activation_nmse > options.max_activation_nmse)
        layer.note = fmt::format("int8: float activations (int8 input NMSE {:.1e})", layer.activation_nmse);
      else
        q.activation_scale = it->second;
    }
    if (node.op->type() == ops::OpType::LSTM && q.format == quant::WeightFormat::kInt8) {
      // One scale per row would serve W's and R's values together.
      q.format = quant::WeightFormat::kInt8Grouped;
      q.group_size = 32;
    }
    const HostTensor original = q.quantized() ? graph.constant_value(w) : HostTensor{};
    if (q.format == quant::WeightFormat::kFloat16) {
      // fp16 overflows past 65504 (peers are known to fail there): such a
      // layer keeps fp32 instead of storing infinities.
      const float amax = quant::finite_abs_max(original.as<float>());
      if (amax > kFp16Max) {
        q = {};
        layer.note = fmt::format("kept fp32 (a weight of {:.3g} is beyond fp16's 65504)", amax);
      }
    }
    layer.quant = q;
    layer.bytes_before = graph.tensors[static_cast<size_t>(w)].data_bytes;
    if (q.quantized()) {
      const auto hessian = options.hessians.find(node.name);
      std::vector<std::byte> bytes;
      if (hessian != options.hessians.end() && q.format != quant::WeightFormat::kFloat16) {
        const quant::QuantGrid grid = quant::weight_grid(q, layer.shape, original.as<float>());
        const std::vector<float> rounded = quant::from_weight_matrix(
            q, layer.shape, hessian->second->round(quant::to_weight_matrix(q, layer.shape, original.as<float>()), grid));
        bytes = quant::encode_weight(q, layer.shape, rounded, &grid);
        layer.gptq_vectors = hessian->second->vectors();
      } else {
        bytes = quant::encode_weight(q, layer.shape, original.as<float>());
      }
      const std::vector<float> decoded = quant::decode_weight(q, layer.shape, bytes);
      measure(layer, original.as<float>(), decoded);
      graph.set_quantized_constant(w, q, std::move(bytes));
    }
    layer.bytes_after = graph.tensors[static_cast<size_t>(w)].data_bytes;
    report.layers.push_back(std::move(layer));
    if (progress) progress(c + 1, candidates.size());
  }
  std::vector<bool> candidate(graph.nodes.size(), false);
  for (const auto& [n, view] : candidates) candidate[n] = true;
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const graph::Node& node = graph.nodes[n];
    if (candidate[n] || kept_by_user(node, options.keep_fp32)) continue;
    for (int in : node.inputs) {
      if (in < 0) continue;
      const graph::TensorInfo& t = graph.tensors[static_cast<size_t>(in)];
      if (t.is_constant() && t.dtype == DataType::FLOAT32 && !t.quant.quantized() && t.data_bytes >= kKeptReportBytes)
        report.kept.push_back({node.name, node.op->type_name(), t.name, t.shape, t.data_bytes});
    }
  }
  for (const graph::TensorInfo& t : graph.tensors)
    if (t.is_constant()) report.weights_after += t.data_bytes;
  check_graph(graph, "quantization");
  return report;
}

QuantizeReport quantize_weights_calibrated(graph::Graph& graph, const QuantizeOptions& options,
                                           const std::vector<CalibrationSample>& samples,
                                           const ProgressFn& progress) {
  if (samples.empty()) throw converter::ConvertError("--calibration: no samples");
  combine_lstm_weights(graph, options.keep_fp32, lstm_group(options));
  const auto candidates = candidate_layers(graph);
  std::vector<int> watched;
  for (const auto& [n, view] : candidates)
    if (!graph.nodes[n].outputs.empty()) watched.push_back(graph.nodes[n].outputs[0]);
  // w8a8 also watches each layer's input X, whose values set its scale.
  // GPTQ needs every layer's X for its Hessian. These are the layers' nodes.
  std::vector<size_t> input_nodes;
  if (options.scheme == QuantScheme::kW8A8 || options.rounding == Rounding::kGptq)
    for (const auto& [n, view] : candidates)
      if (graph.nodes[n].inputs[0] >= 0) input_nodes.push_back(n);
  std::vector<int> captured = watched;
  for (const size_t n : input_nodes) captured.push_back(graph.nodes[n].inputs[0]);
  const auto reference = run_capturing(graph, captured, samples);
  QuantizeOptions effective = options;
  if (options.rounding == Rounding::kGptq)
    for (size_t i = 0; i < input_nodes.size(); ++i) {
      const graph::Node& node = graph.nodes[input_nodes[i]];
      quant::WeightQuant view;
      weight_view(graph, node, view);
      const Shape& shape = graph.tensors[static_cast<size_t>(node.inputs[1])].shape;
      auto hessian = std::make_shared<LayerHessian>(node, quant::weight_matrix(view, shape).cols);
      if (!hessian->supported()) continue;
      for (const auto& sample : reference) hessian->add(sample[watched.size() + i]);
      effective.hessians[node.name] = std::move(hessian);
    }
  for (size_t i = 0; i < input_nodes.size() && options.scheme == QuantScheme::kW8A8; ++i) {
    const std::string& name = graph.nodes[input_nodes[i]].name;
    std::vector<float> magnitudes;
    for (const auto& sample : reference)
      for (const float v : sample[watched.size() + i].as<float>())
        if (std::isfinite(v)) magnitudes.push_back(std::fabs(v));
    const float scale = activation_scale(magnitudes, options.calibration_method, options.percentile);
    effective.activation_scales[name] = scale;
    ErrorSums loss;
    for (const auto& sample : reference) {
      const HostTensor& x = sample[watched.size() + i];
      HostTensor seen = x;
      for (float& v : seen.as<float>())
        v = static_cast<float>(quant::quantize_activation(v, scale)) * scale;
      loss.add(x, seen);
    }
    effective.activation_nmse[name] = loss.nmse();
  }
  QuantizeReport report = quantize_weights(graph, effective, progress);
  const auto quantized = run_capturing(graph, watched, samples);
  report.calibration_samples = samples.size();

  std::map<int, ErrorSums> per_tensor;
  std::vector<ErrorSums> per_output(graph.outputs.size());
  for (size_t s = 0; s < samples.size(); ++s) {
    for (size_t i = 0; i < watched.size(); ++i) per_tensor[watched[i]].add(reference[s][i], quantized[s][i]);
    for (size_t o = 0; o < graph.outputs.size(); ++o) {
      const HostTensor& r = reference[s][captured.size() + o];
      if (r.dtype == DataType::FLOAT32) per_output[o].add(r, quantized[s][watched.size() + o]);
    }
  }
  for (QuantizedLayer& layer : report.layers)
    if (auto it = per_tensor.find(layer.output); it != per_tensor.end()) layer.output_nmse = it->second.nmse();
  for (size_t o = 0; o < graph.outputs.size(); ++o)
    report.outputs.push_back({graph.tensors[static_cast<size_t>(graph.outputs[o])].name, per_output[o].nmse(),
                              per_output[o].max_abs, per_output[o].max_ref});
  return report;
}

}  // namespace fennec::passes
