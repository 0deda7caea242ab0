// fennec_text_detect: finds text regions in an image with PaddleOCR v4's
// detection network (DB), converted to .fennec, through the public C++ API.
//
//   fennec_text_detect det.fennec image.png [--out annotated.png] [--device N]
//                      [--max-side 960] [--size HxW] [--runs N] [--save-input in.npy]
//
// Steps: load the image; resize so both sides are multiples of 32 (longest side
// at most --max-side, or exactly --size); normalise like PaddleOCR; run; turn
// the probability map into boxes (threshold, connected components, score,
// rotated rectangle, unclip: samples/ocr/ocr_pipeline.h); print their
// axis-aligned bounds in image coordinates and draw them. --size may be given
// several times: one session then runs each input shape in turn.
// Output lines: "box <x0> <y0> <x1> <y1> <score>" (the bounds of each box).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <stb_image.h>
#include <stb_image_write.h>

#include "fennec/fennec.hpp"
#include "ocr_pipeline.h"

namespace {

struct Options {
  std::string model, image, out, save_input;
  int device = -1;
  int max_side = 960;
  std::vector<std::pair<int, int>> sizes;  // (H, W); empty: from --max-side
  int runs = 1;
};

[[noreturn]] void fail(const std::string& message) { throw std::runtime_error(message); }

int parse_int(const std::string& flag, const char* text) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (!end || *end || v <= 0 || v > (1 << 16)) fail(flag + " needs a positive integer, got '" + text + "'");
  return static_cast<int>(v);
}

Options parse_args(int argc, char** argv) {
  Options o;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) fail(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--out") o.out = value();
    else if (arg == "--device") o.device = std::atoi(value());
    else if (arg == "--max-side") o.max_side = parse_int(arg, value());
    else if (arg == "--runs") o.runs = parse_int(arg, value());
    else if (arg == "--save-input") o.save_input = value();
    else if (arg == "--size") {
      const std::string v = value();
      int h = 0, w = 0;
      if (std::sscanf(v.c_str(), "%dx%d", &h, &w) != 2 || h <= 0 || w <= 0 || h % 32 || w % 32)
        fail("--size needs HxW with both sides multiples of 32, got '" + v + "'");
      o.sizes.emplace_back(h, w);
    } else if (!arg.empty() && arg[0] == '-') fail("unknown option '" + arg + "'");
    else positional.push_back(arg);
  }
  if (positional.size() != 2)
    fail("usage: fennec_text_detect model.fennec image.png [--out annotated.png] [--device N] "
         "[--max-side 960] [--size HxW] [--runs N] [--save-input in.npy]");
  o.model = positional[0];
  o.image = positional[1];
  if (!o.save_input.empty() && o.sizes.size() > 1) fail("--save-input takes one --size");
  return o;
}

void write_npy(const std::string& path, const std::vector<int64_t>& dims, const std::vector<float>& data) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < dims.size(); ++i) header += std::to_string(dims[i]) + (i + 1 < dims.size() ? ", " : "");
  header += "), }";
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header.push_back('\n');
  std::ofstream out(path, std::ios::binary);
  const char prefix[10] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<char>(header.size() & 0xff),
                           static_cast<char>(header.size() >> 8)};
  out.write(prefix, 10);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size() * sizeof(float)));
  if (!out) fail("cannot write '" + path + "'");
}

