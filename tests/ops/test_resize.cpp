// RESIZE: coordinate transforms, shape inference and options, the reference
// against the ONNX documentation examples (expected values written inline),
// and the Vulkan kernel against the reference for every transform, rounding
// mode and interpolation on odd sizes. Cubic: tests/ops/test_resize_cubic.cpp.
#include <doctest/doctest.h>

#include <vector>

#include "common/harness.h"
#include "ops/resize.h"
#include "ops/resize_test_util.h"

namespace fennec {
namespace {

using namespace resize_test;

using schema::CoordinateTransform;
using schema::NearestRounding;
using schema::ResizeMode;

constexpr NearestRounding kRoundings[] = {
    NearestRounding::ROUND_PREFER_FLOOR, NearestRounding::ROUND_PREFER_CEIL,
    NearestRounding::FLOOR, NearestRounding::CEIL};

ops::ResizeParams scaled(ResizeMode mode, CoordinateTransform transform, float sh, float sw,
                         NearestRounding rounding = NearestRounding::ROUND_PREFER_FLOOR) {
  ops::ResizeParams p;
  p.mode = mode;
  p.transform = transform;
  p.rounding = rounding;
  p.scale_h = sh;
  p.scale_w = sw;
  return p;
}

ops::ResizeParams sized(ResizeMode mode, CoordinateTransform transform, int64_t h, int64_t w,
                        NearestRounding rounding = NearestRounding::ROUND_PREFER_FLOOR) {
  ops::ResizeParams p;
  p.mode = mode;
  p.transform = transform;
  p.rounding = rounding;
  p.size_h = h;
  p.size_w = w;
  return p;
}

using testing::tensor;

Shape output_shape(const ops::ResizeParams& p, const Shape& in) {
  ops::ResizeOp op(p);
  std::vector<Shape> out;
  const Shape ins[] = {in};
  const Status s = op.infer_shapes(ins, out);
  REQUIRE_MESSAGE(s.ok(), s.to_string());
  return out[0];
}

}  // namespace

TEST_CASE("resize: source_coordinate implements the ONNX transforms") {
  using ops::ResizeOp;
  // half_pixel: (x + 0.5) / scale - 0.5
  CHECK(ResizeOp::source_coordinate(CoordinateTransform::HALF_PIXEL, 0, 2.0f, 4, 8) == -0.25f);
  CHECK(ResizeOp::source_coordinate(CoordinateTransform::HALF_PIXEL, 3, 2.0f, 4, 8) == 1.25f);
  // asymmetric: x / scale
  CHECK(ResizeOp::source_coordinate(CoordinateTransform::ASYMMETRIC, 3, 2.0f, 4, 8) == 1.5f);
  CHECK(ResizeOp::source_coordinate(CoordinateTransform::ASYMMETRIC, 5, 0.5f, 12, 6) == 10.0f);
  // align_corners: x * (in - 1) / (out - 1), 0 for a single output
  CHECK(ResizeOp::source_coordinate(CoordinateTransform::ALIGN_CORNERS, 3, 2.0f, 4, 8) ==
        doctest::Approx(9.0 / 7.0));
  CHECK(ResizeOp::source_coordinate(CoordinateTransform::ALIGN_CORNERS, 7, 2.0f, 4, 8) == 3.0f);
  CHECK(ResizeOp::source_coordinate(CoordinateTransform::ALIGN_CORNERS, 0, 0.25f, 4, 1) == 0.0f);
  // pytorch_half_pixel: half_pixel, but 0 for a single output
  CHECK(ResizeOp::source_coordinate(CoordinateTransform::PYTORCH_HALF_PIXEL, 1, 2.0f, 4, 8) ==
        0.25f);
  CHECK(ResizeOp::source_coordinate(CoordinateTransform::PYTORCH_HALF_PIXEL, 0, 0.25f, 4, 1) ==
        0.0f);
  CHECK(ResizeOp::source_coordinate(CoordinateTransform::HALF_PIXEL, 0, 0.25f, 4, 1) == 1.5f);
  // tf_half_pixel_for_nearest: (x + 0.5) / scale
  CHECK(ResizeOp::source_coordinate(CoordinateTransform::TF_HALF_PIXEL_FOR_NEAREST, 1, 2.0f, 4,
                                    8) == 0.75f);
}

TEST_CASE("resize: infer_shapes") {
  const int64_t U = kUnknownDim;
  CHECK(output_shape(scaled(ResizeMode::NEAREST, CoordinateTransform::ASYMMETRIC, 2, 2),
                     {1, 3, 13, 17}) == Shape{1, 3, 26, 34});
  CHECK(output_shape(scaled(ResizeMode::NEAREST, CoordinateTransform::ASYMMETRIC, 2, 4),
                     {U, 3, U, 5}) == Shape{U, 3, U, 20});
  // floor(in * scale)
  CHECK(output_shape(scaled(ResizeMode::NEAREST, CoordinateTransform::HALF_PIXEL, 0.6f, 0.6f),
                     {1, 1, 2, 4}) == Shape{1, 1, 1, 2});
  CHECK(output_shape(scaled(ResizeMode::LINEAR, CoordinateTransform::HALF_PIXEL, 1.5f, 2.3f),
                     {1, 1, 5, 7}) == Shape{1, 1, 7, 16});
  CHECK(output_shape(sized(ResizeMode::NEAREST, CoordinateTransform::HALF_PIXEL, 7, 8),
                     {2, 3, U, U}) == Shape{2, 3, 7, 8});

  std::vector<Shape> out;
  ops::ResizeOp op(scaled(ResizeMode::NEAREST, CoordinateTransform::HALF_PIXEL, 2, 2));
  const Shape rank3[] = {{1, 4, 4}};
  Status s = op.infer_shapes(rank3, out);
  CHECK(!s.ok());
  CHECK(s.message().find("RESIZE") != std::string::npos);
  const Shape two[] = {{1, 1, 4, 4}, {4}};
  CHECK(op.infer_shapes(two, out).code() == StatusCode::kInvalidModel);
  ops::ResizeOp tiny(scaled(ResizeMode::NEAREST, CoordinateTransform::HALF_PIXEL, 0.1f, 1));
  const Shape small[] = {{1, 1, 4, 4}};
  s = tiny.infer_shapes(small, out);
  CHECK(s.code() == StatusCode::kInvalidModel);
  CHECK(s.message().find("empty output") != std::string::npos);
}

TEST_CASE("resize: options round-trip and validation") {
  const auto build = [](flatbuffers::FlatBufferBuilder& fbb, std::vector<float> scales,
                        std::vector<int64_t> sizes) {
    auto sc = scales.empty() ? 0 : fbb.CreateVector(scales);
    auto sz = sizes.empty() ? 0 : fbb.CreateVector(sizes);
    auto options = schema::CreateResizeOptions(fbb, ResizeMode::LINEAR,
                                               CoordinateTransform::ALIGN_CORNERS,
                                               NearestRounding::CEIL, sc, sz);
    fbb.Finish(schema::CreateOperator(fbb, schema::OpType::RESIZE, 0, 0, 0,
                                      schema::OpOptions::ResizeOptions, options.Union()));
    return ops::make_op(*flatbuffers::GetRoot<schema::Operator>(fbb.GetBufferPointer()));
  };

  ops::ResizeParams cubic = scaled(ResizeMode::CUBIC, CoordinateTransform::HALF_PIXEL, 2, 0.5f);
  cubic.cubic_coeff_a = -0.5f;
  cubic.exclude_outside = true;
  for (const ops::ResizeParams& p :
       {scaled(ResizeMode::NEAREST, CoordinateTransform::ASYMMETRIC, 2, 4, NearestRounding::FLOOR),
        sized(ResizeMode::LINEAR, CoordinateTransform::PYTORCH_HALF_PIXEL, 7, 9), cubic}) {
    ops::ResizeOp op(p);
    flatbuffers::FlatBufferBuilder fbb;
    auto [options_type, options] = op.write_options(fbb);
    fbb.Finish(schema::CreateOperator(fbb, schema::OpType::RESIZE, 0, 0, 0, options_type, options));
    const auto* parsed = flatbuffers::GetRoot<schema::Operator>(fbb.GetBufferPointer());
    if (p.scale_h > 0) {
      REQUIRE(parsed->options_as_ResizeOptions()->scales() != nullptr);
      CHECK(parsed->options_as_ResizeOptions()->scales()->size() == 4);
    } else {
      REQUIRE(parsed->options_as_ResizeOptions()->sizes() != nullptr);
      CHECK(parsed->options_as_ResizeOptions()->sizes()->size() == 2);
    }
    auto made = ops::make_op(*parsed);
    REQUIRE_MESSAGE(made.ok(), made.status().to_string());
    const ops::ResizeParams& back = static_cast<ops::ResizeOp&>(*made.value()).params();
    CHECK(back.mode == p.mode);
    CHECK(back.transform == p.transform);
    CHECK(back.rounding == p.rounding);
    CHECK(back.scale_h == p.scale_h);
    CHECK(back.scale_w == p.scale_w);
    CHECK(back.size_h == p.size_h);
    CHECK(back.size_w == p.size_w);
    CHECK(back.cubic_coeff_a == p.cubic_coeff_a);
    CHECK(back.exclude_outside == p.exclude_outside);
  }

  {
    flatbuffers::FlatBufferBuilder fbb;
    auto made = build(fbb, {1, 1, 2, 3}, {});
    REQUIRE(made.ok());
    const ops::ResizeParams& p = static_cast<ops::ResizeOp&>(*made.value()).params();
    CHECK(p.scale_w == 3.0f);
    // Options written without the cubic fields read back the ONNX defaults.
    CHECK(p.cubic_coeff_a == -0.75f);
    CHECK(!p.exclude_outside);
  }
  {
    flatbuffers::FlatBufferBuilder fbb;
    CHECK(build(fbb, {}, {}).status().code() == StatusCode::kInvalidModel);  // neither
  }
  {
    flatbuffers::FlatBufferBuilder fbb;
    CHECK(build(fbb, {1, 1, 2, 2}, {4, 4}).status().code() == StatusCode::kInvalidModel);
  }
  {
    flatbuffers::FlatBufferBuilder fbb;
    CHECK(build(fbb, {2, 2}, {}).status().code() == StatusCode::kInvalidModel);
  }
  {
    flatbuffers::FlatBufferBuilder fbb;
    CHECK(build(fbb, {1, 1, -2, 2}, {}).status().code() == StatusCode::kInvalidModel);
  }
  {
    flatbuffers::FlatBufferBuilder fbb;
    CHECK(build(fbb, {1, 2, 2, 2}, {}).status().code() == StatusCode::kUnsupported);
  }
  {
    flatbuffers::FlatBufferBuilder fbb;
    CHECK(build(fbb, {}, {1, 1, 4, 4}).status().code() == StatusCode::kInvalidModel);
  }
  {
    flatbuffers::FlatBufferBuilder fbb;
    CHECK(build(fbb, {}, {0, 4}).status().code() == StatusCode::kInvalidModel);
  }
  {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(schema::CreateOperator(fbb, schema::OpType::RESIZE));
    CHECK(ops::make_op(*flatbuffers::GetRoot<schema::Operator>(fbb.GetBufferPointer()))
              .status()
              .code() == StatusCode::kInvalidModel);
  }
}

// Expected values below are the outputs given in the ONNX operator
// documentation (onnx/docs/Operators.md, Resize examples).
TEST_CASE("resize: nearest reference matches the ONNX documentation examples") {
  const HostTensor x22 = iota({1, 1, 2, 2});
  const HostTensor x24 = iota({1, 1, 2, 4});
  const HostTensor x44 = iota({1, 1, 4, 4});

  // resize_upsample_scales_nearest: scales [1,1,2,3]
  check_values(reference(scaled(ResizeMode::NEAREST, CoordinateTransform::HALF_PIXEL, 2, 3), x22),
               {1, 1, 4, 6},
               {1, 1, 1, 2, 2, 2,  //
                1, 1, 1, 2, 2, 2,  //
                3, 3, 3, 4, 4, 4,  //
                3, 3, 3, 4, 4, 4});
  // resize_downsample_scales_nearest: scales [1,1,0.6,0.6]
  check_values(
      reference(scaled(ResizeMode::NEAREST, CoordinateTransform::HALF_PIXEL, 0.6f, 0.6f), x24),
      {1, 1, 1, 2}, {1, 3});
  // resize_upsample_sizes_nearest: sizes [1,1,7,8]
  check_values(reference(sized(ResizeMode::NEAREST, CoordinateTransform::HALF_PIXEL, 7, 8), x22),
               {1, 1, 7, 8},
               {1, 1, 1, 1, 2, 2, 2, 2,  //
                1, 1, 1, 1, 2, 2, 2, 2,  //
                1, 1, 1, 1, 2, 2, 2, 2,  //
                1, 1, 1, 1, 2, 2, 2, 2,  //
                3, 3, 3, 3, 4, 4, 4, 4,  //
                3, 3, 3, 3, 4, 4, 4, 4,  //
                3, 3, 3, 3, 4, 4, 4, 4});
  // resize_downsample_sizes_nearest: sizes [1,1,1,3]
  check_values(reference(sized(ResizeMode::NEAREST, CoordinateTransform::HALF_PIXEL, 1, 3), x24),
               {1, 1, 1, 3}, {1, 2, 4});
  // resize_upsample_sizes_nearest_ceil_half_pixel: sizes [1,1,8,8], nearest_mode ceil
  const std::vector<float> ceil_half_pixel = {
      1,  2,  2,  3,  3,  4,  4,  4,   //
      5,  6,  6,  7,  7,  8,  8,  8,   //
      5,  6,  6,  7,  7,  8,  8,  8,   //
      9,  10, 10, 11, 11, 12, 12, 12,  //
      9,  10, 10, 11, 11, 12, 12, 12,  //
      13, 14, 14, 15, 15, 16, 16, 16,  //
      13, 14, 14, 15, 15, 16, 16, 16,  //
      13, 14, 14, 15, 15, 16, 16, 16};
  check_values(reference(sized(ResizeMode::NEAREST, CoordinateTransform::HALF_PIXEL, 8, 8,
                               NearestRounding::CEIL),
                         x44),
               {1, 1, 8, 8}, ceil_half_pixel);
  // resize_upsample_sizes_nearest_floor_align_corners: sizes [1,1,8,8]
  check_values(reference(sized(ResizeMode::NEAREST, CoordinateTransform::ALIGN_CORNERS, 8, 8,
                               NearestRounding::FLOOR),
                         x44),
               {1, 1, 8, 8},
               {1,  1,  1,  2,  2,  3,  3,  4,   //
                1,  1,  1,  2,  2,  3,  3,  4,   //
                1,  1,  1,  2,  2,  3,  3,  4,   //
                5,  5,  5,  6,  6,  7,  7,  8,   //
                5,  5,  5,  6,  6,  7,  7,  8,   //
                9,  9,  9,  10, 10, 11, 11, 12,  //
                9,  9,  9,  10, 10, 11, 11, 12,  //
                13, 13, 13, 14, 14, 15, 15, 16});
  // resize_upsample_sizes_nearest_round_prefer_ceil_asymmetric: sizes [1,1,8,8]
  check_values(reference(sized(ResizeMode::NEAREST, CoordinateTransform::ASYMMETRIC, 8, 8,
                               NearestRounding::ROUND_PREFER_CEIL),
                         x44),
               {1, 1, 8, 8}, ceil_half_pixel);
}

TEST_CASE("resize: linear reference matches the ONNX documentation examples") {
  const HostTensor x22 = iota({1, 1, 2, 2});
  const HostTensor x24 = iota({1, 1, 2, 4});
  const HostTensor x44 = iota({1, 1, 4, 4});

  // resize_upsample_scales_linear: scales [1,1,2,2]
  check_values(reference(scaled(ResizeMode::LINEAR, CoordinateTransform::HALF_PIXEL, 2, 2), x22),
               {1, 1, 4, 4},
               {1, 1.25f, 1.75f, 2,       //
                1.5f, 1.75f, 2.25f, 2.5f,  //
                2.5f, 2.75f, 3.25f, 3.5f,  //
                3, 3.25f, 3.75f, 4});
  // resize_upsample_scales_linear_align_corners: scales [1,1,2,2]
  check_values(
      reference(scaled(ResizeMode::LINEAR, CoordinateTransform::ALIGN_CORNERS, 2, 2), x22),
      {1, 1, 4, 4},
      {1, 1.3333333f, 1.6666667f, 2,                  //
       1.6666667f, 2, 2.3333333f, 2.6666667f,         //
       2.3333333f, 2.6666667f, 3, 3.3333333f,         //
       3, 3.3333333f, 3.6666667f, 4});
  // resize_downsample_scales_linear: scales [1,1,0.6,0.6]
  check_values(
      reference(scaled(ResizeMode::LINEAR, CoordinateTransform::HALF_PIXEL, 0.6f, 0.6f), x24),
      {1, 1, 1, 2}, {2.6666665f, 4.3333331f});
  // resize_downsample_sizes_linear_pytorch_half_pixel: sizes [1,1,3,1]
  check_values(
      reference(sized(ResizeMode::LINEAR, CoordinateTransform::PYTORCH_HALF_PIXEL, 3, 1), x44),
      {1, 1, 3, 1}, {1.6666666f, 7.0f, 12.333333f});
  // resize_downsample_scales_linear_align_corners (scales 0.6): ONNX divides
  // by the unfloored resized length 4 * 0.6 - 1 = 1.4, so x = 3 / 1.4 and the
  // result is [1, 3.142857] (onnxruntime divides by the floored length 2 - 1
  // and gives [1, 4]; the two agree whenever sizes or integral scales are given).
  check_values(
      reference(scaled(ResizeMode::LINEAR, CoordinateTransform::ALIGN_CORNERS, 0.6f, 0.6f), x24),
      {1, 1, 1, 2}, {1, 3.142857f});
}

TEST_CASE("resize: hand-computed tf_half_pixel_for_nearest and rounding ties") {
  const HostTensor row4 = tensor({1, 1, 1, 4}, {1, 2, 3, 4});
  // Width 4 -> 2 (scale 0.5): x = (i + 0.5) / 0.5 = 1, 3.
  check_values(reference(sized(ResizeMode::NEAREST, CoordinateTransform::TF_HALF_PIXEL_FOR_NEAREST,
                               1, 2),
                         row4),
               {1, 1, 1, 2}, {2, 4});
  // Width 2 -> 4 (scale 2): x = 0.25, 0.75, 1.25, 1.75 -> 0, 1, 1, 2 (clamped to 1).
  const HostTensor row2 = tensor({1, 1, 1, 2}, {5, 6});
  check_values(reference(scaled(ResizeMode::NEAREST,
                                CoordinateTransform::TF_HALF_PIXEL_FOR_NEAREST, 1, 2),
                         row2),
               {1, 1, 1, 4}, {5, 6, 6, 6});
  // Asymmetric x2 hits exact .5 ties: x = 0, 0.5, 1, 1.5, ... over 1..4.
  const std::pair<NearestRounding, std::vector<float>> ties[] = {
      {NearestRounding::ROUND_PREFER_FLOOR, {1, 1, 2, 2, 3, 3, 4, 4}},
      {NearestRounding::ROUND_PREFER_CEIL, {1, 2, 2, 3, 3, 4, 4, 4}},
      {NearestRounding::FLOOR, {1, 1, 2, 2, 3, 3, 4, 4}},
      {NearestRounding::CEIL, {1, 2, 2, 3, 3, 4, 4, 4}},
  };
  for (const auto& [rounding, want] : ties)
    check_values(
        reference(scaled(ResizeMode::NEAREST, CoordinateTransform::ASYMMETRIC, 1, 2, rounding),
                  row4),
        {1, 1, 1, 8}, want);
  // Half-pixel x3 down to width 1 of 1..4 with scale 0.25: x = 0.5 / 0.25 - 0.5 = 1.5.
  check_values(reference(scaled(ResizeMode::NEAREST, CoordinateTransform::HALF_PIXEL, 1, 0.25f,
                                NearestRounding::ROUND_PREFER_FLOOR),
                         row4),
               {1, 1, 1, 1}, {2});
  check_values(reference(scaled(ResizeMode::NEAREST, CoordinateTransform::HALF_PIXEL, 1, 0.25f,
                                NearestRounding::ROUND_PREFER_CEIL),
                         row4),
               {1, 1, 1, 1}, {3});
  // Linear half-pixel 1..4 -> width 1 at x = 1.5: 2.5.
  check_values(
      reference(scaled(ResizeMode::LINEAR, CoordinateTransform::HALF_PIXEL, 1, 0.25f), row4),
      {1, 1, 1, 1}, {2.5f});
}

TEST_CASE("resize: vulkan - PaddleOCR upsampling (nearest asymmetric floor)") {
  for (float s : {2.0f, 4.0f, 8.0f}) {
    const auto p = scaled(ResizeMode::NEAREST, CoordinateTransform::ASYMMETRIC, s, s,
                          NearestRounding::FLOOR);
    check_vulkan(p, {1, 3, 13, 17});
    check_vulkan(p, {2, 5, 7, 9});
    check_vulkan(p, {1, 1, 1, 1});
  }
}

TEST_CASE("resize: vulkan - odd output element counts") {
  const auto nearest = [](int64_t h, int64_t w) {
    return sized(ResizeMode::NEAREST, CoordinateTransform::HALF_PIXEL, h, w);
  };
  const auto linear = [](int64_t h, int64_t w) {
    return sized(ResizeMode::LINEAR, CoordinateTransform::HALF_PIXEL, h, w);
  };
  check_vulkan(nearest(1, 1), {1, 1, 3, 5});      // 1
  check_vulkan(nearest(1, 13), {1, 1, 2, 5});     // 13
  check_vulkan(nearest(127, 1), {1, 1, 9, 2});    // 127
  check_vulkan(nearest(1, 4099), {1, 1, 1, 7});   // 4099
  check_vulkan(linear(1, 1), {1, 1, 3, 5});
  check_vulkan(linear(1, 13), {1, 1, 2, 5});
  check_vulkan(linear(127, 1), {1, 1, 9, 2});
  check_vulkan(linear(1, 4099), {1, 1, 1, 7});
}

TEST_CASE("resize: vulkan - every transform and rounding by scales and by sizes") {
  struct Geometry {
    Shape in;
    float sh, sw;      // used for the scaled variant
    int64_t h, w;      // used for the sized variant
  };
  const Geometry geometries[] = {
      {{1, 2, 7, 9}, 2.0f, 3.0f, 14, 27},    // integer upscale
      {{1, 2, 13, 11}, 0.5f, 0.6f, 6, 7},    // downscale
      {{2, 1, 5, 7}, 1.5f, 2.3f, 8, 16},     // non-integer upscale
      {{1, 3, 9, 8}, 0.75f, 1.7f, 5, 13},    // mixed: h down, w up
      {{1, 1, 4, 6}, 1.0f, 2.5f, 4, 15},     // one axis unscaled
  };
  uint32_t seed = 50;
  for (CoordinateTransform transform : kTransforms) {
    for (const Geometry& g : geometries) {
      for (NearestRounding rounding : kRoundings) {
        check_vulkan(scaled(ResizeMode::NEAREST, transform, g.sh, g.sw, rounding), g.in, seed++);
        check_vulkan(sized(ResizeMode::NEAREST, transform, g.h, g.w, rounding), g.in, seed++);
      }
      check_vulkan(scaled(ResizeMode::LINEAR, transform, g.sh, g.sw), g.in, seed++);
      check_vulkan(sized(ResizeMode::LINEAR, transform, g.h, g.w), g.in, seed++);
    }
  }
}

TEST_CASE("resize: vulkan - bilinear on larger planes") {
  check_vulkan(scaled(ResizeMode::LINEAR, CoordinateTransform::HALF_PIXEL, 2, 2), {1, 4, 33, 47});
  check_vulkan(scaled(ResizeMode::LINEAR, CoordinateTransform::ALIGN_CORNERS, 4, 4),
               {1, 2, 17, 13});
  check_vulkan(sized(ResizeMode::LINEAR, CoordinateTransform::PYTORCH_HALF_PIXEL, 64, 1),
               {1, 3, 31, 29});
  check_vulkan(scaled(ResizeMode::LINEAR, CoordinateTransform::ASYMMETRIC, 0.3f, 0.45f),
               {2, 2, 61, 67});
}

}  // namespace fennec
