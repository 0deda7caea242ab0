// The image-side steps of PaddleOCR-style text recognition, free of any
// inference runtime so that they can be tested on their own:
//   detection:      resize + normalise -> DB network -> probability map ->
//                   regions -> rotated boxes (score, unclip) -> sorted quads;
//   classification: crop -> 3x48x192 tensor -> [N,2] -> rotate 180 or not;
//   recognition:    crop -> 3x48xW tensor -> [1,T,C] -> CTC greedy decode.
// Images are 8-bit RGB, row-major. All functions are pure (no global state)
// and safe to call from several threads on different data.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace ocr {

struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;  // width * height * 3
};

struct Point {
  float x = 0.0f, y = 0.0f;
};

// A text box: top-left, top-right, bottom-right, bottom-left as seen in the
// text's own reading direction (for upright text also in the image).
using Quad = std::array<Point, 4>;

// ---- detection ------------------------------------------------------------

// PaddleOCR's DB post-processing defaults.
struct DetParams {
  float binary_threshold = 0.3f;  // probability map -> text pixels
  float box_threshold = 0.6f;     // minimum mean probability inside a box
  float unclip_ratio = 1.5f;      // growth: area * ratio / perimeter
  int min_side = 3;               // shorter box side, in map pixels
};

// The network input size for an image: scaled down so that the longer side
// is at most `max_side`, then both sides rounded to multiples of 32.
void det_network_size(int width, int height, int max_side, int& net_w, int& net_h);

// The detector's input: `image` resized to net_w x net_h, BGR channel order,
// ImageNet mean/std normalisation, NCHW (1 x 3 x net_h x net_w).
std::vector<float> det_input(const Image& image, int net_w, int net_h);

// Labels the 8-connected regions of prob > threshold: returns a map of the
// same size with 0 for background and 1..count for the regions, in the order
// of their first pixel in row-major scan.
std::vector<int> label_regions(const float* prob, int width, int height, float threshold, int& count);

// Convex hull, vertices in order around it, without collinear points.
std::vector<Point> convex_hull(std::vector<Point> points);

// The smallest-area rectangle enclosing `points`, corners ordered as a Quad
// (top-left first, clockwise in image coordinates).
Quad min_area_rect(const std::vector<Point>& points);

// DB's unclip distance for a polygon: area * ratio / perimeter.
float unclip_distance(const std::vector<Point>& polygon, float ratio);

// Moves every edge of a convex polygon outward by `distance` (mitred corners,
// exact for rectangles). Either winding order.
std::vector<Point> offset_convex(const std::vector<Point>& polygon, float distance);

// Mean of prob over the pixels whose centres lie inside the convex `quad`.
float box_score(const float* prob, int width, int height, const Quad& quad);

struct TextBox {
  Quad quad;    // in image coordinates
  float score;  // mean probability inside the box before unclipping
};

// Boxes from the detector's probability map (map_w x map_h), scaled to an
// image of image_w x image_h and sorted top to bottom, then left to right.
std::vector<TextBox> det_boxes(const float* prob, int map_w, int map_h, int image_w, int image_h,
                               const DetParams& params = {});

// ---- cropping ---------------------------------------------------------------

// Length of a quad's top edge and left edge (longest of the opposite pair).
float quad_width(const Quad& quad);
float quad_height(const Quad& quad);

// The same region read from another corner: turned a quarter counter-clockwise
// (for text running top to bottom) or half a turn (upside-down text).
Quad rotate_quarter(const Quad& quad);
Quad rotate_half(const Quad& quad);

// Samples the region `quad` of `image` into an out_w x out_h image with a
// perspective map and bilinear interpolation (edge pixels repeat outside).
Image warp_quad(const Image& image, const Quad& quad, int out_w, int out_h);

// ---- classification and recognition ----------------------------------------

constexpr int kTextHeight = 48;     // input height of both networks
constexpr int kClsWidth = 192;      // fixed classifier input width
constexpr int kRecMinWidth = 320;   // recognition input width is at least this
constexpr float kClsThreshold = 0.9f;

// A network input for the text in `quad`: the crop resized to height 48
// keeping its aspect ratio (width ceil(48 * w / h), at most `max_width`),
// normalised to (x / 255 - 0.5) / 0.5 in BGR order, NCHW, and zero-padded on
// the right to `tensor_width`.
std::vector<float> text_input(const Image& image, const Quad& quad, int max_width, int tensor_width);

// The recognition input width for a crop: at least kRecMinWidth, else as
// wide as the crop's aspect ratio needs.
int rec_input_width(const Quad& quad);

// Whether the classifier says "upside down": label 1 with score > threshold.
bool cls_upside_down(const float* probs);

// One line per class from a PaddleOCR dictionary file (ppocr_keys_v1.txt);
// throws std::runtime_error when it cannot be read.
std::vector<std::string> load_keys(const std::string& path);

struct Recognized {
  std::string text;   // UTF-8
  float score = 0.0f; // mean probability of the kept steps; 0 when empty
};

// CTC greedy decoding of [steps x classes] probabilities: argmax per step,
// repeats collapsed, blanks (class 0) dropped. Class k >= 1 is keys[k - 1];
// class keys.size() + 1 is a space. Needs classes == keys.size() + 2.
Recognized ctc_decode(const float* probs, int steps, int classes, const std::vector<std::string>& keys);

// ---- output -----------------------------------------------------------------

// Draws the outline of `quad` onto `image`.
void draw_quad(Image& image, const Quad& quad, const uint8_t color[3], int thickness);

}  // namespace ocr
