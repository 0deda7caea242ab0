#include "passes/half_activations.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <utility>

#include <fmt/format.h>

#include "graph/activation_storage.h"
#include "ops/cast.h"
#include "passes/convert_error.h"
#include "passes/dead_node_removal.h"
#include "passes/graph_query.h"
#include "passes/quantization.h"

namespace fennec::passes {
namespace {

constexpr float kFp16Max = 65504.0f;
constexpr float kFp16MinNormal = 6.103515625e-5f;  // 2^-14

uint64_t activation_bytes(const graph::Graph& graph) {
  uint64_t bytes = 0;
  for (const graph::TensorInfo& t : graph.tensors)
    if (!t.is_constant() && is_static(t.shape))
      bytes += static_cast<uint64_t>(element_count(t.shape)) * dtype_size(t.dtype);
  return bytes;
}

// Why tensor `index` cannot be binary16 by its calibration range; "" if it can.
std::string range_problem(const graph::Graph& graph, const std::vector<float>& max_abs, int index) {
  if (index < 0 || static_cast<size_t>(index) >= max_abs.size()) return {};
  const float m = max_abs[static_cast<size_t>(index)];
  const std::string& name = graph.tensors[static_cast<size_t>(index)].name;
  if (m > kOverflowLimit || std::isinf(m))
    return fmt::format("'{}' reaches {:.4g} (binary16 ends at 65504)", name, m);
  if (m > 0.0f && m < kUnderflowLimit)
    return fmt::format("'{}' stays within {:.3g} (binary16 would lose it to underflow)", name, m);
  return {};
}

// Why a float constant read as an activation cannot be binary16; "" if it can.
std::string constant_problem(const graph::Graph& graph, int index) {
  const HostTensor value = graph.constant_value(index);
  float largest = 0.0f;
  for (float v : value.as<float>()) largest = std::max(largest, std::fabs(v));
  const std::string& name = graph.tensors[static_cast<size_t>(index)].name;
  if (largest > kFp16Max || std::isnan(largest))
    return fmt::format("constant '{}' holds {:.4g}, beyond binary16", name, largest);
  if (largest > 0.0f && largest < kFp16MinNormal)
    return fmt::format("constant '{}' is below binary16's normal range ({:.3g})", name, largest);
  return {};
}

// Why `node` keeps float32 activations; "" when it takes binary16 ones.
std::string keep_reason(const graph::Graph& graph, const graph::Node& node, const HalfActivationOptions& options) {
  if (node.op->type() == ops::OpType::LSTM) return "LSTM state stays float32";
  if (kept_by_user(node, options.keep_fp32)) return "--keep-fp32";
  for (size_t slot = 0; slot < node.inputs.size(); ++slot) {
    const int in = node.inputs[slot];
    if (in < 0) continue;
    const graph::TensorInfo& t = graph.tensors[static_cast<size_t>(in)];
    if (!graph::activation_input(graph, node, slot)) continue;
    const std::string problem = t.is_constant() ? constant_problem(graph, in) : range_problem(graph, options.max_abs, in);
    if (!problem.empty()) return problem;
  }
  for (int out : node.outputs) {
    const std::string problem = range_problem(graph, options.max_abs, out);
    if (!problem.empty()) return problem;
  }
  return {};
}

graph::Node make_cast(const std::string& name, int from, int to, DataType dtype) {
  graph::Node node;
  node.name = name;
  node.op = std::make_unique<ops::CastOp>(dtype);
  node.inputs = {from};
  node.outputs = {to};
  return node;
}

}  // namespace

HalfActivationReport store_activations_fp16(graph::Graph& graph, const HalfActivationOptions& options) {
  HalfActivationReport report;
  report.ranges_checked = !options.max_abs.empty();
  report.activation_bytes_before = activation_bytes(graph);

  // Which nodes store binary16 activations: those with FLOAT32 outputs only
  // that nothing keeps in float32.
  std::vector<bool> half(graph.nodes.size(), false);
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const graph::Node& node = graph.nodes[i];
    if (node.op->type() == ops::OpType::CAST || node.outputs.empty()) continue;
    bool float_outputs = true;
    for (int out : node.outputs)
      float_outputs = float_outputs && graph.tensors[static_cast<size_t>(out)].dtype == DataType::FLOAT32;
    if (!float_outputs) continue;
    std::string reason = keep_reason(graph, node, options);
    if (reason.empty()) half[i] = true;
    else report.kept.push_back({node.name, node.op->type_name(), std::move(reason)});
  }

