// The ONNX node tests on disk (<data>/<test>/model.onnx with
// test_data_set_0/{input,output}_N.pb) and what each one exercises: its
// primary op type, whether it is the `_expanded` form (the op written out as
// its function body), and every op type its graph uses (subgraphs included).
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace fennec::conformance {

struct TestCase {
  std::string name;              // directory name, e.g. "test_relu"
  std::filesystem::path dir;
  std::string op;                // primary op type, e.g. "Relu"
  bool expanded = false;
  std::set<std::string> op_types;  // every node's op type, subgraphs included
  std::string load_error;        // set when model.onnx could not be read
};

// The test directories under `data_dir` whose name matches `filter` (an
// ECMAScript regex searched in the name; empty matches all), sorted by name.
// Throws std::runtime_error when `data_dir` is not a directory or `filter`
// is not a valid regex.
std::vector<TestCase> discover_tests(const std::filesystem::path& data_dir, const std::string& filter);

// True when every op type of `test` is one of the op types of the project's
// target models.
bool uses_only_model_ops(const TestCase& test);

}  // namespace fennec::conformance
