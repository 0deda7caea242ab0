#include "ocr_pipeline.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <stdexcept>

#include <stb_image_resize.h>

namespace ocr {

namespace {

float cross(const Point& o, const Point& a, const Point& b) {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

float distance(const Point& a, const Point& b) { return std::hypot(a.x - b.x, a.y - b.y); }

// Shoelace formula; the sign gives the winding.
float signed_area(const std::vector<Point>& polygon) {
  float area = 0.0f;
  for (size_t i = 0; i < polygon.size(); ++i) {
    const Point& a = polygon[i];
    const Point& b = polygon[(i + 1) % polygon.size()];
    area += a.x * b.y - b.x * a.y;
  }
  return area / 2.0f;
}

float shorter_side(const Quad& q) { return std::min(distance(q[0], q[1]), distance(q[1], q[2])); }

}  // namespace

void det_network_size(int width, int height, int max_side, int& net_w, int& net_h) {
  const int longest = std::max(width, height);
  const float ratio = longest > max_side ? static_cast<float>(max_side) / longest : 1.0f;
  auto round32 = [](float v) { return std::max(32, static_cast<int>(std::lround(v / 32.0f)) * 32); };
  net_w = round32(static_cast<float>(static_cast<int>(width * ratio)));
  net_h = round32(static_cast<float>(static_cast<int>(height * ratio)));
}

std::vector<float> det_input(const Image& image, int net_w, int net_h) {
  std::vector<uint8_t> resized = image.rgb;
  if (net_w != image.width || net_h != image.height) {
    resized.assign(static_cast<size_t>(net_w) * net_h * 3, 0);
    if (!stbir_resize_uint8(image.rgb.data(), image.width, image.height, 0, resized.data(), net_w, net_h, 0, 3))
      throw std::runtime_error("cannot resize the image to " + std::to_string(net_w) + "x" + std::to_string(net_h));
  }
  const float mean[3] = {0.485f, 0.456f, 0.406f};
  const float stddev[3] = {0.229f, 0.224f, 0.225f};
  const size_t plane = static_cast<size_t>(net_w) * net_h;
  std::vector<float> input(plane * 3);
  for (int c = 0; c < 3; ++c)
    for (size_t i = 0; i < plane; ++i) input[c * plane + i] = (resized[i * 3 + (2 - c)] / 255.0f - mean[c]) / stddev[c];
  return input;
}

std::vector<int> label_regions(const float* prob, int width, int height, float threshold, int& count) {
  std::vector<int> labels(static_cast<size_t>(width) * height, 0);
  std::vector<int> stack;
  count = 0;
  for (int start = 0; start < width * height; ++start) {
    if (labels[start] || prob[start] <= threshold) continue;
    labels[start] = ++count;
    stack.assign(1, start);
    while (!stack.empty()) {
      const int p = stack.back();
      stack.pop_back();
      const int x = p % width, y = p / width;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const int nx = x + dx, ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
          const int q = ny * width + nx;
          if (!labels[q] && prob[q] > threshold) {
            labels[q] = count;
            stack.push_back(q);
          }
        }
    }
  }
  return labels;
}

// Andrew's monotone chain.
std::vector<Point> convex_hull(std::vector<Point> points) {
  std::sort(points.begin(), points.end(), [](const Point& a, const Point& b) { return a.x != b.x ? a.x < b.x : a.y < b.y; });
  points.erase(std::unique(points.begin(), points.end(), [](const Point& a, const Point& b) { return a.x == b.x && a.y == b.y; }),
               points.end());
  if (points.size() < 3) return points;
  std::vector<Point> hull(2 * points.size());
  size_t k = 0;
  for (size_t i = 0; i < points.size(); ++i) {
    while (k >= 2 && cross(hull[k - 2], hull[k - 1], points[i]) <= 0) --k;
    hull[k++] = points[i];
  }
  for (size_t i = points.size() - 1, lower = k + 1; i-- > 0;) {
    while (k >= lower && cross(hull[k - 2], hull[k - 1], points[i]) <= 0) --k;
    hull[k++] = points[i];
  }
  hull.resize(k - 1);
  return hull;
}

// A minimum-area enclosing rectangle has one side on an edge of the convex
// hull, so it is enough to try the direction of every hull edge.
Quad min_area_rect(const std::vector<Point>& points) {
  const std::vector<Point> hull = convex_hull(points);
  if (hull.empty()) return Quad{};
  Point best_u{1.0f, 0.0f};
  float best_area = -1.0f, lo_u = 0, hi_u = 0, lo_v = 0, hi_v = 0;
  for (size_t i = 0; i < hull.size(); ++i) {
    const Point& a = hull[i];
    const Point& b = hull[(i + 1) % hull.size()];
    const float len = distance(a, b);
    const Point u = len > 0 ? Point{(b.x - a.x) / len, (b.y - a.y) / len} : Point{1.0f, 0.0f};
    float u0 = INFINITY, u1 = -INFINITY, v0 = INFINITY, v1 = -INFINITY;
    for (const Point& p : hull) {
      const float pu = p.x * u.x + p.y * u.y, pv = -p.x * u.y + p.y * u.x;
      u0 = std::min(u0, pu), u1 = std::max(u1, pu), v0 = std::min(v0, pv), v1 = std::max(v1, pv);
    }
    const float area = (u1 - u0) * (v1 - v0);
    if (best_area < 0 || area < best_area) best_area = area, best_u = u, lo_u = u0, hi_u = u1, lo_v = v0, hi_v = v1;
  }
  // Back from (u, v) to image axes; v is u turned a quarter.
  auto corner = [&](float pu, float pv) { return Point{pu * best_u.x - pv * best_u.y, pu * best_u.y + pv * best_u.x}; };
  std::array<Point, 4> c = {corner(lo_u, lo_v), corner(hi_u, lo_v), corner(hi_u, hi_v), corner(lo_u, hi_v)};
  // Name the corners like PaddleOCR: of the two leftmost, the upper one is
  // the top-left; of the two rightmost, the upper one is the top-right.
  std::sort(c.begin(), c.end(), [](const Point& a, const Point& b) { return a.x < b.x; });
  const auto [tl, bl] = c[0].y <= c[1].y ? std::pair{c[0], c[1]} : std::pair{c[1], c[0]};
  const auto [tr, br] = c[2].y <= c[3].y ? std::pair{c[2], c[3]} : std::pair{c[3], c[2]};
  return Quad{tl, tr, br, bl};
}

float unclip_distance(const std::vector<Point>& polygon, float ratio) {
  float perimeter = 0.0f;
  for (size_t i = 0; i < polygon.size(); ++i) perimeter += distance(polygon[i], polygon[(i + 1) % polygon.size()]);
  return perimeter > 0 ? std::abs(signed_area(polygon)) * ratio / perimeter : 0.0f;
}

std::vector<Point> offset_convex(const std::vector<Point>& polygon, float d) {
  const size_t n = polygon.size();
  const float side = signed_area(polygon) >= 0 ? 1.0f : -1.0f;
  // Outward unit normal of edge i (polygon[i] -> polygon[i + 1]) and its
  // shifted line n . p = c.
  std::vector<Point> normal(n);
  std::vector<float> offset(n);
  for (size_t i = 0; i < n; ++i) {
    const Point& a = polygon[i];
    const Point& b = polygon[(i + 1) % n];
    const float len = std::max(distance(a, b), 1e-6f);
    normal[i] = {side * (b.y - a.y) / len, -side * (b.x - a.x) / len};
    offset[i] = normal[i].x * a.x + normal[i].y * a.y + d;
  }
  std::vector<Point> out(n);
  for (size_t i = 0; i < n; ++i) {
    const size_t prev = (i + n - 1) % n;
    const Point &m = normal[prev], &k = normal[i];
    const float det = m.x * k.y - m.y * k.x;
    if (std::abs(det) < 1e-6f) {  // parallel neighbours: push the vertex straight out
      out[i] = {polygon[i].x + k.x * d, polygon[i].y + k.y * d};
      continue;
    }
    out[i] = {(offset[prev] * k.y - m.y * offset[i]) / det, (m.x * offset[i] - offset[prev] * k.x) / det};
  }
  return out;
}

float box_score(const float* prob, int width, int height, const Quad& quad) {
  float x_min = quad[0].x, x_max = quad[0].x, y_min = quad[0].y, y_max = quad[0].y;
  for (const Point& p : quad)
    x_min = std::min(x_min, p.x), x_max = std::max(x_max, p.x), y_min = std::min(y_min, p.y), y_max = std::max(y_max, p.y);
  const int x0 = std::clamp(static_cast<int>(std::floor(x_min)), 0, width - 1);
  const int x1 = std::clamp(static_cast<int>(std::ceil(x_max)), 0, width - 1);
  const int y0 = std::clamp(static_cast<int>(std::floor(y_min)), 0, height - 1);
  const int y1 = std::clamp(static_cast<int>(std::ceil(y_max)), 0, height - 1);
  const float winding = cross(quad[0], quad[1], quad[2]) >= 0 ? 1.0f : -1.0f;
  double sum = 0.0;
  size_t count = 0;
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) {
      const Point p{static_cast<float>(x), static_cast<float>(y)};
      bool inside = true;
      for (int i = 0; i < 4 && inside; ++i) inside = winding * cross(quad[i], quad[(i + 1) % 4], p) >= -1e-3f;
      if (!inside) continue;
      sum += prob[static_cast<size_t>(y) * width + x];
      ++count;
    }
  return count ? static_cast<float>(sum / static_cast<double>(count)) : 0.0f;
}