  // Outputs of binary16 nodes become FLOAT16; a graph output keeps its
  // FLOAT32 tensor (and name), written by a CAST from a new FLOAT16 one.
  std::map<std::pair<int, DataType>, int> converted;  // (tensor, dtype) -> the tensor in that dtype
  std::map<size_t, std::vector<std::pair<int, int>>> output_casts;  // node -> (FLOAT16, FLOAT32 output)
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (!half[i]) continue;
    ++report.half_nodes;
    for (int& out : graph.nodes[i].outputs) {
      if (!is_graph_output(graph, out)) {
        graph.tensors[static_cast<size_t>(out)].dtype = DataType::FLOAT16;
        continue;
      }
      graph::TensorInfo info = graph.tensors[static_cast<size_t>(out)];
      info.name += ":fp16";
      info.dtype = DataType::FLOAT16;
      const int wide = out;
      const int narrow = graph.add_tensor(std::move(info));
      for (graph::Node& consumer : graph.nodes)
        for (int& in : consumer.inputs)
          if (in == wide) in = narrow;
      converted[{narrow, DataType::FLOAT32}] = wide;
      output_casts[i].push_back({narrow, wide});
      out = narrow;
    }
  }

  // A graph input that only binary16 nodes read is itself FLOAT16: the
  // session converts float32 data on the host, and no CAST holds both forms.
  for (int in : graph.inputs) {
    graph::TensorInfo& t = graph.tensors[static_cast<size_t>(in)];
    if (t.dtype != DataType::FLOAT32 || t.is_constant() || is_graph_output(graph, in)) continue;
    bool read = false, only_half = true;
    for (size_t i = 0; i < graph.nodes.size(); ++i)
      for (size_t slot = 0; slot < graph.nodes[i].inputs.size(); ++slot)
        if (graph.nodes[i].inputs[slot] == in) {
          read = true;
          only_half = only_half && half[i] && graph::activation_input(graph, graph.nodes[i], slot);
        }
    if (read && only_half) {
      t.dtype = DataType::FLOAT16;
      ++report.half_inputs;
    }
  }

  // Every activation input in the storage its node reads, through CASTs
  // placed before their first reader and shared by the later ones.
  std::vector<graph::Node> nodes = std::move(graph.nodes);
  graph.nodes.clear();
  std::map<int, int> half_constants;
  for (size_t i = 0; i < nodes.size(); ++i) {
    graph::Node& node = nodes[i];
    const DataType want = half[i] ? DataType::FLOAT16 : DataType::FLOAT32;
    for (size_t slot = 0; slot < node.inputs.size(); ++slot) {
      const int in = node.inputs[slot];
      if (in < 0 || !graph::activation_input(graph, node, slot)) continue;
      const graph::TensorInfo t = graph.tensors[static_cast<size_t>(in)];
      if (t.dtype == want) continue;
      if (t.is_constant()) {
        auto found = half_constants.find(in);
        if (found == half_constants.end()) {
          Result<HostTensor> value = convert_dtype(graph.constant_value(in), DataType::FLOAT16);
          if (!value.ok()) throw converter::ConvertError("fp16 activations: " + value.status().to_string());
          found = half_constants.emplace(in, graph.add_constant(t.name + ":fp16", *value)).first;
          ++report.constants;
        }
        node.inputs[slot] = found->second;
        continue;
      }
      auto found = converted.find({in, want});
      if (found == converted.end()) {
        graph::TensorInfo info = t;
        info.name += want == DataType::FLOAT16 ? ":fp16" : ":fp32";
        info.dtype = want;
        const int to = graph.add_tensor(std::move(info));
        graph.nodes.push_back(make_cast(t.name + "/cast_" + (want == DataType::FLOAT16 ? "fp16" : "fp32"), in, to, want));
        ++report.casts;
        found = converted.emplace(std::make_pair(in, want), to).first;
      }
      node.inputs[slot] = found->second;
    }
    graph.nodes.push_back(std::move(node));
    for (const auto& [narrow, wide] : output_casts[i]) {
      graph.nodes.push_back(
          make_cast(graph.tensors[static_cast<size_t>(wide)].name + "/cast_fp32", narrow, wide, DataType::FLOAT32));
      ++report.casts;
    }
  }
  compact_tensors(graph);  // float32 constants now read only as FLOAT16 go
  const Status valid = graph.validate();
  if (!valid.ok()) throw converter::ConvertError("internal: fp16 activations: " + valid.to_string());
  report.activation_bytes_after = activation_bytes(graph);
  return report;
}

