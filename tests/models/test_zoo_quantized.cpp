// Silero VAD under int8 (its LSTM's W and R in one int8 matrix, in groups of
// 32 so that each keeps its own scales), against its
// fp32 conversion on one call.
// Quantized torchvision classifiers (trained on handwritten digits by
// scripts/export-torchvision.py): each architecture converted in fp32 and with
// --quantize fp16 / int8 / fp8 / int4, run on the 16 held-out digits of the
// export's test batch, and compared with the fp32 conversion's outputs on the
// same batch. Printed per scheme: top-1 agreement with fp32 and with the true
// labels, output NMSE, the weight section's size against fp32. Checked: fp32
// reads at least 12 of the 16 digits right (so the logits are decided, not the
// near-ties of random weights); top-1 agrees with fp32 on >= 15/16 for fp16,
// int8 and fp8, and on >= 12/16 for int4; the NMSE bound of each scheme; the
// size bounds (fp16 <= 0.52x, int8 <= 0.27x, fp8 <= 0.28x, int4 <= 0.16x).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <vector>

#include "model/model_file.h"
#include "models/model_test_util.h"

namespace fennec::model_test {
namespace {

constexpr int kBatch = 16;

struct Run {
  Npy output;
  uint64_t weight_bytes = 0;
};

uint64_t weight_section_bytes(const fs::path& model) {
  auto file = model::ModelFile::open(model.string());
  REQUIRE_MESSAGE(file.ok(), file.status().to_string());
  return file.value()->weights().size();
}

Run convert_and_run(const fs::path& onnx, const std::string& scheme, const fs::path& input, const fs::path& dir,
                    const fs::path& calibration = {}) {
  const Tools& t = tools();
  const fs::path model = dir / (scheme + ".fennec");
  std::string flags = scheme == "fp32" ? "" : " --quantize " + scheme;
  if (!calibration.empty()) flags += " --calibration " + quote(calibration);
  const Command convert = run_command(quote(t.cli) + " convert " + quote(onnx) + " -o " + quote(model) + flags);
  INFO("fennec convert output:\n" << convert.output);
  REQUIRE_MESSAGE(convert.status == 0, "fennec convert " << scheme << " failed");
  const fs::path out_dir = dir / ("out_" + scheme);
  fs::remove_all(out_dir);
  const Command run = run_command(quote(t.cli) + " run " + quote(model) + " --input input=" + quote(input) +
                                  " --output-dir " + quote(out_dir));
  INFO("fennec run output:\n" << run.output);
  REQUIRE_MESSAGE(run.status == 0, "fennec run " << scheme << " failed");
  std::vector<fs::path> outputs;
  for (const auto& entry : fs::directory_iterator(out_dir)) outputs.push_back(entry.path());
  REQUIRE(outputs.size() == 1);
  return {read_npy(outputs[0]), weight_section_bytes(model)};
}

// Each row's top-1 class.
std::vector<int> top1(const Npy& npy) {
  const size_t classes = static_cast<size_t>(npy.shape.back());
  std::vector<int> classes_of(npy.data.size() / classes);
  for (size_t row = 0; row < classes_of.size(); ++row) {
    const auto begin = npy.data.begin() + static_cast<long>(row * classes);
    classes_of[row] = static_cast<int>(std::max_element(begin, begin + static_cast<long>(classes)) - begin);
  }
  return classes_of;
}

int matching(const std::vector<int>& a, const std::vector<int>& b) {
  int n = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) n += a[i] == b[i];
  return n;
}

void check_architecture(const std::string& arch) {
  const Tools& t = tools();
  const fs::path onnx = t.models / "torchvision" / (arch + ".onnx");
  REQUIRE_MESSAGE(fs::exists(onnx), onnx << " is missing: run scripts/fetch-models.sh " << t.models);
  const fs::path dir = t.work / ("quantized_" + arch);
  fs::remove_all(dir);
  fs::create_directories(dir);

  const fs::path digits = t.models / "torchvision";
  const fs::path input_path = digits / "digits_test.npy";
  const Npy label_npy = read_npy(digits / "digits_test_labels.npy");
  REQUIRE(label_npy.data.size() == static_cast<size_t>(kBatch));
  const std::vector<int> labels(label_npy.data.begin(), label_npy.data.end());
  // Calibration data (8 other held-out digits): int8, fp8 and int4 weights
  // are rounded by GPTQ on it.
  const fs::path calibration = dir / "calibration";
  fs::create_directories(calibration);
  fs::copy_file(digits / "digits_calibration.npy", calibration / "000.npy");

  const Run fp32 = convert_and_run(onnx, "fp32", input_path, dir);
  REQUIRE(fp32.output.shape.size() == 2);
  REQUIRE(fp32.output.shape[0] == kBatch);
  const std::vector<int> fp32_top1 = top1(fp32.output);
  const int right = matching(fp32_top1, labels);
  std::printf("[quant] %-20s fp32  reads %2d/%d digits right\n", arch.c_str(), right, kBatch);
  REQUIRE_MESSAGE(right >= 12, arch << " is not trained: rerun scripts/fetch-models.sh");
  const struct {
    const char* scheme;
    double max_size_ratio;
    double max_nmse;
    int min_agree;
  } schemes[] = {{"fp16", 0.52, 1e-5, 15}, {"int8", 0.27, 1e-3, 15}, {"fp8", 0.28, 2e-2, 15}, {"int4", 0.16, 0.1, 12}};
  for (const auto& s : schemes) {
    INFO(arch << " " << s.scheme);
    const bool fp16 = std::string(s.scheme) == "fp16";
    const Run q = convert_and_run(onnx, s.scheme, input_path, dir, fp16 ? fs::path() : calibration);
    const Comparison cmp = compare(fp32.output, q.output);
    REQUIRE(cmp.shape_match);
    CHECK(cmp.not_finite == 0);
    const std::vector<int> q_top1 = top1(q.output);
    const int agree = matching(fp32_top1, q_top1);
    const int right_q = matching(q_top1, labels);
    const double ratio = static_cast<double>(q.weight_bytes) / static_cast<double>(fp32.weight_bytes);
    std::printf("[quant] %-20s %-5s top-1 %2d/%d as fp32, reads %2d/%d right, output NMSE %.2e, "
                "weights %llu B = %.3fx fp32\n",
                arch.c_str(), s.scheme, agree, kBatch, right_q, kBatch, cmp.nmse,
                static_cast<unsigned long long>(q.weight_bytes), ratio);
    CHECK(cmp.nmse > 0.0);  // the weights really are stored differently
    CHECK(cmp.nmse < s.max_nmse);
    CHECK(agree >= s.min_agree);
    CHECK(ratio <= s.max_size_ratio);
  }
}

}  // namespace

