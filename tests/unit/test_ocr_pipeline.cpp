// The OCR sample's image-side steps (samples/ocr/ocr_pipeline.h) on
// hand-built data.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "ocr_pipeline.h"

using ocr::Point;
using ocr::Quad;

namespace {

// `probs` row per step with probability `p` on class `cls[t]`, the rest
// spread evenly.
std::vector<float> one_hot_steps(const std::vector<int>& cls, int classes, float p) {
  std::vector<float> probs(cls.size() * classes, (1.0f - p) / (classes - 1));
  for (size_t t = 0; t < cls.size(); ++t) probs[t * classes + cls[t]] = p;
  return probs;
}

bool near(const Point& a, const Point& b, float tolerance = 1e-3f) {
  return std::abs(a.x - b.x) <= tolerance && std::abs(a.y - b.y) <= tolerance;
}

// An image whose pixel (x, y) is (3x, 5y, 7) so that every pixel differs.
ocr::Image pattern(int width, int height) {
  ocr::Image image{width, height, std::vector<uint8_t>(static_cast<size_t>(width) * height * 3)};
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      uint8_t* p = &image.rgb[(static_cast<size_t>(y) * width + x) * 3];
      p[0] = static_cast<uint8_t>(3 * x), p[1] = static_cast<uint8_t>(5 * y), p[2] = 7;
    }
  return image;
}

const uint8_t* pixel(const ocr::Image& image, int x, int y) {
  return &image.rgb[(static_cast<size_t>(y) * image.width + x) * 3];
}

}  // namespace

TEST_CASE("ocr: CTC greedy decoding collapses repeats, drops blanks and maps the last class to a space") {
  const std::vector<std::string> keys = {"a", "b", "推"};  // classes: blank, a, b, 推, space
  // a a _ a b space 推 推 _  ->  "aab 推"
  const std::vector<float> probs = one_hot_steps({1, 1, 0, 1, 2, 4, 3, 3, 0}, 5, 0.8f);
  const ocr::Recognized r = ocr::ctc_decode(probs.data(), 9, 5, keys);
  CHECK(r.text == "aab 推");
  CHECK(r.score == doctest::Approx(0.8f));

  // The score is the mean of the kept steps' maxima only.
  std::vector<float> mixed = one_hot_steps({2, 2, 0, 1}, 5, 0.9f);
  mixed[1 * 5 + 2] = 0.1f, mixed[1 * 5 + 0] = 0.0f;  // the repeat's own probability does not count
  mixed[3 * 5 + 1] = 0.5f;
  CHECK(ocr::ctc_decode(mixed.data(), 4, 5, keys).score == doctest::Approx((0.9f + 0.5f) / 2));

  const std::vector<float> blanks = one_hot_steps({0, 0, 0}, 5, 0.99f);
  const ocr::Recognized empty = ocr::ctc_decode(blanks.data(), 3, 5, keys);
  CHECK(empty.text.empty());
  CHECK(empty.score == 0.0f);

  CHECK_THROWS_AS(ocr::ctc_decode(probs.data(), 9, 4, keys), std::runtime_error);
}

TEST_CASE("ocr: min_area_rect recovers a rotated rectangle from points inside and on it") {
  const float angle = 0.5f, half_w = 20.0f, half_h = 5.0f;
  const Point centre{50.0f, 40.0f}, u{std::cos(angle), std::sin(angle)}, v{-std::sin(angle), std::cos(angle)};
  auto at = [&](float a, float b) { return Point{centre.x + a * u.x + b * v.x, centre.y + a * u.y + b * v.y}; };
  std::vector<Point> points = {at(-half_w, -half_h), at(half_w, -half_h), at(half_w, half_h), at(-half_w, half_h)};
  for (float a = -18.0f; a <= 18.0f; a += 3.0f)
    for (float b = -4.0f; b <= 4.0f; b += 2.0f) points.push_back(at(a, b));
  const Quad q = ocr::min_area_rect(points);
  for (int i = 0; i < 4; ++i)
    CHECK_MESSAGE(std::any_of(q.begin(), q.end(), [&](const Point& c) { return near(c, points[i]); }),
                  "corner " << i << " missing");
  CHECK(ocr::quad_width(q) == doctest::Approx(40.0f).epsilon(1e-4));
  CHECK(ocr::quad_height(q) == doctest::Approx(10.0f).epsilon(1e-4));
  // Top-left is the upper of the two leftmost corners.
  CHECK(near(q[0], at(-half_w, -half_h)));

  const Quad axis = ocr::min_area_rect({{2, 3}, {9, 3}, {9, 7}, {2, 7}, {5, 5}});
  CHECK(near(axis[0], {2, 3}));
  CHECK(near(axis[1], {9, 3}));
  CHECK(near(axis[2], {9, 7}));
  CHECK(near(axis[3], {2, 7}));
}

TEST_CASE("ocr: unclip grows a rectangle by area * ratio / perimeter on every side") {
  const std::vector<Point> rect = {{0, 0}, {100, 0}, {100, 20}, {0, 20}};
  const float d = ocr::unclip_distance(rect, 1.5f);
  CHECK(d == doctest::Approx(2000.0f * 1.5f / 240.0f));
  for (const auto& polygon : {rect, std::vector<Point>(rect.rbegin(), rect.rend())}) {
    const std::vector<Point> grown = ocr::offset_convex(polygon, d);
    REQUIRE(grown.size() == 4);
    const Quad q = ocr::min_area_rect(grown);
    CHECK(near(q[0], {-d, -d}));
    CHECK(near(q[2], {100 + d, 20 + d}));
  }
}

