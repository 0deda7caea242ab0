#include "conformance/run_case.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include "graph/graph.h"
#include "model/model_file.h"
#include "onnx/importer.h"
#include "onnx/tensor_proto.h"
#include "passes/convert_error.h"
#include "passes/pipeline.h"
#include "vulkan/session.h"
#include "writer/writer.h"

namespace fennec::conformance {
namespace {

// True when every node that reads `name` reads it in a parameter slot (Clip
// bounds, Resize roi/scales/sizes, Pad pads and fill value, Dropout ratio). Real models hold
// constants there; the node tests declare them as graph inputs, so they are
// bound as constants (as `fennec convert --input-value` does) instead of
// being fed at run time.
bool only_parameter_uses(const onnx::GraphProto& graph, const std::string& name) {
  static const std::map<std::string, std::set<int>> kParameterSlots = {
      {"Clip", {1, 2}}, {"Resize", {1, 2, 3}}, {"Upsample", {1}}, {"Pad", {1, 2, 3}},
      {"Dropout", {1, 2}}};
  bool used = false;
  for (const auto& node : graph.node())
    for (int slot = 0; slot < node.input_size(); ++slot) {
      if (node.input(slot) != name) continue;
      auto it = kParameterSlots.find(node.op_type());
      if (it == kParameterSlots.end() || !it->second.count(slot)) return false;
      used = true;
    }
  return used;
}

// The ONNX backend-test tolerance: |actual - expected| <= atol + rtol * |expected|.
constexpr double kRtol = 1e-3;
// ONNX's default atol is 1e-7. It is widened for float32 because the GPU's
// exp/log/tanh differ from the host's libm in the last bits, which exceeds
// 1e-7 absolute for results near zero; rtol still bounds larger values.
constexpr double kAtolFloat = 1e-5;

// A test-setup problem (missing or unreadable files): the test fails.
struct SetupError {
  std::string message;
};

std::string first_line(const std::string& s) {
  const size_t end = s.find('\n');
  return end == std::string::npos ? s : s.substr(0, end);
}

onnx::TensorProto read_tensor(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SetupError{"cannot open " + path.filename().string()};
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes)) throw SetupError{"cannot parse " + path.filename().string()};
  return proto;
}

// The paths of <prefix>_0.pb, <prefix>_1.pb, ... in `set_dir`.
std::vector<std::filesystem::path> data_files(const std::filesystem::path& set_dir, const char* prefix) {
  std::vector<std::filesystem::path> paths;
  for (int i = 0;; ++i) {
    auto path = set_dir / fmt::format("{}_{}.pb", prefix, i);
    if (!std::filesystem::exists(path)) break;
    paths.push_back(std::move(path));
  }
  return paths;
}

// The Fennec type that represents an ONNX type exactly (DOUBLE has none: the
// converter narrows it).
std::optional<DataType> exact_dtype(int onnx_type) {
  switch (onnx_type) {
    case onnx::TensorProto::FLOAT: return DataType::FLOAT32;
    case onnx::TensorProto::FLOAT16: return DataType::FLOAT16;
    case onnx::TensorProto::INT8: return DataType::INT8;
    case onnx::TensorProto::UINT8: return DataType::UINT8;
    case onnx::TensorProto::INT32: return DataType::INT32;
    case onnx::TensorProto::INT64: return DataType::INT64;
    case onnx::TensorProto::BOOL: return DataType::BOOL;
    default: return std::nullopt;
  }
}

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  const uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0) {
    const float v = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -v : v;
  }
  uint32_t bits = sign;
  if (exponent == 31) bits |= 0x7f800000u | (mantissa << 13);
  else bits |= ((exponent + 112) << 23) | (mantissa << 13);
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

std::vector<double> as_doubles(const HostTensor& t) {
  std::vector<double> v;
  if (t.dtype == DataType::FLOAT32)
    for (float x : t.as<float>()) v.push_back(x);
  else
    for (uint16_t x : t.as<uint16_t>()) v.push_back(half_to_float(x));
  return v;
}

