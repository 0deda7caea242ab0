// Calibration samples for `fennec convert --calibration DIR`.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"
#include "passes/calibration.h"

namespace fennec::cli {

// DIR holds either one .npy per sample (a model with one input), or one
// sub-folder per sample with <input name>.npy for every input (names
// sanitized as `fennec run` writes them: characters other than letters,
// digits, '-', '_' and '.' become '_'). Samples are taken in file-name order.
// Throws std::runtime_error naming the file and what is wrong.
std::vector<passes::CalibrationSample> read_calibration_dir(const std::string& dir, const graph::Graph& graph);

}  // namespace fennec::cli