std::vector<float> activation_ranges(graph::Graph& graph, const std::vector<CalibrationSample>& samples,
                                     std::vector<std::vector<HostTensor>>* outputs) {
  std::vector<int> watched;
  for (size_t i = 0; i < graph.tensors.size(); ++i) {
    const graph::TensorInfo& t = graph.tensors[i];
    const bool input = std::find(graph.inputs.begin(), graph.inputs.end(), static_cast<int>(i)) != graph.inputs.end();
    if (!t.is_constant() && t.dtype == DataType::FLOAT32 && !input && !is_graph_output(graph, static_cast<int>(i)))
      watched.push_back(static_cast<int>(i));
  }
  // run_capturing returns the watched tensors, then the graph outputs.
  std::vector<int> measured = watched;
  measured.insert(measured.end(), graph.outputs.begin(), graph.outputs.end());
  std::vector<float> max_abs(graph.tensors.size(), -1.0f);
  // One session; each sample's captures are reduced to ranges as it runs.
  // (graph.outputs holds the watched tensors too while it does.)
  const auto graph_outputs = static_cast<std::ptrdiff_t>(graph.outputs.size());
  run_capturing(graph, watched, samples, [&](size_t, std::vector<HostTensor> values) {
    for (size_t k = 0; k < measured.size(); ++k) {
      if (values[k].dtype != DataType::FLOAT32) continue;
      float& m = max_abs[static_cast<size_t>(measured[k])];
      m = std::max(m, 0.0f);
      for (float v : values[k].as<float>())
        if (!std::isnan(v)) m = std::max(m, std::fabs(v));
    }
    if (outputs)
      outputs->emplace_back(std::make_move_iterator(values.end() - graph_outputs), std::make_move_iterator(values.end()));
  });
  return max_abs;
}

std::vector<CalibrationSample> synthetic_sample(const graph::Graph& graph) {
  CalibrationSample sample;
  std::mt19937 rng(2024);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int in : graph.inputs) {
    const graph::TensorInfo& t = graph.tensors[static_cast<size_t>(in)];
    if (t.dtype != DataType::FLOAT32) return {};
    Shape shape = t.shape;
    for (size_t d = 0; d < shape.size(); ++d)
      if (shape[d] == kUnknownDim) shape[d] = d == 0 ? 1 : 224;
    HostTensor value(DataType::FLOAT32, shape);
    for (float& v : value.as<float>()) v = normal(rng);
    sample.push_back(std::move(value));
  }
  return {std::move(sample)};
}

std::vector<OutputError> output_errors(graph::Graph& graph, const std::vector<CalibrationSample>& samples,
                                       const std::vector<std::vector<HostTensor>>& reference) {
  const std::vector<std::vector<HostTensor>> values = run_capturing(graph, {}, samples);
  std::vector<OutputError> errors;
  for (size_t o = 0; o < graph.outputs.size(); ++o) {
    ErrorSums sums;
    for (size_t s = 0; s < values.size() && s < reference.size(); ++s) sums.add(reference[s][o], values[s][o]);
    errors.push_back({graph.tensors[static_cast<size_t>(graph.outputs[o])].name, sums.nmse(), sums.max_abs,
                      sums.max_ref});
  }
  return errors;
}

}  // namespace fennec::passes
