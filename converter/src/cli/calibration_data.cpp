#include "cli/calibration_data.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "cli/npy.h"

namespace fennec::cli {
namespace {

namespace fs = std::filesystem;

HostTensor load(const fs::path& path, const graph::TensorInfo& input) {
  const NpyArray array = read_npy(path.string());
  if (array.dtype != FENNEC_FLOAT32)
    throw std::runtime_error("--calibration: '" + path.string() + "' is not float32 (input '" + input.name + "')");
  const Shape shape(array.shape.begin(), array.shape.end());
  bool fits = shape.size() == input.shape.size();
  for (size_t i = 0; fits && i < shape.size(); ++i) fits = input.shape[i] < 0 || input.shape[i] == shape[i];
  if (!fits)
    throw std::runtime_error("--calibration: '" + path.string() + "' has shape " + shape_to_string(shape) +
                             ", input '" + input.name + "' is " + shape_to_string(input.shape));
  HostTensor t(DataType::FLOAT32, shape);
  t.bytes = array.data;
  return t;
}

}  // namespace

std::vector<passes::CalibrationSample> read_calibration_dir(const std::string& dir, const graph::Graph& graph) {
  if (!fs::is_directory(dir)) throw std::runtime_error("--calibration: '" + dir + "' is not a folder");
  std::vector<fs::path> files, folders;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_directory()) folders.push_back(entry.path());
    else if (entry.path().extension() == ".npy") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::sort(folders.begin(), folders.end());
  std::vector<passes::CalibrationSample> samples;
  if (!files.empty()) {
    if (graph.inputs.size() != 1)
      throw std::runtime_error("--calibration: the model has " + std::to_string(graph.inputs.size()) +
                               " inputs; give one sub-folder per sample with <input>.npy files");
    for (const fs::path& f : files) samples.push_back({load(f, graph.tensors[static_cast<size_t>(graph.inputs[0])])});
  } else {
    for (const fs::path& folder : folders) {
      passes::CalibrationSample sample;
      for (int in : graph.inputs) {
        const graph::TensorInfo& info = graph.tensors[static_cast<size_t>(in)];
        const fs::path f = folder / npy_file_name(info.name);
        if (!fs::exists(f)) throw std::runtime_error("--calibration: " + f.string() + " is missing");
        sample.push_back(load(f, info));
      }
      samples.push_back(std::move(sample));
    }
  }
  if (samples.empty()) throw std::runtime_error("--calibration: no .npy samples in '" + dir + "'");
  return samples;
}

}  // namespace fennec::cli
