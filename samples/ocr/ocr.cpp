// fennec_ocr: reads the text in an image with PaddleOCR's three networks,
// converted to .fennec, through the public C++ API.
//
//   fennec_ocr det.fennec rec.fennec --keys ppocr_keys_v1.txt image.png
//              [--cls cls.fennec] [--out annotated.png] [--json] [--device N] [--max-side 960]
//              [--save-inputs DIR]
//
// Steps: detect text boxes (DB network + post-processing); crop each box to
// height 48, turning tall boxes a quarter; optionally let the direction
// classifier turn upside-down crops; recognise each crop (CTC); print the
// lines top to bottom. The recognizer takes any input width: its one session
// builds and caches a plan per width it meets.
// Output, one line per text line: "<text>\t<score>\t<x,y x,y x,y x,y>" (box
// corners from the top-left, clockwise), or one JSON array with --json.
// Timings and the device go to stderr. --save-inputs writes every network
// input as DIR/{det,cls,rec}/NNN.npy: calibration data for
// `fennec convert --quantize ... --calibration DIR/rec`.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <stb_image.h>
#include <stb_image_write.h>

#include "fennec/fennec.hpp"
#include "ocr_pipeline.h"

namespace {

constexpr float kDropScore = 0.5f;  // PaddleOCR drops lines recognised with less

struct Options {
  std::string det, rec, cls, keys, image, out, save_inputs;
  bool json = false;
  int device = -1;
  int max_side = 960;
};

struct Network {
  fennec::Model model;
  fennec::Session session;
  std::string input;  // name of the one input
  std::string save_dir;  // where inputs are saved, or empty
  int saved = 0;
};

// A float32 C-order .npy (format version 1.0).
void write_npy(const std::string& path, const std::vector<int64_t>& shape, const std::vector<float>& data) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i) header += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? ", " : "");
  header += "), }";
  header.append(63 - (10 + header.size()) % 64, ' ');
  header += '\n';
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write '" + path + "'");
  const uint16_t length = static_cast<uint16_t>(header.size());
  const bool ok = std::fwrite("\x93NUMPY\x01\x00", 1, 8, f) == 8 && std::fwrite(&length, 2, 1, f) == 1 &&
                  std::fwrite(header.data(), 1, header.size(), f) == header.size() &&
                  std::fwrite(data.data(), sizeof(float), data.size(), f) == data.size();
  if (std::fclose(f) != 0 || !ok) throw std::runtime_error("cannot write '" + path + "'");
}

std::unique_ptr<Network> open_network(const std::string& path, const char* role, int device,
                                      const std::string& save_dir) {
  if (!std::filesystem::is_regular_file(path))
    throw std::runtime_error("the " + std::string(role) + " model '" + path +
                             "' does not exist (convert it with `fennec convert model.onnx -o model.fennec`)");
  fennec::Model model(path);
  const auto inputs = model.inputs();
  if (inputs.size() != 1 || inputs[0].rank != 4)
    throw std::runtime_error("'" + path + "' does not look like a " + role + " model (expected one Nx3xHxW input)");
  fennec_session_options_t options;
  fennec_session_options_init(&options);
  options.device_index = device;
  fennec::Session session(model, &options);
  const std::string input = inputs[0].name;
  if (!save_dir.empty()) std::filesystem::create_directories(save_dir);
  return std::make_unique<Network>(std::move(model), std::move(session), input, save_dir);
}

// Runs `net` on one 1x3xHxW tensor and returns its first output.
fennec_tensor_t run(Network& net, const std::vector<float>& input, int height, int width, double& ms) {
  if (!net.save_dir.empty()) {
    char name[16];
    std::snprintf(name, sizeof(name), "%03d.npy", net.saved++);
    write_npy(net.save_dir + "/" + name, {1, 3, height, width}, input);
  }
  net.session.run({fennec::make_tensor(net.input.c_str(), {1, 3, height, width}, input.data())});
  ms += net.session.stats().last_run_ms;
  const fennec_tensor_t out = net.session.output(0);
  if (out.dtype != FENNEC_FLOAT32) throw std::runtime_error("expected a float32 output");
  return out;
}

std::string corners(const ocr::Quad& quad) {
  std::string s;
  for (const ocr::Point& p : quad) s += (s.empty() ? "" : " ") + std::to_string(std::lround(p.x)) + "," + std::to_string(std::lround(p.y));
  return s;
}