std::vector<TextBox> det_boxes(const float* prob, int map_w, int map_h, int image_w, int image_h, const DetParams& params) {
  int count = 0;
  const std::vector<int> labels = label_regions(prob, map_w, map_h, params.binary_threshold, count);
  // The ends of every horizontal run are enough for each region's hull.
  std::vector<std::vector<Point>> outlines(static_cast<size_t>(count) + 1);
  for (int y = 0; y < map_h; ++y)
    for (int x = 0; x < map_w; ++x) {
      const int l = labels[static_cast<size_t>(y) * map_w + x];
      if (!l) continue;
      const bool run_start = x == 0 || labels[static_cast<size_t>(y) * map_w + x - 1] != l;
      const bool run_end = x == map_w - 1 || labels[static_cast<size_t>(y) * map_w + x + 1] != l;
      if (run_start || run_end) outlines[l].push_back({static_cast<float>(x), static_cast<float>(y)});
    }

  const float sx = static_cast<float>(image_w) / map_w, sy = static_cast<float>(image_h) / map_h;
  std::vector<TextBox> boxes;
  for (int l = 1; l <= count; ++l) {
    const Quad kernel = min_area_rect(outlines[l]);
    if (shorter_side(kernel) < params.min_side) continue;
    const float score = box_score(prob, map_w, map_h, kernel);
    if (score < params.box_threshold) continue;
    // The network predicts shrunk text kernels; growing them by DB's unclip
    // distance recovers the whole text.
    const std::vector<Point> polygon(kernel.begin(), kernel.end());
    Quad quad = min_area_rect(offset_convex(polygon, unclip_distance(polygon, params.unclip_ratio)));
    if (shorter_side(quad) < params.min_side + 2) continue;
    for (Point& p : quad) {
      p.x = std::clamp(std::round(p.x * sx), 0.0f, static_cast<float>(image_w));
      p.y = std::clamp(std::round(p.y * sy), 0.0f, static_cast<float>(image_h));
    }
    if (quad_width(quad) <= 3 || quad_height(quad) <= 3) continue;
    boxes.push_back({quad, score});
  }

  // Top to bottom; boxes whose tops differ by less than 10 px count as one
  // line and go left to right.
  std::sort(boxes.begin(), boxes.end(), [](const TextBox& a, const TextBox& b) {
    return a.quad[0].y != b.quad[0].y ? a.quad[0].y < b.quad[0].y : a.quad[0].x < b.quad[0].x;
  });
  for (size_t i = 0; i + 1 < boxes.size(); ++i)
    for (size_t j = i + 1; j-- > 0;) {
      const Quad &a = boxes[j].quad, &b = boxes[j + 1].quad;
      if (std::abs(b[0].y - a[0].y) >= 10 || b[0].x >= a[0].x) break;
      std::swap(boxes[j], boxes[j + 1]);
    }
  return boxes;
}