// An empty string when `actual` matches `expected`, else what differs.
std::string compare(const onnx::TensorProto& expected_proto, const HostTensor& actual,
                    const std::filesystem::path& test_dir, size_t index) {
  const auto dtype = exact_dtype(expected_proto.data_type());
  if (!dtype || *dtype != actual.dtype)
    return fmt::format("output {} has dtype {}, expected {}", index, dtype_name(actual.dtype),
                       onnx_import::onnx_dtype_name(expected_proto.data_type()));
  const HostTensor expected = onnx_import::tensor_from_proto(expected_proto, test_dir, "reference output");
  if (expected.shape != actual.shape)
    return fmt::format("output {} has shape {}, expected {}", index, shape_to_string(actual.shape),
                       shape_to_string(expected.shape));
  if (expected.bytes.size() != actual.bytes.size())
    return fmt::format("output {} holds {} bytes, expected {}", index, actual.bytes.size(), expected.bytes.size());
  if (actual.dtype != DataType::FLOAT32 && actual.dtype != DataType::FLOAT16) {
    // Integers and booleans must match exactly.
    const size_t size = dtype_size(actual.dtype);
    for (size_t i = 0; i * size < actual.bytes.size(); ++i)
      if (std::memcmp(actual.bytes.data() + i * size, expected.bytes.data() + i * size, size) != 0)
        return fmt::format("output {} differs at element {} ({})", index, i, dtype_name(actual.dtype));
    return {};
  }
  const std::vector<double> e = as_doubles(expected), a = as_doubles(actual);
  size_t mismatches = 0, first = 0;
  double worst = 0.0;
  for (size_t i = 0; i < e.size(); ++i) {
    if (e[i] == a[i] || (std::isnan(e[i]) && std::isnan(a[i]))) continue;
    const double diff = std::fabs(a[i] - e[i]);
    if (std::isfinite(diff) && diff <= kAtolFloat + kRtol * std::fabs(e[i])) continue;
    if (mismatches++ == 0) first = i;
    if (!(diff <= worst)) worst = diff;
  }
  if (mismatches == 0) return {};
  return fmt::format("output {}: {} of {} elements out of tolerance; first at {}: got {}, expected {}; "
                     "max |diff| {}",
                     index, mismatches, e.size(), first, a[first], e[first], worst);
}

CaseResult rejected(const std::string& why) { return {Outcome::kRejected, first_line(why)}; }
CaseResult failed(const std::string& why) { return {Outcome::kFailed, first_line(why)}; }

