// fennec_text_detect: finds text regions in an image with PaddleOCR v4's
// detection network (DB), converted to .fennec, through the public C++ API.
//
//   fennec_text_detect det.fennec image.png [--out annotated.png] [--device N]
//                      [--max-side 960] [--size HxW] [--runs N] [--save-input in.npy]
//
// Steps: load the image; resize so both sides are multiples of 32 (longest side
// at most --max-side, or exactly --size); normalise like PaddleOCR; run; turn
// the probability map into boxes (threshold, connected components, score,
// unclip); print them in image coordinates and draw them. --size may be given
// several times: one session then runs each input shape in turn.
// Output lines: "box <x0> <y0> <x1> <y1> <score>" (x1, y1 exclusive).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <stb_image.h>
#include <stb_image_resize.h>
#include <stb_image_write.h>

#include "fennec/fennec.hpp"

namespace {

// PaddleOCR's det post-processing defaults (DBPostProcess).
constexpr float kBinaryThreshold = 0.3f;
constexpr float kBoxThreshold = 0.6f;
constexpr float kUnclipRatio = 1.5f;
constexpr int kMinSide = 3;

struct Options {
  std::string model, image, out, save_input;
  int device = -1;
  int max_side = 960;
  std::vector<std::pair<int, int>> sizes;  // (H, W); empty: from --max-side
  int runs = 1;
};

struct Box {
  float x0, y0, x1, y1;  // x1, y1 exclusive
  float score;
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

// PaddleOCR's DetResizeForTest (limit type "max"): scale down so that the
// longest side is at most max_side, then round each side to a multiple of 32.
void network_size(int width, int height, int max_side, int& out_w, int& out_h) {
  const float ratio = std::max(width, height) > max_side ? static_cast<float>(max_side) / std::max(width, height) : 1.0f;
  auto round32 = [](float v) { return std::max(32, static_cast<int>(std::lround(v / 32.0f)) * 32); };
  out_w = round32(static_cast<float>(static_cast<int>(width * ratio)));
  out_h = round32(static_cast<float>(static_cast<int>(height * ratio)));
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

// Connected regions of prob > threshold (8-connectivity), scored by their
// mean probability and grown by the DB "unclip" distance, in map coordinates.
std::vector<Box> find_boxes(const float* prob, int width, int height) {
  std::vector<uint8_t> seen(static_cast<size_t>(width) * height, 0);
  std::vector<int> stack;
  std::vector<Box> boxes;
  for (int start = 0; start < width * height; ++start) {
    if (seen[start] || prob[start] <= kBinaryThreshold) continue;
    int x0 = width, y0 = height, x1 = -1, y1 = -1;
    double sum = 0.0;
    size_t count = 0;
    seen[start] = 1;
    stack.assign(1, start);
    while (!stack.empty()) {
      const int p = stack.back();
      stack.pop_back();
      const int x = p % width, y = p / width;
      x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
      sum += prob[p];
      ++count;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const int nx = x + dx, ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
          const int q = ny * width + nx;
          if (!seen[q] && prob[q] > kBinaryThreshold) {
            seen[q] = 1;
            stack.push_back(q);
          }
        }
    }
    const float w = static_cast<float>(x1 - x0 + 1), h = static_cast<float>(y1 - y0 + 1);
    if (std::min(w, h) < kMinSide) continue;
    const float score = static_cast<float>(sum / static_cast<double>(count));
    if (score < kBoxThreshold) continue;
    // The network predicts shrunk text kernels; DB grows each polygon by
    // area * ratio / perimeter to recover the full text extent.
    const float d = w * h * kUnclipRatio / (2.0f * (w + h));
    if (std::min(w, h) + 2 * d < kMinSide + 2) continue;
    boxes.push_back({x0 - d, y0 - d, x1 + 1 + d, y1 + 1 + d, score});
  }
  return boxes;
}

void draw_rect(std::vector<uint8_t>& rgb, int width, int height, int x0, int y0, int x1, int y1,
               const uint8_t color[3], int thickness) {
  for (int y = y0 - thickness + 1; y < y1 + thickness - 1; ++y)
    for (int x = x0 - thickness + 1; x < x1 + thickness - 1; ++x) {
      if (x < 0 || y < 0 || x >= width || y >= height) continue;
      const bool inside = x >= x0 + 1 && x < x1 - 1 && y >= y0 + 1 && y < y1 - 1;
      if (inside) continue;
      std::memcpy(&rgb[(static_cast<size_t>(y) * width + x) * 3], color, 3);
    }
}

// Runs the detector at one network size and prints the boxes found, in
// original image coordinates; returns them as x0,y0,x1,y1 quadruples.
std::vector<int> detect(fennec::Session& session, const char* input_name, const std::vector<uint8_t>& image,
                        int width, int height, int net_h, int net_w, const Options& o) {
  std::vector<uint8_t> resized = image;
  if (net_w != width || net_h != height) {
    resized.assign(static_cast<size_t>(net_w) * net_h * 3, 0);
    if (!stbir_resize_uint8(image.data(), width, height, 0, resized.data(), net_w, net_h, 0, 3))
      fail("cannot resize the image");
  }
  const float mean[3] = {0.485f, 0.456f, 0.406f};
  const float stddev[3] = {0.229f, 0.224f, 0.225f};
  const size_t plane = static_cast<size_t>(net_w) * net_h;
  // Normalised NCHW tensor, channels in PaddleOCR's BGR order.
  std::vector<float> input(plane * 3);
  for (int c = 0; c < 3; ++c)
    for (size_t i = 0; i < plane; ++i)
      input[c * plane + i] = (resized[i * 3 + (2 - c)] / 255.0f - mean[c]) / stddev[c];
  std::printf("image %s %dx%d, network input %dx%d (HxW)\n", o.image.c_str(), width, height, net_h, net_w);
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

  // Boxes in image coordinates.
  std::vector<Box> boxes = find_boxes(static_cast<const float*>(map.data), net_w, net_h);
  const float sx = static_cast<float>(width) / net_w, sy = static_cast<float>(height) / net_h;
  std::sort(boxes.begin(), boxes.end(), [](const Box& a, const Box& b) { return a.y0 != b.y0 ? a.y0 < b.y0 : a.x0 < b.x0; });
  std::vector<int> rects;
  for (const Box& b : boxes) {
    const int x0 = std::clamp(static_cast<int>(std::lround(b.x0 * sx)), 0, width);
    const int y0 = std::clamp(static_cast<int>(std::lround(b.y0 * sy)), 0, height);
    const int x1 = std::clamp(static_cast<int>(std::lround(b.x1 * sx)), 0, width);
    const int y1 = std::clamp(static_cast<int>(std::lround(b.y1 * sy)), 0, height);
    std::printf("box %d %d %d %d %.3f\n", x0, y0, x1, y1, b.score);
    rects.insert(rects.end(), {x0, y0, x1, y1});
  }
  const auto stats = session.stats();
  std::printf("found %zu text region(s) on %s\n", boxes.size(), stats.device_name);
  std::printf("latency %.2f ms (first run %.2f ms, gpu %.2f ms)\n", steady_ms, first_ms, gpu_ms);
  std::printf("peak device memory %.2f MiB (weights %.2f MiB, activation arena %.2f MiB)\n",
              static_cast<double>(stats.peak_device_bytes) / (1 << 20),
              static_cast<double>(stats.weight_bytes) / (1 << 20), static_cast<double>(stats.arena_bytes) / (1 << 20));

  return rects;
}

int run(const Options& o) {
  // 1. The image.
  if (!std::filesystem::is_regular_file(o.image)) fail("image '" + o.image + "' does not exist");
  if (!std::filesystem::is_regular_file(o.model))
    fail("model '" + o.model + "' does not exist (convert one with `fennec convert model.onnx -o model.fennec`)");
  int width = 0, height = 0, channels = 0;
  stbi_uc* pixels = stbi_load(o.image.c_str(), &width, &height, &channels, 3);
  if (!pixels) fail("cannot read image '" + o.image + "' (" + stbi_failure_reason() + "); use PNG, JPEG, BMP or TGA");
  std::vector<uint8_t> image(pixels, pixels + static_cast<size_t>(width) * height * 3);
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
    network_size(width, height, o.max_side, net_w, net_h);
    sizes.emplace_back(net_h, net_w);
  }
  std::vector<int> rects;
  for (const auto& [net_h, net_w] : sizes) rects = detect(session, inputs[0].name, image, width, height, net_h, net_w, o);

  // 3. Annotated copy of the original image, with the boxes of the last size.
  if (!o.out.empty()) {
    static const uint8_t kColors[][3] = {{230, 25, 75}, {60, 180, 75}, {0, 130, 200}, {245, 130, 48}, {145, 30, 180}};
    for (size_t i = 0; i < rects.size() / 4; ++i)
      draw_rect(image, width, height, rects[4 * i], rects[4 * i + 1], rects[4 * i + 2], rects[4 * i + 3],
                kColors[i % 5], 3);
    if (!stbi_write_png(o.out.c_str(), width, height, 3, image.data(), width * 3))
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