float quad_width(const Quad& q) { return std::max(distance(q[0], q[1]), distance(q[2], q[3])); }
float quad_height(const Quad& q) { return std::max(distance(q[0], q[3]), distance(q[1], q[2])); }

Quad rotate_quarter(const Quad& q) { return Quad{q[1], q[2], q[3], q[0]}; }
Quad rotate_half(const Quad& q) { return Quad{q[2], q[3], q[0], q[1]}; }

// PaddleOCR crops the quad to an image of its own size (int(w) x int(h))
// with a perspective warp, then resizes that; both steps are folded into one
// mapping here: output pixel -> crop pixel -> unit square -> quad.
Image warp_quad(const Image& image, const Quad& q, int out_w, int out_h) {
  // Projective map of the unit square onto the quad (corners in Quad order).
  const float dx1 = q[1].x - q[2].x, dx2 = q[3].x - q[2].x, dx3 = q[0].x - q[1].x + q[2].x - q[3].x;
  const float dy1 = q[1].y - q[2].y, dy2 = q[3].y - q[2].y, dy3 = q[0].y - q[1].y + q[2].y - q[3].y;
  const float den = dx1 * dy2 - dx2 * dy1;
  float g = 0.0f, h = 0.0f;
  if (std::abs(den) > 1e-9f && (dx3 != 0.0f || dy3 != 0.0f)) {
    g = (dx3 * dy2 - dx2 * dy3) / den;
    h = (dx1 * dy3 - dx3 * dy1) / den;
  }
  const float a = q[1].x - q[0].x + g * q[1].x, b = q[3].x - q[0].x + h * q[3].x, c = q[0].x;
  const float d = q[1].y - q[0].y + g * q[1].y, e = q[3].y - q[0].y + h * q[3].y, f = q[0].y;
  const float crop_w = std::max(1.0f, std::floor(quad_width(q))), crop_h = std::max(1.0f, std::floor(quad_height(q)));

  Image out{out_w, out_h, std::vector<uint8_t>(static_cast<size_t>(out_w) * out_h * 3)};
  for (int y = 0; y < out_h; ++y)
    for (int x = 0; x < out_w; ++x) {
      const float u = ((x + 0.5f) * crop_w / out_w - 0.5f) / crop_w;
      const float v = ((y + 0.5f) * crop_h / out_h - 0.5f) / crop_h;
      const float w = g * u + h * v + 1.0f;
      const float px = std::clamp((a * u + b * v + c) / w, 0.0f, static_cast<float>(image.width - 1));
      const float py = std::clamp((d * u + e * v + f) / w, 0.0f, static_cast<float>(image.height - 1));
      const int x0 = static_cast<int>(px), y0 = static_cast<int>(py);
      const int x1 = std::min(x0 + 1, image.width - 1), y1 = std::min(y0 + 1, image.height - 1);
      const float fx = px - x0, fy = py - y0;
      auto at = [&](int sx, int sy, int ch) { return image.rgb[(static_cast<size_t>(sy) * image.width + sx) * 3 + ch]; };
      for (int ch = 0; ch < 3; ++ch) {
        const float top = at(x0, y0, ch) * (1 - fx) + at(x1, y0, ch) * fx;
        const float bottom = at(x0, y1, ch) * (1 - fx) + at(x1, y1, ch) * fx;
        out.rgb[(static_cast<size_t>(y) * out_w + x) * 3 + ch] = static_cast<uint8_t>(std::lround(top * (1 - fy) + bottom * fy));
      }
    }
  return out;
}

