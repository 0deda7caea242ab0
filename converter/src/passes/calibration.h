// Calibration: runs a converted graph on the Vulkan device over sample
// inputs and captures chosen intermediate tensors, so that the quantization
// report can compare each layer's output and the model's outputs with fp32.
// (Activation ranges for int8 activations come from the same captures.)
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace fennec::passes {

// One set of model inputs, in the order of graph.inputs.
using CalibrationSample = std::vector<HostTensor>;

// Values per sample: first the `watched` tensors in the order given, then the
// graph outputs. Runs one Vulkan session on the default device; the graph is
// left as it was. Throws ConvertError when the device or a run fails.
std::vector<std::vector<HostTensor>> run_capturing(graph::Graph& graph, const std::vector<int>& watched,
                                                   const std::vector<CalibrationSample>& samples);
// The same, handing each sample's values to `take` (sample index, values) as
// soon as it has run, so that only one sample's captures are held at a time.
void run_capturing(graph::Graph& graph, const std::vector<int>& watched, const std::vector<CalibrationSample>& samples,
                   const std::function<void(size_t, std::vector<HostTensor>)>& take);

// sum((a - b)^2) and sum(a^2) accumulated over tensors of equal shape.
struct ErrorSums {
  double error = 0.0, reference = 0.0, max_abs = 0.0, max_ref = 0.0;
  void add(const HostTensor& reference, const HostTensor& actual);
  void add(std::span<const float> reference, std::span<const float> actual);  // equal sizes
  double nmse() const { return reference > 0.0 ? error / reference : (error > 0.0 ? 1.0 : 0.0); }
};

}  // namespace fennec::passes