CaseResult run_case_or_throw(vulkan::Context& context, const std::filesystem::path& test_dir,
                             const std::filesystem::path& scratch_dir) {
  onnx::ModelProto model;
  {
    std::ifstream in(test_dir / "model.onnx", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) return failed("cannot read model.onnx");
    if (!model.ParseFromString(bytes)) return failed("cannot parse model.onnx");
  }
  const auto set_dir = test_dir / "test_data_set_0";
  const auto input_files = data_files(set_dir, "input");
  const auto output_files = data_files(set_dir, "output");

  // Graph inputs that are not initializers pair with input_N.pb in order.
  std::vector<const onnx::ValueInfoProto*> inputs;
  {
    std::set<std::string> initializers;
    for (const auto& init : model.graph().initializer()) initializers.insert(init.name());
    for (const auto& input : model.graph().input())
      if (!initializers.count(input.name())) inputs.push_back(&input);
  }
  if (inputs.size() != input_files.size())
    return failed(fmt::format("the graph has {} inputs, the test data {}", inputs.size(), input_files.size()));
  if (static_cast<size_t>(model.graph().output_size()) != output_files.size())
    return failed(fmt::format("the graph has {} outputs, the test data {}", model.graph().output_size(),
                              output_files.size()));

  onnx_import::ImportOptions options;
  std::map<std::string, HostTensor> feeds;
  try {
    for (size_t i = 0; i < inputs.size(); ++i) {
      const std::string& name = inputs[i]->name();
      // Sequence and optional inputs are stored as other protos; the
      // importer rejects such inputs by their declared type.
      if (!inputs[i]->type().has_tensor_type()) continue;
      const onnx::TensorProto proto = read_tensor(input_files[i]);
      HostTensor value = onnx_import::tensor_from_proto(proto, test_dir, "test input '" + name + "'");
      if (proto.data_type() == onnx::TensorProto::FLOAT && !only_parameter_uses(model.graph(), name)) {
        options.input_shapes[name] = value.shape;
        feeds.emplace(name, std::move(value));
      } else {
        options.constant_inputs.emplace(name, std::move(value));
      }
    }
  } catch (const converter::ConvertError& e) {
    return rejected(e.what());
  }

  // The converter: import, passes, writer.
  const auto model_path = scratch_dir / "model.fennec";
  try {
    onnx_import::ImportResult imported = onnx_import::import_model(model, test_dir, options);
    passes::run_passes(imported.graph);
    writer::write_model_file(imported.graph, model_path, writer::WriteOptions{});
  } catch (const converter::ConvertError& e) {
    return rejected(e.what());
  }

  // The runtime, loading the file the way fennec_model_load does.
  auto file = model::ModelFile::open(model_path.string());
  if (!file.ok()) return failed("loading the .fennec file: " + file.status().to_string());
  auto graph = file.value()->to_graph();
  if (!graph.ok()) return failed("building the runtime graph: " + graph.status().to_string());
  const graph::Graph& g = graph.value();

  auto session = vulkan::Session::create(context, g, {});
  if (!session.ok()) {
    if (session.status().code() == StatusCode::kUnsupported) return rejected(session.status().message());
    return failed("creating the session: " + session.status().to_string());
  }
  std::vector<vulkan::InputView> views;
  for (int input : g.inputs) {
    const std::string& name = g.tensors[static_cast<size_t>(input)].name;
    auto feed = feeds.find(name);
    if (feed == feeds.end()) return failed("the converted model has an input '" + name + "' the test does not feed");
    const HostTensor& t = feed->second;
    views.push_back({t.dtype, t.shape, t.bytes.data(), t.bytes.size()});
  }
  Status run = session.value()->run(views);
  if (!run.ok()) return failed("run: " + run.to_string());
  const auto& outputs = session.value()->outputs();
  if (outputs.size() != output_files.size())
    return failed(fmt::format("the model gives {} outputs, the test expects {}", outputs.size(), output_files.size()));
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (!model.graph().output(static_cast<int>(i)).type().has_tensor_type())
      return failed(fmt::format("output {} is declared as a sequence, map or optional, "
                                "but the converted model gives a tensor", i));
    std::string diff = compare(read_tensor(output_files[i]), outputs[i], test_dir, i);
    if (!diff.empty()) return failed(diff);
  }
  return {Outcome::kPassed, {}};
}

}  // namespace

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPassed: return "passed";
    case Outcome::kRejected: return "rejected";
    case Outcome::kFailed: return "failed";
  }
  return "?";
}

CaseResult run_case(vulkan::Context& context, const std::filesystem::path& test_dir,
                    const std::filesystem::path& scratch_dir) {
  try {
    return run_case_or_throw(context, test_dir, scratch_dir);
  } catch (const SetupError& e) {
    return failed("test data: " + e.message);
  } catch (const converter::ConvertError& e) {
    // Outside the converter call (reading the reference outputs).
    return failed(std::string("reference data: ") + e.what());
  } catch (const std::exception& e) {
    return failed(std::string("exception: ") + e.what());
  } catch (...) {
    return failed("unknown exception");
  }
}

}  // namespace fennec::conformance
