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
  std::vector<std::string> reference_only;  // "name=file.npy" fed to onnxruntime only
                                            // (inputs fixed at conversion)
  bool classifier = false;
  int calls = 1;                            // consecutive runs of one session
  std::vector<std::pair<std::string, std::string>> recurrent;  // input <- previous output
};

Npy random_npy(const Input& in, uint32_t seed) {
  Npy npy;
  npy.shape = in.shape;
  size_t count = 1;
  for (int64_t d : in.shape) count *= static_cast<size_t>(d);
  npy.data.assign(count, in.lo);
  if (in.hi <= in.lo) return npy;  // a constant input (such as a zero state)
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(in.lo, in.hi);
  for (float& v : npy.data) v = dist(rng);
  return npy;
}

std::string sanitize(const std::string& name) {
  std::string out;
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  return out;
}

struct Converted {
  fs::path dir, model;
  double seconds = 0.0;
};

Converted convert(const Case& c) {
  const Tools& t = tools();
  REQUIRE_MESSAGE(fs::exists(c.onnx), c.onnx << " is missing: run scripts/fetch-models.sh " << t.models);
  Converted out;
  out.dir = t.work / ("zoo_" + sanitize(c.label));
  fs::remove_all(out.dir);
  fs::create_directories(out.dir);
  out.model = out.dir / "model.fennec";
  std::string flags;
  for (const std::string& f : c.convert_flags) {
    flags += ' ';
    flags += quote(f);
  }
  const auto start = std::chrono::steady_clock::now();
  const Command cmd = run_command(quote(t.cli) + " convert " + quote(c.onnx) + " -o " + quote(out.model) + flags);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO("fennec convert output:\n" << cmd.output);
  REQUIRE_MESSAGE(cmd.status == 0, "fennec convert failed for " << c.label);
  return out;
}

// Runs the model on `feeds` ("name=file.npy") and compares every output with
// the reference; returns `fennec run --json`'s report and the worst relative
// error through `worst`.
nlohmann::json run_and_compare(const Case& c, const Converted& m, const std::vector<std::string>& feeds,
                               const fs::path& out_dir, double& worst) {
  const Tools& t = tools();
  std::string args;
  for (const std::string& f : feeds) {
    args += " --input ";
    args += quote(f);
  }
  fs::remove_all(out_dir);
  const Command run = run_command(quote(t.cli) + " run " + quote(m.model) + args + " --json --output-dir " + quote(out_dir));
  INFO("fennec run output:\n" << run.output);
  REQUIRE_MESSAGE(run.status == 0, "fennec run failed for " << c.label);
  const auto report = nlohmann::json::parse(run.output.substr(run.output.find('{')));

  std::vector<std::pair<std::string, fs::path>> expected;  // output file name -> reference
  if (!c.torch_reference.empty()) {
    REQUIRE(report["outputs"].size() == 1);
    expected.emplace_back(fs::path(report["outputs"][0]["file"].get<std::string>()).filename().string(),
                          c.torch_reference);
  } else {
    std::vector<std::string> ort_feeds = feeds;
    ort_feeds.insert(ort_feeds.end(), c.reference_only.begin(), c.reference_only.end());
    const fs::path ref_dir = ort_reference(c.onnx, ort_feeds);
    for (const auto& output : report["outputs"]) {
      const std::string file = fs::path(output["file"].get<std::string>()).filename().string();
      expected.emplace_back(file, ref_dir / file);
    }
  }
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
  return report;
}

