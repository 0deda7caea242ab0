#include "conformance/test_case.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <stdexcept>

#include <onnx/onnx_pb.h>

namespace fennec::conformance {
namespace {

// The op types used by the project's target models (PaddleOCR, BlazeFace,
// Silero VAD, the torchvision CNNs).
const std::set<std::string> kModelOps = {
    "Add", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat", "Constant", "Conv",
    "ConvTranspose", "Div", "GlobalAveragePool", "HardSigmoid", "HardSwish", "MatMul", "Mul",
    "Pow", "ReduceMean", "Relu", "Reshape", "Shape", "Sigmoid", "Slice", "Softmax", "Sqrt",
    "Squeeze", "Sub", "Transpose", "MaxPool", "ConstantOfShape", "Resize", "Gather", "Equal",
    "If", "LSTM", "Not", "Pad", "Size", "Unsqueeze", "Identity", "Gemm", "Flatten", "Split",
    "Dropout"};

void collect_op_types(const onnx::GraphProto& graph, std::set<std::string>& types,
                      std::vector<std::string>& top_level, bool top) {
  for (const onnx::NodeProto& node : graph.node()) {
    types.insert(node.op_type());
    if (top) top_level.push_back(node.op_type());
    for (const onnx::AttributeProto& attr : node.attribute()) {
      if (attr.has_g()) collect_op_types(attr.g(), types, top_level, false);
      for (const onnx::GraphProto& g : attr.graphs()) collect_op_types(g, types, top_level, false);
    }
  }
}

// "ReduceLogSumExp" and "reduce_log_sum_exp" both become "reducelogsumexp".
std::string squash(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c != '_') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The test name without "test_" and without the "_expanded[_verN]" suffix.
std::string base_name(const std::string& name, bool* expanded) {
  static const std::regex kExpanded("_expanded(_ver[0-9]+)?$");
  std::smatch m;
  *expanded = std::regex_search(name, m, kExpanded);
  return *expanded ? name.substr(0, static_cast<size_t>(m.position(0))) : name;
}

// The candidate whose squashed name is the longest prefix of the squashed
// test name ("maxpool_2d" picks MaxPool over Max), or "".
std::string match_by_name(const std::string& test_base, const std::vector<std::string>& candidates) {
  std::string stem = test_base.rfind("test_", 0) == 0 ? test_base.substr(5) : test_base;
  stem = squash(stem);
  std::string best;
  for (const std::string& c : candidates) {
    const std::string s = squash(c);
    if (!s.empty() && stem.rfind(s, 0) == 0 && s.size() > squash(best).size()) best = c;
  }
  return best;
}

bool read_model(const std::filesystem::path& path, onnx::ModelProto& model) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return model.ParseFromString(bytes);
}

}  // namespace

std::vector<TestCase> discover_tests(const std::filesystem::path& data_dir, const std::string& filter) {
  if (!std::filesystem::is_directory(data_dir))
    throw std::runtime_error("test data directory '" + data_dir.string() +
                             "' does not exist (install libonnx-testdata: scripts/setup-deps.sh)");
  std::regex pattern;
  try {
    pattern = std::regex(filter.empty() ? std::string(".*") : filter);
  } catch (const std::regex_error& e) {
    throw std::runtime_error("invalid filter regex '" + filter + "': " + e.what());
  }
  std::vector<TestCase> tests;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir)) {
    if (!entry.is_directory() || !std::filesystem::exists(entry.path() / "model.onnx")) continue;
    const std::string name = entry.path().filename().string();
    if (!std::regex_search(name, pattern)) continue;
    TestCase test;
    test.name = name;
    test.dir = entry.path();
    tests.push_back(std::move(test));
  }
  std::sort(tests.begin(), tests.end(), [](const TestCase& a, const TestCase& b) { return a.name < b.name; });

  // Op types of the plain (not expanded) tests, to name the op of their
  // expanded siblings, whose graphs hold only the function body.
  std::map<std::string, std::vector<std::string>> top_level_ops;
  for (TestCase& test : tests) {
    onnx::ModelProto model;
    if (!read_model(test.dir / "model.onnx", model)) {
      test.load_error = "cannot read or parse model.onnx";
      continue;
    }
    std::vector<std::string> top;
    collect_op_types(model.graph(), test.op_types, top, true);
    top_level_ops[test.name] = top;
  }
  for (TestCase& test : tests) {
    const std::string base = base_name(test.name, &test.expanded);
    std::vector<std::string> candidates;
    if (test.expanded) {
      auto sibling = top_level_ops.find(base);
      if (sibling == top_level_ops.end()) {
        // The plain test may be filtered out; read it directly.
        onnx::ModelProto model;
        std::set<std::string> ignored;
        std::vector<std::string> top;
        if (read_model(test.dir.parent_path() / base / "model.onnx", model))
          collect_op_types(model.graph(), ignored, top, true);
        sibling = top_level_ops.emplace(base, top).first;
      }
      candidates = sibling->second;
    }
    const auto& own = top_level_ops[test.name];
    candidates.insert(candidates.end(), own.begin(), own.end());
    test.op = match_by_name(base, candidates);
    if (test.op.empty() && test.expanded && !top_level_ops[base].empty()) test.op = top_level_ops[base].front();
    if (test.op.empty() && !own.empty()) test.op = own.back();
    if (test.op.empty()) test.op = "(none)";
  }
  return tests;
}

bool uses_only_model_ops(const TestCase& test) {
  if (!test.load_error.empty() || test.op_types.empty()) return false;
  return std::all_of(test.op_types.begin(), test.op_types.end(),
                     [](const std::string& t) { return kModelOps.count(t) > 0; });
}

}  // namespace fennec::conformance
