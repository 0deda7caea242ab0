#include "llm/quantize_llm.h"

#include <memory>

#include "ops/matmul.h"
#include "passes/convert_error.h"

namespace fennec::llm_import {

passes::QuantizeReport quantize_llm(graph::Graph& graph, const passes::QuantizeOptions& options,
                                    const passes::ProgressFn& progress, bool include_embedding) {
  if (options.scheme == passes::QuantScheme::kW8A8)
    throw converter::ConvertError("--quantize w8a8 needs calibration, which LLM imports do not take yet");
  const size_t tensors = graph.tensors.size();
  ops::MatMulParams params;
  params.transpose_b = true;
  for (size_t i = 0; i < tensors; ++i) {
    const graph::TensorInfo& w = graph.tensors[i];
    if (!w.is_constant() || w.shape.size() != 2 || (w.name == "token_embd" && !include_embedding)) continue;
    const int64_t rows = w.shape[0], cols = w.shape[1];
    const std::string name = w.name;
    const int x = graph.add_tensor({name + ".x", DataType::FLOAT32, {1, cols}, {"", ""}});
    const int y = graph.add_tensor({name + ".y", DataType::FLOAT32, {1, rows}, {"", ""}});
    graph.inputs.push_back(x);
    graph.outputs.push_back(y);
    graph.nodes.push_back({name, std::make_unique<ops::MatMulOp>(params), {x, static_cast<int>(i)}, {y}});
  }
  passes::QuantizeReport report = passes::quantize_weights(graph, options, progress);
  // Back to weights only; the helper tensors are left unreferenced (the
  // writer drops them).
  graph.nodes.clear();
  graph.inputs.clear();
  graph.outputs.clear();
  return report;
}

}  // namespace fennec::llm_import