// Runs the detector at one network size and prints the boxes found, in
// original image coordinates; returns them.
std::vector<ocr::TextBox> detect(fennec::Session& session, const char* input_name, const ocr::Image& image,
                                 int net_h, int net_w, const Options& o) {
  const std::vector<float> input = ocr::det_input(image, net_w, net_h);
  std::printf("image %s %dx%d, network input %dx%d (HxW)\n", o.image.c_str(), image.width, image.height, net_h, net_w);
  if (!o.save_input.empty()) write_npy(o.save_input, {1, 3, net_h, net_w}, input);

  // Run; the first run at a new size also plans memory and records the command buffer.
  const auto tensor = fennec::make_tensor(input_name, {1, 3, net_h, net_w}, input.data());
  double first_ms = 0.0, steady_ms = 0.0, gpu_ms = 0.0;
  for (int r = 0; r < o.runs; ++r) {
    session.run({tensor});
    const auto stats = session.stats();
    if (r == 0) first_ms = stats.last_run_ms;
    if (r > 0 || o.runs == 1) {
      steady_ms += stats.last_run_ms;
      gpu_ms += stats.last_gpu_ms;
    }
  }
  steady_ms /= std::max(1, o.runs - 1);
  gpu_ms /= std::max(1, o.runs - 1);
  const fennec_tensor_t map = session.output(0);
  if (map.dtype != FENNEC_FLOAT32 || map.rank != 4 || map.dims[2] != net_h || map.dims[3] != net_w)
    fail("unexpected output shape from '" + o.model + "' (expected 1x1x" + std::to_string(net_h) + "x" +
         std::to_string(net_w) + " float32)");

  // Boxes in image coordinates, printed as their axis-aligned bounds.
  const std::vector<ocr::TextBox> boxes =
      ocr::det_boxes(static_cast<const float*>(map.data), net_w, net_h, image.width, image.height);
  for (const ocr::TextBox& b : boxes) {
    float x0 = b.quad[0].x, y0 = b.quad[0].y, x1 = x0, y1 = y0;
    for (const ocr::Point& p : b.quad)
      x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
    std::printf("box %.0f %.0f %.0f %.0f %.3f\n", x0, y0, x1, y1, b.score);
  }
  const auto stats = session.stats();
  std::printf("found %zu text region(s) on %s\n", boxes.size(), stats.device_name);
  std::printf("latency %.2f ms (first run %.2f ms, gpu %.2f ms)\n", steady_ms, first_ms, gpu_ms);
  std::printf("peak device memory %.2f MiB (weights %.2f MiB, activation arena %.2f MiB)\n",
              static_cast<double>(stats.peak_device_bytes) / (1 << 20),
              static_cast<double>(stats.weight_bytes) / (1 << 20), static_cast<double>(stats.arena_bytes) / (1 << 20));

  return boxes;
}

int run(const Options& o) {
  // 1. The image.
  if (!std::filesystem::is_regular_file(o.image)) fail("image '" + o.image + "' does not exist");
  if (!std::filesystem::is_regular_file(o.model))
    fail("model '" + o.model + "' does not exist (convert one with `fennec convert model.onnx -o model.fennec`)");
  int width = 0, height = 0, channels = 0;
  stbi_uc* pixels = stbi_load(o.image.c_str(), &width, &height, &channels, 3);
  if (!pixels) fail("cannot read image '" + o.image + "' (" + stbi_failure_reason() + "); use PNG, JPEG, BMP or TGA");
  ocr::Image image{width, height, std::vector<uint8_t>(pixels, pixels + static_cast<size_t>(width) * height * 3)};
  stbi_image_free(pixels);

  // 2. Model and session on the chosen Vulkan device.
  fennec::Model model(o.model);
  const auto inputs = model.inputs();
  if (inputs.size() != 1 || inputs[0].rank != 4 || (inputs[0].dims[1] != 3 && inputs[0].dims[1] != -1))
    fail("'" + o.model + "' does not look like a text detection model (expected one 1x3xHxW input)");
  fennec_session_options_t options;
  fennec_session_options_init(&options);
  options.device_index = o.device;
  fennec::Session session(model, &options);

  // The same session runs every requested size: each new input shape gets its
  // own memory plan and command buffer, built on first use.
  std::vector<std::pair<int, int>> sizes = o.sizes;
  if (sizes.empty()) {
    int net_w = 0, net_h = 0;
    ocr::det_network_size(width, height, o.max_side, net_w, net_h);
    sizes.emplace_back(net_h, net_w);
  }
  std::vector<ocr::TextBox> boxes;
  for (const auto& [net_h, net_w] : sizes) boxes = detect(session, inputs[0].name, image, net_h, net_w, o);

  // 3. Annotated copy of the original image, with the boxes of the last size.
  if (!o.out.empty()) {
    static const uint8_t kColors[][3] = {{230, 25, 75}, {60, 180, 75}, {0, 130, 200}, {245, 130, 48}, {145, 30, 180}};
    for (size_t i = 0; i < boxes.size(); ++i) ocr::draw_quad(image, boxes[i].quad, kColors[i % 5], 3);
    if (!stbi_write_png(o.out.c_str(), width, height, 3, image.rgb.data(), width * 3))
      fail("cannot write '" + o.out + "'");
    std::printf("annotated image %s\n", o.out.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_args(argc, argv));
  } catch (const fennec::Error& e) {
    std::fprintf(stderr, "fennec_text_detect: error: %s\n", e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fennec_text_detect: error: %s\n", e.what());
  }
  return 1;
}
