#include "passes/calibration.h"

#include <algorithm>
#include <cmath>

#include "passes/convert_error.h"
#include "vulkan/context.h"
#include "vulkan/session.h"

namespace fennec::passes {

std::vector<std::vector<HostTensor>> run_capturing(graph::Graph& graph, const std::vector<int>& watched,
                                                   const std::vector<CalibrationSample>& samples) {
  std::vector<std::vector<HostTensor>> values;
  run_capturing(graph, watched, samples, [&](size_t, std::vector<HostTensor> v) { values.push_back(std::move(v)); });
  return values;
}

void run_capturing(graph::Graph& graph, const std::vector<int>& watched, const std::vector<CalibrationSample>& samples,
                   const std::function<void(size_t, std::vector<HostTensor>)>& take) {
  auto context = vulkan::Context::create({});
  if (!context.ok()) throw converter::ConvertError("calibration: " + context.status().to_string());
  // Watched tensors become extra graph outputs for the session's lifetime;
  // the session keeps them alive to the end instead of reusing their memory.
  const std::vector<int> outputs = graph.outputs;
  graph.outputs = watched;
  graph.outputs.insert(graph.outputs.end(), outputs.begin(), outputs.end());
  try {
    auto session = vulkan::Session::create(*context.value(), graph, {});
    if (!session.ok()) throw converter::ConvertError("calibration: " + session.status().to_string());
    for (size_t s = 0; s < samples.size(); ++s) {
      std::vector<vulkan::InputView> feeds;
      for (const HostTensor& t : samples[s]) feeds.push_back({t.dtype, t.shape, t.bytes.data(), t.bytes.size()});
      const Status status = session.value()->run(feeds);
      if (!status.ok())
        throw converter::ConvertError("calibration sample " + std::to_string(s + 1) + ": " + status.to_string());
      take(s, session.value()->outputs());
    }
  } catch (...) {
    graph.outputs = outputs;
    throw;
  }
  graph.outputs = outputs;
}

void ErrorSums::add(const HostTensor& ref, const HostTensor& actual) {
  if (ref.shape != actual.shape || ref.dtype != DataType::FLOAT32 || actual.dtype != DataType::FLOAT32)
    throw converter::ConvertError("calibration: compared tensors differ in shape or type (" +
                                  shape_to_string(ref.shape) + " vs " + shape_to_string(actual.shape) + ")");
  add(ref.as<float>(), actual.as<float>());
}

void ErrorSums::add(std::span<const float> r, std::span<const float> a) {
  for (size_t i = 0; i < r.size(); ++i) {
    const double d = static_cast<double>(r[i]) - static_cast<double>(a[i]);
    error += d * d;
    reference += static_cast<double>(r[i]) * r[i];
    max_abs = std::max(max_abs, std::fabs(d));
    max_ref = std::max(max_ref, std::fabs(static_cast<double>(r[i])));
  }
}

}  // namespace fennec::passes
