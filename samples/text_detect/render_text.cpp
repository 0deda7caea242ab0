// fennec_render_text: draws a test image with stb_truetype. The default page
// has a few lines of dark Latin text of different sizes (DejaVu Sans); --ocr
// draws the OCR page instead: black lines of mixed Chinese and Latin text, all
// 44 px, Latin in DejaVu Sans and Chinese in Droid Sans Fallback, whose
// characters are all in PaddleOCR's dictionary (ppocr_keys_v1.txt), so that
// recognition can match them exactly; --ocr-calibration draws other lines in
// the same style (calibration data for quantization that is not the test page).
//
//   fennec_render_text out.png [--ocr | --ocr-calibration] [--font file.ttf]   (--font replaces DejaVu Sans)
//
// Prints the image size and the ink bounding box of every line (the ground
// truth that tests compare detections with):
//   image <width> <height>
//   text <x0> <y0> <x1> <y1> <string>        (x1, y1 exclusive)
// The output depends only on the font files, so it is the same on every run.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include <stb_image_write.h>
#include <stb_truetype.h>

namespace {

constexpr const char* kLatinFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
constexpr const char* kCjkFont = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf";

struct Line {
  const char* text;  // UTF-8
  float pixel_height;
  uint8_t color[3];
  int left;  // x of the pen at the first glyph
  int top;   // y of the line's ascent
};

constexpr Line kDetectLines[] = {
    {"Fennec reads text", 64.0f, {20, 20, 20}, 40, 36},
    {"Vulkan inference on any GPU", 40.0f, {20, 40, 120}, 40, 150},
    {"2026-11-28 edge demo", 36.0f, {130, 20, 20}, 40, 240},
    {"lavapipe, Mali, Adreno, MTT S80", 28.0f, {20, 90, 40}, 40, 330},
    {"Budget 512 MiB", 44.0f, {60, 60, 60}, 330, 400},
};

constexpr Line kOcrLines[] = {
    {"Fennec推理引擎", 44.0f, {0, 0, 0}, 40, 24},
    {"Hello, World 2026", 44.0f, {0, 0, 0}, 40, 104},
    {"边缘设备上的文字识别", 44.0f, {0, 0, 0}, 40, 184},
    {"Vulkan compute shaders", 44.0f, {0, 0, 0}, 40, 264},
    {"2026-03-14 12:45 (98.6%)", 44.0f, {0, 0, 0}, 40, 344},
};

// A second page with other text in the same style, for calibration data that
// is not the page a test reads.
constexpr Line kCalibrationLines[] = {
    {"模型量化与校准数据", 44.0f, {0, 0, 0}, 40, 24},
    {"Quick brown fox 1984", 44.0f, {0, 0, 0}, 40, 104},
    {"内存预算 256 MiB", 44.0f, {0, 0, 0}, 40, 184},
    {"Detection, Recognition", 44.0f, {0, 0, 0}, 40, 264},
    {"07/21 09:30 [x64] +5.2", 44.0f, {0, 0, 0}, 40, 344},
};

struct Page {
  int width, height;
  const Line* lines;
  size_t count;
  bool cjk;  // characters missing from the main font come from kCjkFont
};

constexpr Page kDetectPage{736, 480, kDetectLines, std::size(kDetectLines), false};
constexpr Page kOcrPage{640, 448, kOcrLines, std::size(kOcrLines), true};
constexpr Page kCalibrationPage{640, 448, kCalibrationLines, std::size(kCalibrationLines), true};

struct Font {
  std::vector<unsigned char> ttf;
  stbtt_fontinfo info;
};

// Loads a TrueType file; throws with the Debian package to install.
void load_font(const std::string& path, const char* package, Font& font) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot open the font '" + path + "'. Install Debian's " + package +
                             " (scripts/setup-deps.sh does) or pass --font <file.ttf>");
  font.ttf.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (font.ttf.empty() || !stbtt_InitFont(&font.info, font.ttf.data(), stbtt_GetFontOffsetForIndex(font.ttf.data(), 0)))
    throw std::runtime_error("'" + path + "' is not a TrueType font");
}

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

// The code points of UTF-8 `text` (which is ours, so well formed).
std::vector<int> code_points(const char* text) {
  std::vector<int> out;
  for (const unsigned char* s = reinterpret_cast<const unsigned char*>(text); *s;) {
    const int extra = *s >= 0xF0 ? 3 : *s >= 0xE0 ? 2 : *s >= 0xC0 ? 1 : 0;
    int cp = extra ? *s & (0x3F >> extra) : *s;
    ++s;
    for (int i = 0; i < extra; ++i) cp = cp << 6 | (*s++ & 0x3F);
    out.push_back(cp);
  }
  return out;
}

