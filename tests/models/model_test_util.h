// Shared pieces of the end-to-end model tests: running the fennec tool and
// node, .npy files, onnxruntime references cached by input content, and
// output comparison.
//
// Environment: FENNEC_MODELS_DIR (the fetch cache; scripts/test.sh sets it),
// FENNEC_CLI (the fennec tool; CTest sets it), FENNEC_SOURCE_DIR (the
// repository, for scripts/ort-reference.js; CTest sets it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace fennec::model_test {

namespace fs = std::filesystem;

struct Command {
  int status = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command, capturing its output; status 128+N for signal N.
Command run_command(const std::string& command);
// Single-quotes `s` for the shell.
std::string quote(const std::string& s);
std::string env(const char* name);
// FNV-1a of a file's bytes, as 16 hex digits.
std::string file_hash(const fs::path& path);

struct Npy {
  std::vector<int64_t> shape;
  std::vector<float> data;
};
// Reads a little-endian float32 C-order .npy; REQUIREs that it is one.
Npy read_npy(const fs::path& path);
void write_npy(const fs::path& path, const Npy& npy);
// An int64 .npy (for integer model inputs such as a sample rate).
void write_npy_int64(const fs::path& path, const std::vector<int64_t>& shape,
                     const std::vector<int64_t>& values);

// Paths every model test needs; REQUIREs with a message saying how to set
// up what is missing. `work` is a per-run scratch folder under the build.
struct Tools {
  fs::path cli, models, source, ort_script, references, work;
};
const Tools& tools();

// onnxruntime's outputs for `onnx` on `inputs` ("name=file.npy"), cached in
// tools().references by the hash of the model name and the inputs; returns
// the folder holding one <output>.npy per model output.
fs::path ort_reference(const fs::path& onnx, const std::vector<std::string>& inputs);

struct Comparison {
  bool shape_match = false;
  double max_abs = 0.0;      // max |expected - actual|
  double max_ref = 0.0;      // max |expected|
  double nmse = 0.0;
  size_t not_finite = 0;     // elements where either side is NaN/Inf
  int64_t argmax_expected = -1, argmax_actual = -1;  // over the last axis of row 0
};
Comparison compare(const Npy& expected, const Npy& actual);

}  // namespace fennec::model_test
