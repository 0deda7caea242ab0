// fennec_render_text: draws the demo's test image, a few lines of dark text of
// different sizes on a white background, with stb_truetype and DejaVu Sans.
//
//   fennec_render_text out.png [--font DejaVuSans.ttf]
//
// Prints the image size and the ink bounding box of every line (the ground
// truth that tests compare detections with):
//   image <width> <height>
//   text <x0> <y0> <x1> <y1> <string>        (x1, y1 exclusive)
// The output depends only on the font file, so it is the same on every run.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <stb_image_write.h>
#include <stb_truetype.h>

namespace {

constexpr int kWidth = 736;
constexpr int kHeight = 480;
constexpr const char* kDefaultFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

struct Line {
  const char* text;
  float pixel_height;
  uint8_t color[3];
  int left;  // x of the pen at the first glyph
  int top;   // y of the line's ascent
};

constexpr Line kLines[] = {
    {"Fennec reads text", 64.0f, {20, 20, 20}, 40, 36},
    {"Vulkan inference on any GPU", 40.0f, {20, 40, 120}, 40, 150},
    {"2026-11-28 edge demo", 36.0f, {130, 20, 20}, 40, 240},
    {"lavapipe, Mali, Adreno, MTT S80", 28.0f, {20, 90, 40}, 40, 330},
    {"Budget 512 MiB", 44.0f, {60, 60, 60}, 330, 400},
};

struct Box {
  int x0 = 1 << 30, y0 = 1 << 30, x1 = -1, y1 = -1;
};

struct Image {
  int width, height;
  std::vector<uint8_t> rgb;
  void blend(int x, int y, const uint8_t color[3], int alpha) {
    uint8_t* p = &rgb[(static_cast<size_t>(y) * width + x) * 3];
    for (int c = 0; c < 3; ++c) p[c] = static_cast<uint8_t>((p[c] * (255 - alpha) + color[c] * alpha + 127) / 255);
  }
};

// Draws `line` and returns the ink box.
Box draw_line(const stbtt_fontinfo& font, const Line& line, Image& image) {
  const float scale = stbtt_ScaleForPixelHeight(&font, line.pixel_height);
  int ascent = 0, descent = 0, gap = 0;
  stbtt_GetFontVMetrics(&font, &ascent, &descent, &gap);
  const int baseline = line.top + static_cast<int>(std::lround(ascent * scale));
  Box box;
  float x = static_cast<float>(line.left);
  std::vector<uint8_t> glyph;
  for (const char* s = line.text; *s; ++s) {
    const int ch = static_cast<unsigned char>(*s);
    int advance = 0, bearing = 0;
    stbtt_GetCodepointHMetrics(&font, ch, &advance, &bearing);
    // Subpixel placement keeps the spacing of a real text renderer.
    const float shift = x - std::floor(x);
    int gx0, gy0, gx1, gy1;
    stbtt_GetCodepointBitmapBoxSubpixel(&font, ch, scale, scale, shift, 0.0f, &gx0, &gy0, &gx1, &gy1);
    const int gw = gx1 - gx0, gh = gy1 - gy0;
    if (gw > 0 && gh > 0) {
      glyph.assign(static_cast<size_t>(gw) * gh, 0);
      stbtt_MakeCodepointBitmapSubpixel(&font, glyph.data(), gw, gh, gw, scale, scale, shift, 0.0f, ch);
      const int ox = static_cast<int>(std::floor(x)) + gx0, oy = baseline + gy0;
      for (int j = 0; j < gh; ++j)
        for (int i = 0; i < gw; ++i) {
          const int alpha = glyph[static_cast<size_t>(j) * gw + i];
          const int px = ox + i, py = oy + j;
          if (alpha == 0 || px < 0 || py < 0 || px >= image.width || py >= image.height) continue;
          image.blend(px, py, line.color, alpha);
          box.x0 = std::min(box.x0, px);
          box.y0 = std::min(box.y0, py);
          box.x1 = std::max(box.x1, px + 1);
          box.y1 = std::max(box.y1, py + 1);
        }
    }
    x += advance * scale;
    if (s[1]) x += scale * stbtt_GetCodepointKernAdvance(&font, ch, static_cast<unsigned char>(s[1]));
  }
  return box;
}

int usage() {
  std::fprintf(stderr, "usage: fennec_render_text out.png [--font DejaVuSans.ttf]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out, font_path = kDefaultFont;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--font" && i + 1 < argc) font_path = argv[++i];
    else if (arg == "-h" || arg == "--help") return usage();
    else if (!arg.empty() && arg[0] != '-' && out.empty()) out = arg;
    else return usage();
  }
  if (out.empty()) return usage();

  std::ifstream in(font_path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr,
                 "fennec_render_text: error: cannot open the font '%s'. Install Debian's fonts-dejavu-core "
                 "(scripts/setup-deps.sh does) or pass --font <file.ttf>.\n",
                 font_path.c_str());
    return 1;
  }
  const std::vector<unsigned char> ttf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  stbtt_fontinfo font;
  if (ttf.empty() || !stbtt_InitFont(&font, ttf.data(), stbtt_GetFontOffsetForIndex(ttf.data(), 0))) {
    std::fprintf(stderr, "fennec_render_text: error: '%s' is not a TrueType font.\n", font_path.c_str());
    return 1;
  }

  Image image{kWidth, kHeight, std::vector<uint8_t>(static_cast<size_t>(kWidth) * kHeight * 3, 255)};
  std::vector<Box> boxes;
  for (const Line& line : kLines) boxes.push_back(draw_line(font, line, image));

  if (!stbi_write_png(out.c_str(), image.width, image.height, 3, image.rgb.data(), image.width * 3)) {
    std::fprintf(stderr, "fennec_render_text: error: cannot write '%s'.\n", out.c_str());
    return 1;
  }
  std::printf("image %d %d\n", image.width, image.height);
  for (size_t i = 0; i < boxes.size(); ++i)
    std::printf("text %d %d %d %d %s\n", boxes[i].x0, boxes[i].y0, boxes[i].x1, boxes[i].y1, kLines[i].text);
  return 0;
}
