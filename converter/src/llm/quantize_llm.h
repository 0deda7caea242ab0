// --quantize for LLM files: every weight matrix goes through the same
// quantization pass as ONNX models, each seen as one MATMUL layer with rows =
// outputs; the token embedding (whose rows the host looks up, decoding them
// from any format) only when asked (--quantize-embedding).
#pragma once

#include "graph/graph.h"
#include "passes/quantization.h"

namespace fennec::llm_import {

// Quantizes the matrices of an LLM graph (llm/config.h names) in place and
// leaves the graph without nodes again. w8a8 needs calibration and is
// refused (converter::ConvertError).
passes::QuantizeReport quantize_llm(graph::Graph& graph, const passes::QuantizeOptions& options,
                                    const passes::ProgressFn& progress = {}, bool include_embedding = false);

}  // namespace fennec::llm_import