// Draws `line`, each character in the first of `fonts` that has it, on the
// first font's baseline; returns the ink box. Throws when no font has one.
Box draw_line(const std::vector<const stbtt_fontinfo*>& fonts, const Line& line, Image& image) {
  int ascent = 0, descent = 0, gap = 0;
  stbtt_GetFontVMetrics(fonts[0], &ascent, &descent, &gap);
  const int baseline =
      line.top + static_cast<int>(std::lround(ascent * stbtt_ScaleForPixelHeight(fonts[0], line.pixel_height)));
  Box box;
  float x = static_cast<float>(line.left);
  std::vector<uint8_t> glyph;
  const std::vector<int> text = code_points(line.text);
  for (size_t k = 0; k < text.size(); ++k) {
    const int ch = text[k];
    const stbtt_fontinfo* font = fonts[0];
    for (size_t f = 1; f < fonts.size() && stbtt_FindGlyphIndex(font, ch) == 0; ++f) font = fonts[f];
    if (ch != ' ' && stbtt_FindGlyphIndex(font, ch) == 0)
      throw std::runtime_error("no font has a glyph for U+" + std::to_string(ch) + " in '" + line.text + "'");
    const float scale = stbtt_ScaleForPixelHeight(font, line.pixel_height);
    int advance = 0, bearing = 0;
    stbtt_GetCodepointHMetrics(font, ch, &advance, &bearing);
    // Subpixel placement keeps the spacing of a real text renderer.
    const float shift = x - std::floor(x);
    int gx0, gy0, gx1, gy1;
    stbtt_GetCodepointBitmapBoxSubpixel(font, ch, scale, scale, shift, 0.0f, &gx0, &gy0, &gx1, &gy1);
    const int gw = gx1 - gx0, gh = gy1 - gy0;
    if (gw > 0 && gh > 0) {
      glyph.assign(static_cast<size_t>(gw) * gh, 0);
      stbtt_MakeCodepointBitmapSubpixel(font, glyph.data(), gw, gh, gw, scale, scale, shift, 0.0f, ch);
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
    if (k + 1 < text.size()) x += scale * stbtt_GetCodepointKernAdvance(font, ch, text[k + 1]);
  }
  return box;
}

int usage() {
  std::fprintf(stderr, "usage: fennec_render_text out.png [--ocr | --ocr-calibration] [--font file.ttf]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out, font_path;
  const Page* page = &kDetectPage;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--font" && i + 1 < argc) font_path = argv[++i];
    else if (arg == "--ocr") page = &kOcrPage;
    else if (arg == "--ocr-calibration") page = &kCalibrationPage;
    else if (arg == "-h" || arg == "--help") return usage();
    else if (!arg.empty() && arg[0] != '-' && out.empty()) out = arg;
    else return usage();
  }
  if (out.empty()) return usage();
  if (font_path.empty()) font_path = kLatinFont;

  Font latin, cjk;
  std::vector<const stbtt_fontinfo*> fonts = {&latin.info};
  Image image{page->width, page->height, std::vector<uint8_t>(static_cast<size_t>(page->width) * page->height * 3, 255)};
  std::vector<Box> boxes;
  try {
    load_font(font_path, "fonts-dejavu-core", latin);
    if (page->cjk) {
      load_font(kCjkFont, "fonts-droid-fallback", cjk);
      fonts.push_back(&cjk.info);
    }
    for (size_t i = 0; i < page->count; ++i) boxes.push_back(draw_line(fonts, page->lines[i], image));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fennec_render_text: error: %s.\n", e.what());
    return 1;
  }

  if (!stbi_write_png(out.c_str(), image.width, image.height, 3, image.rgb.data(), image.width * 3)) {
    std::fprintf(stderr, "fennec_render_text: error: cannot write '%s'.\n", out.c_str());
    return 1;
  }
  std::printf("image %d %d\n", image.width, image.height);
  for (size_t i = 0; i < boxes.size(); ++i)
    std::printf("text %d %d %d %d %s\n", boxes[i].x0, boxes[i].y0, boxes[i].x1, boxes[i].y1, page->lines[i].text);
  return 0;
}