int run_ocr(const Options& o) {
  // 1. Image and dictionary.
  int width = 0, height = 0, channels = 0;
  stbi_uc* pixels = stbi_load(o.image.c_str(), &width, &height, &channels, 3);
  if (!pixels) throw std::runtime_error("cannot read image '" + o.image + "' (" + stbi_failure_reason() + ")");
  ocr::Image image{width, height, std::vector<uint8_t>(pixels, pixels + static_cast<size_t>(width) * height * 3)};
  stbi_image_free(pixels);
  const std::vector<std::string> keys = ocr::load_keys(o.keys);

  // 2. One session per network.
  auto save = [&](const char* role) { return o.save_inputs.empty() ? std::string() : o.save_inputs + "/" + role; };
  auto det = open_network(o.det, "text detection", o.device, save("det"));
  auto rec = open_network(o.rec, "text recognition", o.device, save("rec"));
  auto cls = o.cls.empty() ? nullptr : open_network(o.cls, "direction classifier", o.device, save("cls"));

  // 3. Detection.
  double det_ms = 0.0, cls_ms = 0.0, rec_ms = 0.0;
  int net_w = 0, net_h = 0;
  ocr::det_network_size(width, height, o.max_side, net_w, net_h);
  const fennec_tensor_t map = run(*det, ocr::det_input(image, net_w, net_h), net_h, net_w, det_ms);
  if (map.rank != 4 || map.dims[2] != net_h || map.dims[3] != net_w)
    throw std::runtime_error("'" + o.det + "' gave no 1x1xHxW probability map");
  const std::vector<ocr::TextBox> boxes = ocr::det_boxes(static_cast<const float*>(map.data), net_w, net_h, width, height);

  // 4. Per box: orientation, then recognition.
  nlohmann::json json = nlohmann::json::array();
  size_t shown = 0;
  for (const ocr::TextBox& box : boxes) {
    ocr::Quad quad = box.quad;
    if (ocr::quad_height(quad) >= 1.5f * ocr::quad_width(quad)) quad = ocr::rotate_quarter(quad);
    if (cls) {
      const fennec_tensor_t probs =
          run(*cls, ocr::text_input(image, quad, ocr::kClsWidth, ocr::kClsWidth), ocr::kTextHeight, ocr::kClsWidth, cls_ms);
      if (probs.rank != 2 || probs.dims[1] != 2) throw std::runtime_error("'" + o.cls + "' gave no [N,2] output");
      if (ocr::cls_upside_down(static_cast<const float*>(probs.data))) quad = ocr::rotate_half(quad);
    }
    const int rec_w = ocr::rec_input_width(quad);
    const fennec_tensor_t probs = run(*rec, ocr::text_input(image, quad, rec_w, rec_w), ocr::kTextHeight, rec_w, rec_ms);
    if (probs.rank != 3 || probs.dims[0] != 1) throw std::runtime_error("'" + o.rec + "' gave no [1,T,C] output");
    const ocr::Recognized text = ocr::ctc_decode(static_cast<const float*>(probs.data), static_cast<int>(probs.dims[1]),
                                                 static_cast<int>(probs.dims[2]), keys);
    if (text.score < kDropScore) continue;
    ++shown;
    if (o.json) {
      nlohmann::json points = nlohmann::json::array();
      for (const ocr::Point& p : box.quad) points.push_back({std::lround(p.x), std::lround(p.y)});
      json.push_back({{"text", text.text}, {"score", text.score}, {"box", points}});
    } else {
      std::printf("%s\t%.3f\t%s\n", text.text.c_str(), text.score, corners(box.quad).c_str());
    }
  }
  if (o.json) std::printf("%s\n", json.dump(2).c_str());
  std::fprintf(stderr, "%zu text line(s) of %zu box(es) on %s; detection %.1f ms, classifier %.1f ms, recognition %.1f ms\n",
               shown, boxes.size(), det->session.stats().device_name, det_ms, cls_ms, rec_ms);

  // 5. The boxes drawn on the image.
  if (!o.out.empty()) {
    const uint8_t red[3] = {230, 25, 75};
    for (const ocr::TextBox& box : boxes) ocr::draw_quad(image, box.quad, red, 3);
    if (!stbi_write_png(o.out.c_str(), width, height, 3, image.rgb.data(), width * 3))
      throw std::runtime_error("cannot write '" + o.out + "'");
    std::fprintf(stderr, "annotated image %s\n", o.out.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"fennec_ocr: read the text in an image with PaddleOCR networks converted to .fennec"};
  Options o;
  app.add_option("det", o.det, "text detection model (.fennec)")->required();
  app.add_option("rec", o.rec, "text recognition model (.fennec)")->required();
  app.add_option("image", o.image, "image (PNG, JPEG, BMP or TGA)")->required()->check(CLI::ExistingFile);
  app.add_option("--keys", o.keys, "the recognizer's dictionary (ppocr_keys_v1.txt)")->required();
  app.add_option("--cls", o.cls, "direction classifier model (.fennec); without it crops are read as they are");
  app.add_option("--out", o.out, "write the image with the boxes drawn here (PNG)");
  app.add_flag("--json", o.json, "print the results as one JSON array");
  app.add_option("--device", o.device, "Vulkan device index (default: the runtime's choice)");
  app.add_option("--save-inputs", o.save_inputs, "save every network input as DIR/{det,cls,rec}/NNN.npy");
  app.add_option("--max-side", o.max_side, "longest side of the detector's input")->check(CLI::Range(32, 4096));
  CLI11_PARSE(app, argc, argv);
  try {
    return run_ocr(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fennec_ocr: error: %s\n", e.what());
  }
  return 1;
}