std::vector<float> text_input(const Image& image, const Quad& quad, int max_width, int tensor_width) {
  const float ratio = quad_width(quad) / std::max(1.0f, quad_height(quad));
  const int width = std::clamp(static_cast<int>(std::ceil(kTextHeight * ratio)), 1, max_width);
  const Image crop = warp_quad(image, quad, width, kTextHeight);
  const size_t plane = static_cast<size_t>(kTextHeight) * tensor_width;
  std::vector<float> input(plane * 3, 0.0f);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < kTextHeight; ++y)
      for (int x = 0; x < width; ++x)
        input[c * plane + static_cast<size_t>(y) * tensor_width + x] =
            (crop.rgb[(static_cast<size_t>(y) * width + x) * 3 + (2 - c)] / 255.0f - 0.5f) / 0.5f;
  return input;
}

int rec_input_width(const Quad& quad) {
  const float ratio = quad_width(quad) / std::max(1.0f, quad_height(quad));
  return std::max(kRecMinWidth, static_cast<int>(kTextHeight * ratio));
}

bool cls_upside_down(const float* probs) { return probs[1] > probs[0] && probs[1] > kClsThreshold; }

std::vector<std::string> load_keys(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open the dictionary '" + path + "'");
  std::vector<std::string> keys;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    keys.push_back(line);
  }
  if (keys.empty()) throw std::runtime_error("the dictionary '" + path + "' is empty");
  return keys;
}