void run_case(const Case& c) {
  const Converted m = convert(c);
  std::vector<std::string> feeds = c.given;
  uint32_t seed = 7;
  for (const Input& in : c.inputs) {
    const fs::path path = m.dir / (sanitize(in.name) + ".npy");
    write_npy(path, random_npy(in, seed++));
    feeds.push_back(in.name + "=" + path.string());
  }
  double worst = 0.0;
  nlohmann::json report;
  for (int call = 0; call < c.calls; ++call) {
    const fs::path out_dir = m.dir / ("outputs" + std::to_string(call));
    report = run_and_compare(c, m, feeds, out_dir, worst);
    // A stateful model: this call's state outputs are the next call's inputs.
    for (const auto& [input, output] : c.recurrent)
      for (std::string& f : feeds)
        if (f.rfind(input + "=", 0) == 0) f = input + "=" + (out_dir / (sanitize(output) + ".npy")).string();
  }
  std::printf("[zoo] %-34s convert %.2f s, file %llu B, latency %.1f ms, peak device %llu B, "
              "max err / max |ref| %.2e\n",
              c.label.c_str(), m.seconds, static_cast<unsigned long long>(fs::file_size(m.model)),
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

Case ocr_case(const std::string& label, const std::string& file, std::vector<int64_t> shape, bool classifier) {
  Case c;
  c.label = label;
  c.onnx = tools().models / "ocr-models" / "assets" / file;
  c.inputs = {{"x", std::move(shape), -1.0f, 1.0f}};
  c.classifier = classifier;
  return c;
}

TEST_SUITE("models") {
  TEST_CASE("zoo: PaddleOCR v4 recognition and the direction classifier match onnxruntime") {
    SUBCASE("rec 48x320") { run_case(ocr_case("PP-OCRv4 rec 1x3x48x320", "ch_PP-OCRv4_rec_infer.onnx", {1, 3, 48, 320}, false)); }
    SUBCASE("rec 48x160") { run_case(ocr_case("PP-OCRv4 rec 1x3x48x160", "ch_PP-OCRv4_rec_infer.onnx", {1, 3, 48, 160}, false)); }
    SUBCASE("cls 1x48x192") { run_case(ocr_case("PP-OCR cls 1x3x48x192", "ch_ppocr_mobile_v2.0_cls_infer.onnx", {1, 3, 48, 192}, true)); }
    SUBCASE("cls 3x48x160") { run_case(ocr_case("PP-OCR cls 3x3x48x160", "ch_ppocr_mobile_v2.0_cls_infer.onnx", {3, 3, 48, 160}, true)); }
  }

  TEST_CASE("zoo: BlazeFace (NHWC, tf2onnx) matches onnxruntime") {
    Case c;
    c.label = "BlazeFace front 128x128";
    c.onnx = tools().models / "blazeface" / "ONNX" / "face_detection_front_128x128_barracuda.onnx";
    c.inputs = {{"input:0", {1, 128, 128, 3}, -1.0f, 1.0f}};
    run_case(c);
  }

  TEST_CASE("zoo: Silero VAD, state fed back across calls, matches onnxruntime") {
    // The 16 kHz model takes chunks of exactly 512 samples (it squeezes its
    // one-frame time axis through If nodes on the shape), so the sequence is
    // fixed at conversion and the batch is the dimension that varies.
    for (int64_t batch : {1, 2}) {
      SUBCASE(("silero batch " + std::to_string(batch)).c_str()) {
        Case c;
        c.label = "Silero VAD 16k " + std::to_string(batch) + "x512";
        c.onnx = tools().models / "silero-vad" / "weights" / "silero_vad_16k_op15.onnx";
        const fs::path sr = tools().work / "silero_sr.npy";
        write_npy_int64(sr, {}, {16000});
        c.convert_flags = {"--fix-dim", "batch=" + std::to_string(batch), "--fix-dim", "sequence=512",
                           "--input-value", "sr=" + sr.string()};
        c.reference_only = {"sr=" + sr.string()};
        c.inputs = {{"input", {batch, 512}, -0.5f, 0.5f}, {"state", {2, batch, 128}, 0.0f, 0.0f}};
        c.calls = 3;
        c.recurrent = {{"state", "stateN"}};
        run_case(c);
      }
    }
  }

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
