// Binary16 activation storage (schema: Tensor): every node that can stores
// its activations as FLOAT16, halving the arena and the bytes the kernels
// move; arithmetic stays float32. A graph input that only such nodes read
// becomes FLOAT16 (sessions convert float32 data on the host); CASTs convert
// where storage changes elsewhere: at the graph outputs (which stay FLOAT32),
// at inputs that float32 nodes read too, and around the nodes that keep
// float32 activations:
//   - LSTM (its state is carried across steps in the output buffers);
//   - nodes named by --keep-fp32 (names or op types);
//   - with calibration ranges, nodes that write or read a tensor whose
//     max |x| is above kOverflowLimit (half of binary16's 65504) or below
//     kUnderflowLimit but not 0 (its values would lose precision or flush
//     to zero), and nodes whose float constants do not fit binary16.
// Runs after weight quantization.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"
#include "passes/calibration.h"
#include "passes/quantization.h"

namespace fennec::passes {

constexpr float kOverflowLimit = 32768.0f;
constexpr float kUnderflowLimit = 1.0f / 256.0f;

struct HalfActivationOptions {
  std::vector<std::string> keep_fp32;  // as QuantizeOptions::keep_fp32
  // max |x| per tensor index over the calibration samples; empty when there
  // are none (ranges unchecked); < 0 for tensors not measured.
  std::vector<float> max_abs;
};

struct KeptFp32Node {
  std::string node;
  std::string op_type;
  std::string reason;
};

struct HalfActivationReport {
  size_t half_nodes = 0;            // nodes with FLOAT16 activations
  size_t casts = 0;                 // CAST nodes inserted
  size_t half_inputs = 0;           // graph inputs made FLOAT16 (float32 data converts on the host)
  size_t constants = 0;             // float constants stored as FLOAT16
  std::vector<KeptFp32Node> kept;   // nodes kept in float32, in graph order
  bool ranges_checked = false;      // set by the caller's options.max_abs
  uint64_t activation_bytes_before = 0;  // every activation's bytes (static shapes)
  uint64_t activation_bytes_after = 0;
};

HalfActivationReport store_activations_fp16(graph::Graph& graph, const HalfActivationOptions& options);

// max |x| of every FLOAT32 activation but the graph inputs over `samples`,
// run on the Vulkan device in one session, holding one sample's captures at
// a time (-1 where not measured).
// `outputs`, when given, receives the graph outputs of each sample.
std::vector<float> activation_ranges(graph::Graph& graph, const std::vector<CalibrationSample>& samples,
                                     std::vector<std::vector<HostTensor>>* outputs = nullptr);

// The error of each graph output on `samples` against `reference` (the
// outputs of each sample from activation_ranges).
// Without calibration data: one sample of seeded N(0, 1) values for a graph
// whose inputs are all FLOAT32 (empty otherwise), so that activations that
// vanish or explode on any input still keep float32. An unknown dimension is
// 1 on the first axis (the batch) and 224 elsewhere.
std::vector<CalibrationSample> synthetic_sample(const graph::Graph& graph);

std::vector<OutputError> output_errors(graph::Graph& graph, const std::vector<CalibrationSample>& samples,
                                       const std::vector<std::vector<HostTensor>>& reference);

}  // namespace fennec::passes
