// The model zoo end to end: each model converted with `fennec convert`, run
// with `fennec run` on the default Vulkan device, and compared with its
// reference — torch itself for the torchvision exports
// (scripts/export-torchvision.py), onnxruntime for the npm-fetched models —
// at two input sizes where the model has dynamic dims.
// Bound: max |error| <= 1e-3 x max |reference| per output, and the same
// argmax for classifiers. Each case prints conversion time, file size,
// latency and peak device memory for the notes.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "models/model_test_util.h"

namespace fennec::model_test {
namespace {

constexpr double kRelativeBound = 1e-3;

struct Input {
  std::string name;
  std::vector<int64_t> shape;
  float lo = -1.0f, hi = 1.0f;
};

struct Case {
  std::string label;
  fs::path onnx;
  std::vector<std::string> convert_flags;
  std::vector<Input> inputs;           // seeded uniform values
  std::vector<std::string> given;      // or "name=file.npy" made elsewhere
  fs::path torch_reference;            // one-output torch reference (else onnxruntime)
  bool classifier = false;
};

Npy random_npy(const Input& in, uint32_t seed) {
  Npy npy;
  npy.shape = in.shape;
  size_t count = 1;
  for (int64_t d : in.shape) count *= static_cast<size_t>(d);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(in.lo, in.hi);
  npy.data.resize(count);
  for (float& v : npy.data) v = dist(rng);
  return npy;
}

std::string sanitize(const std::string& name) {
  std::string out;
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  return out;
}

void run_case(const Case& c) {
  const Tools& t = tools();
  REQUIRE_MESSAGE(fs::exists(c.onnx), c.onnx << " is missing: run scripts/fetch-models.sh " << t.models);
  const fs::path dir = t.work / ("zoo_" + sanitize(c.label));
  fs::remove_all(dir);
  fs::create_directories(dir);

  const fs::path model = dir / "model.fennec";
  std::string flags;
  for (const std::string& f : c.convert_flags) {
    flags += ' ';
    flags += quote(f);
  }
  const auto start = std::chrono::steady_clock::now();
  const Command convert = run_command(quote(t.cli) + " convert " + quote(c.onnx) + " -o " + quote(model) + flags);
  const double convert_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO("fennec convert output:\n" << convert.output);
  REQUIRE_MESSAGE(convert.status == 0, "fennec convert failed for " << c.label);

  std::vector<std::string> feeds = c.given;
  uint32_t seed = 7;
  for (const Input& in : c.inputs) {
    const fs::path path = dir / (sanitize(in.name) + ".npy");
    write_npy(path, random_npy(in, seed++));
    feeds.push_back(in.name + "=" + path.string());
  }
  std::string args;
  for (const std::string& f : feeds) {
    args += " --input ";
    args += quote(f);
  }
  const fs::path out_dir = dir / "outputs";
  const Command run = run_command(quote(t.cli) + " run " + quote(model) + args + " --json --output-dir " + quote(out_dir));
  INFO("fennec run output:\n" << run.output);
  REQUIRE_MESSAGE(run.status == 0, "fennec run failed for " << c.label);
  const auto report = nlohmann::json::parse(run.output.substr(run.output.find('{')));

  std::vector<std::pair<std::string, fs::path>> expected;  // output file name -> reference
  if (!c.torch_reference.empty()) {
    REQUIRE(report["outputs"].size() == 1);
    expected.emplace_back(fs::path(report["outputs"][0]["file"].get<std::string>()).filename().string(),
                          c.torch_reference);
  } else {
    const fs::path ref_dir = ort_reference(c.onnx, feeds);
    for (const auto& output : report["outputs"]) {
      const std::string file = fs::path(output["file"].get<std::string>()).filename().string();
      expected.emplace_back(file, ref_dir / file);
    }
  }
  double worst = 0.0;
  for (const auto& [file, ref] : expected) {
    INFO(c.label << " output " << file);
    REQUIRE_MESSAGE(fs::exists(ref), "no reference " << ref);
    const Comparison cmp = compare(read_npy(ref), read_npy(out_dir / file));
    REQUIRE(cmp.shape_match);
    CHECK(cmp.not_finite == 0);
    const double relative = cmp.max_ref > 0 ? cmp.max_abs / cmp.max_ref : cmp.max_abs;
    worst = std::max(worst, relative);
    CHECK_MESSAGE(relative <= kRelativeBound, "max abs " << cmp.max_abs << " vs max |ref| " << cmp.max_ref);
    if (c.classifier) CHECK(cmp.argmax_actual == cmp.argmax_expected);
  }
  std::printf("[zoo] %-34s convert %.2f s, file %llu B, latency %.1f ms, peak device %llu B, "
              "max err / max |ref| %.2e\n",
              c.label.c_str(), convert_s, static_cast<unsigned long long>(fs::file_size(model)),
              report["latency_ms"].get<double>(),
              static_cast<unsigned long long>(report["memory"]["peak_device_bytes"].get<uint64_t>()), worst);
}

Case torchvision_case(const std::string& arch, int h, int w) {
  const fs::path dir = tools().models / "torchvision";
  const std::string size = std::to_string(h) + "x" + std::to_string(w);
  Case c;
  c.label = arch + " " + size;
  c.onnx = dir / (arch + ".onnx");
  c.given = {"input=" + (dir / (arch + "_" + size + "_input.npy")).string()};
  c.torch_reference = dir / (arch + "_" + size + "_torch.npy");
  c.classifier = true;
  return c;
}

}  // namespace

TEST_SUITE("models") {
  TEST_CASE("zoo: torchvision classifiers match torch at two input sizes") {
    for (const char* arch : {"resnet18", "mobilenet_v2", "mobilenet_v3_small", "squeezenet1_1",
                             "shufflenet_v2_x1_0", "efficientnet_b0"})
      for (auto [h, w] : {std::pair{224, 224}, std::pair{160, 192}}) {
        SUBCASE((std::string(arch) + " " + std::to_string(h) + "x" + std::to_string(w)).c_str()) {
          run_case(torchvision_case(arch, h, w));
        }
      }
  }
}

}  // namespace fennec::model_test