TEST_CASE("ocr: label_regions joins 8-connected pixels above the threshold") {
  // Two regions: an L with a diagonal step (one region under 8-connectivity)
  // and a single pixel; 0.3 exactly is background.
  const int w = 6, h = 4;
  const float map[h][w] = {
      {0.9f, 0.9f, 0.0f, 0.0f, 0.0f, 0.3f},
      {0.0f, 0.0f, 0.8f, 0.0f, 0.0f, 0.0f},
      {0.0f, 0.0f, 0.8f, 0.0f, 0.0f, 0.7f},
      {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f},
  };
  int count = 0;
  const std::vector<int> labels = ocr::label_regions(&map[0][0], w, h, 0.3f, count);
  CHECK(count == 2);
  CHECK(labels[0] == 1);
  CHECK(labels[1] == 1);
  CHECK(labels[1 * w + 2] == 1);
  CHECK(labels[2 * w + 2] == 1);
  CHECK(labels[2 * w + 5] == 2);
  CHECK(labels[5] == 0);
  CHECK(std::count(labels.begin(), labels.end(), 0) == w * h - 5);
}

TEST_CASE("ocr: det_boxes scores, unclips and sorts the regions of a probability map") {
  const int w = 64, h = 32;
  std::vector<float> prob(static_cast<size_t>(w) * h, 0.0f);
  auto fill = [&](int x0, int y0, int x1, int y1, float p) {
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) prob[static_cast<size_t>(y) * w + x] = p;
  };
  fill(40, 4, 59, 8, 0.9f);   // right, a little higher
  fill(10, 5, 29, 9, 0.9f);   // left: on the same line, so first
  fill(10, 20, 29, 24, 0.9f);  // next line
  fill(40, 20, 59, 24, 0.4f);  // text pixels, but too unsure: rejected

  // Map pixels (x0..x1) span x1 - x0 = 19 by 4; unclip distance 76 * 1.5 / 46.
  const std::vector<ocr::TextBox> boxes = ocr::det_boxes(prob.data(), w, h, 2 * w, 2 * h);
  REQUIRE(boxes.size() == 3);
  const float d = 76.0f * 1.5f / 46.0f;
  CHECK(near(boxes[0].quad[0], {std::round(2 * (10 - d)), std::round(2 * (5 - d))}));
  CHECK(near(boxes[0].quad[2], {std::round(2 * (29 + d)), std::round(2 * (9 + d))}));
  CHECK(boxes[1].quad[0].x > boxes[0].quad[0].x);
  CHECK(boxes[2].quad[0].y > boxes[1].quad[0].y);
  CHECK(boxes[0].score == doctest::Approx(0.9f));
}

TEST_CASE("ocr: warp_quad copies an upright box and turns a tall one") {
  const ocr::Image image = pattern(40, 20);
  const Quad box = {Point{10, 5}, Point{30, 5}, Point{30, 15}, Point{10, 15}};
  const ocr::Image crop = ocr::warp_quad(image, box, 20, 10);
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 20; ++x) REQUIRE(std::equal(pixel(crop, x, y), pixel(crop, x, y) + 3, pixel(image, 10 + x, 5 + y)));

  // A quarter turn counter-clockwise: the crop's top row is the box's right
  // column, read downwards.
  const ocr::Image turned = ocr::warp_quad(image, ocr::rotate_quarter(box), 10, 20);
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 10; ++x) REQUIRE(std::equal(pixel(turned, x, y), pixel(turned, x, y) + 3, pixel(image, 30 - y, 5 + x)));

  // Half a turn: upside down.
  const ocr::Image flipped = ocr::warp_quad(image, ocr::rotate_half(box), 20, 10);
  CHECK(std::equal(pixel(flipped, 0, 0), pixel(flipped, 0, 0) + 3, pixel(image, 30, 15)));
}

TEST_CASE("ocr: text_input scales a crop to height 48, normalises it and pads it with zeros") {
  ocr::Image white{200, 100, std::vector<uint8_t>(200 * 100 * 3, 255)};
  const Quad box = {Point{20, 20}, Point{120, 20}, Point{120, 40}, Point{20, 40}};  // 100 x 20: 240 wide at height 48
  CHECK(ocr::rec_input_width(box) == ocr::kRecMinWidth);
  const int width = ocr::rec_input_width(box);
  const std::vector<float> input = ocr::text_input(white, box, width, width);
  REQUIRE(input.size() == static_cast<size_t>(3 * ocr::kTextHeight * width));
  for (int c = 0; c < 3; ++c) {
    const float* row = &input[static_cast<size_t>(c) * ocr::kTextHeight * width + 10 * width];
    CHECK(row[0] == 1.0f);
    CHECK(row[239] == 1.0f);
    CHECK(row[240] == 0.0f);
  }
  const Quad wide = {Point{0, 0}, Point{200, 0}, Point{200, 10}, Point{0, 10}};
  CHECK(ocr::rec_input_width(wide) == 960);
  const std::vector<float> cls = ocr::text_input(white, wide, ocr::kClsWidth, ocr::kClsWidth);
  CHECK(cls.size() == static_cast<size_t>(3 * ocr::kTextHeight * ocr::kClsWidth));
  CHECK(cls.back() == 1.0f);  // capped at the classifier width, nothing padded

  const float upside_down[2] = {0.05f, 0.95f}, unsure[2] = {0.15f, 0.85f};
  CHECK(ocr::cls_upside_down(upside_down));
  CHECK_FALSE(ocr::cls_upside_down(unsure));
}