Recognized ctc_decode(const float* probs, int steps, int classes, const std::vector<std::string>& keys) {
  if (classes != static_cast<int>(keys.size()) + 2)
    throw std::runtime_error("the recognizer has " + std::to_string(classes) + " classes but the dictionary " +
                             std::to_string(keys.size()) + " entries (expected entries + 2: blank and space)");
  Recognized result;
  double sum = 0.0;
  int kept = 0, previous = -1;
  for (int t = 0; t < steps; ++t) {
    const float* row = probs + static_cast<size_t>(t) * classes;
    const int best = static_cast<int>(std::max_element(row, row + classes) - row);
    if (best != 0 && best != previous) {
      result.text += best == classes - 1 ? std::string(" ") : keys[best - 1];
      sum += row[best];
      ++kept;
    }
    previous = best;
  }
  result.score = kept ? static_cast<float>(sum / kept) : 0.0f;
  return result;
}

void draw_quad(Image& image, const Quad& quad, const uint8_t color[3], int thickness) {
  for (int i = 0; i < 4; ++i) {
    const Point &a = quad[i], &b = quad[(i + 1) % 4];
    const int steps = static_cast<int>(std::ceil(distance(a, b) * 2)) + 1;
    for (int s = 0; s <= steps; ++s) {
      const float t = static_cast<float>(s) / steps;
      const int cx = static_cast<int>(std::lround(a.x + (b.x - a.x) * t));
      const int cy = static_cast<int>(std::lround(a.y + (b.y - a.y) * t));
      for (int y = cy - thickness / 2; y < cy - thickness / 2 + thickness; ++y)
        for (int x = cx - thickness / 2; x < cx - thickness / 2 + thickness; ++x)
          if (x >= 0 && y >= 0 && x < image.width && y < image.height)
            std::copy(color, color + 3, &image.rgb[(static_cast<size_t>(y) * image.width + x) * 3]);
    }
  }
}

}  // namespace ocr