TEST_SUITE("models") {
  TEST_CASE("zoo quantized: Silero VAD with int8 weights, its LSTM's included") {
    const Tools& t = tools();
    const fs::path onnx = t.models / "silero-vad" / "weights" / "silero_vad_16k_op15.onnx";
    REQUIRE_MESSAGE(fs::exists(onnx), onnx << " is missing: run scripts/fetch-models.sh " << t.models);
    const fs::path dir = t.work / "quantized_silero";
    fs::remove_all(dir);
    fs::create_directories(dir);
    write_npy_int64(dir / "sr.npy", {}, {16000});
    Npy audio, state;
    audio.shape = {1, 512};
    state.shape = {2, 1, 128};
    // A first call: noise in, the zero state a stream starts from.
    std::mt19937 rng(31);
    std::uniform_real_distribution<float> dist(-0.5f, 0.5f);
    for (int i = 0; i < 512; ++i) audio.data.push_back(dist(rng));
    state.data.assign(256, 0.0f);
    write_npy(dir / "input.npy", audio);
    write_npy(dir / "state.npy", state);
    std::map<std::string, std::map<std::string, Npy>> outputs;
    for (const std::string scheme : {"fp32", "int8"}) {
      const fs::path model = dir / (scheme + ".fennec");
      const Command convert = run_command(
          quote(t.cli) + " convert " + quote(onnx) + " -o " + quote(model) + " --fix-dim batch=1 --fix-dim sequence=512" +
          " --input-value sr=" + quote(dir / "sr.npy") + (scheme == "fp32" ? "" : " --quantize " + scheme));
      INFO(convert.output);
      REQUIRE(convert.status == 0);
      if (scheme == "int8") {
        CHECK(convert.output.find("LSTM   [512,256]          int8 g32") != std::string::npos);
        CHECK(convert.output.find("kept fp32") == std::string::npos);
        CHECK(weight_section_bytes(model) * 100 <= weight_section_bytes(dir / "fp32.fennec") * 27);
      }
      const fs::path out = dir / ("out_" + scheme);
      const Command run = run_command(quote(t.cli) + " run " + quote(model) + " --input input=" +
                                      quote(dir / "input.npy") + " --input state=" + quote(dir / "state.npy") +
                                      " --output-dir " + quote(out));
      INFO(run.output);
      REQUIRE(run.status == 0);
      for (const std::string name : {"output", "stateN"}) outputs[scheme][name] = read_npy(out / (name + ".npy"));
    }
    // The state amplifies rounding where a gate sits near its switching
    // point (a cell of 0.99 can move by 0.2 from weights that lose 4e-5 of
    // their energy): its bound is looser than the speech probability's.
    for (const auto& [name, bound] : {std::pair{"output", 5e-3}, std::pair{"stateN", 5e-2}}) {
      const Comparison cmp = compare(outputs["fp32"][name], outputs["int8"][name]);
      std::printf("[quant] silero_vad int8 %s NMSE %.2e\n", name, cmp.nmse);
      CHECK(cmp.shape_match);
      CHECK(cmp.nmse > 0.0);
      CHECK(cmp.nmse < bound);  // int4 weights give 0.03 to 0.2 and 0.3 respectively
    }
  }

  TEST_CASE("zoo quantized: torchvision classifiers under fp16, int8, fp8 and int4 weights") {
    for (const char* arch : {"resnet18", "mobilenet_v2", "mobilenet_v3_small", "squeezenet1_1",
                             "shufflenet_v2_x1_0", "efficientnet_b0"}) {
      SUBCASE(arch) { check_architecture(arch); }
    }
  }
}

}  // namespace fennec::model_test
