// RESIZE mode CUBIC: the tap weights by hand, exact reproduction of a ramp
// away from the borders, the reference against the outputs of ONNX's own
// node tests (expected values written inline), and the Vulkan kernel against
// the reference on odd sizes, up and down, for both coefficients in common
// use and with and without exclude_outside.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "common/harness.h"
#include "ops/resize.h"
#include "ops/resize_test_util.h"

namespace fennec {
namespace {

using namespace resize_test;

using schema::CoordinateTransform;
using schema::ResizeMode;


ops::ResizeParams cubic_scaled(CoordinateTransform transform, float sh, float sw,
                               float a = -0.75f, bool exclude_outside = false) {
  ops::ResizeParams p;
  p.mode = ResizeMode::CUBIC;
  p.transform = transform;
  p.scale_h = sh;
  p.scale_w = sw;
  p.cubic_coeff_a = a;
  p.exclude_outside = exclude_outside;
  return p;
}

ops::ResizeParams cubic_sized(CoordinateTransform transform, int64_t h, int64_t w,
                              float a = -0.75f, bool exclude_outside = false) {
  ops::ResizeParams p = cubic_scaled(transform, 0.0f, 0.0f, a, exclude_outside);
  p.size_h = h;
  p.size_w = w;
  return p;
}

}  // namespace

TEST_CASE("resize cubic: tap weights by hand") {
  using ops::ResizeOp;
  // Halfway between samples 2 and 3, A = -0.75: the Keys kernel at distances
  // 1.5, 0.5, 0.5, 1.5 is -0.09375, 0.59375, 0.59375, -0.09375.
  ops::CubicTaps t = ResizeOp::cubic_taps(2.5f, 8, -0.75f, false);
  CHECK(t.index[0] == 1);
  CHECK(t.index[1] == 2);
  CHECK(t.index[2] == 3);
  CHECK(t.index[3] == 4);
  CHECK(t.weight[0] == -0.09375f);
  CHECK(t.weight[1] == 0.59375f);
  CHECK(t.weight[2] == 0.59375f);
  CHECK(t.weight[3] == -0.09375f);
  // A = -0.5 at the same place: -0.0625, 0.5625, 0.5625, -0.0625.
  t = ResizeOp::cubic_taps(2.5f, 8, -0.5f, false);
  CHECK(t.weight[0] == -0.0625f);
  CHECK(t.weight[1] == 0.5625f);
  // On a sample only that sample counts.
  t = ResizeOp::cubic_taps(3.0f, 8, -0.75f, false);
  CHECK(t.index[1] == 3);
  CHECK(t.weight[0] == 0.0f);
  CHECK(t.weight[1] == 1.0f);
  CHECK(t.weight[2] == 0.0f);
  CHECK(t.weight[3] == 0.0f);
  // Near the left border the outside tap reads the edge pixel...
  t = ResizeOp::cubic_taps(0.5f, 4, -0.75f, false);
  CHECK(t.index[0] == 0);
  CHECK(t.index[1] == 0);
  CHECK(t.weight[0] == -0.09375f);
  // ...or, with exclude_outside, is dropped and the rest sum to 1:
  // 0.59375 / 1.09375 = 19/35 and -0.09375 / 1.09375 = -3/35.
  t = ResizeOp::cubic_taps(0.5f, 4, -0.75f, true);
  CHECK(t.weight[0] == 0.0f);
  CHECK(t.weight[1] == doctest::Approx(19.0 / 35.0));
  CHECK(t.weight[2] == doctest::Approx(19.0 / 35.0));
  CHECK(t.weight[3] == doctest::Approx(-3.0 / 35.0));
  // Both ends outside: coordinate -0.25 in a 2-pixel axis has taps -2..1.
  t = ResizeOp::cubic_taps(-0.25f, 2, -0.5f, true);
  CHECK(t.weight[0] == 0.0f);
  CHECK(t.weight[1] == 0.0f);
  CHECK(t.index[2] == 0);
  CHECK(t.index[3] == 1);
  CHECK(t.weight[2] + t.weight[3] == doctest::Approx(1.0));
  // Weights sum to 1 anywhere, for any A.
  for (float a : {-0.5f, -0.75f, -1.0f})
    for (float c = 1.0f; c < 2.0f; c += 0.0625f) {
      t = ResizeOp::cubic_taps(c, 8, a, false);
      CHECK(t.weight[0] + t.weight[1] + t.weight[2] + t.weight[3] == doctest::Approx(1.0));
    }
}

TEST_CASE("resize cubic: ramps and parabolas are reproduced exactly away from the borders") {
  // With A = -0.5 the Keys kernel reproduces polynomials up to degree 2, so
  // where all four taps lie inside the input, resizing v[i] = i gives the
  // coordinate c and v[i] = i * i gives c * c. Other values of A reproduce
  // constants only: A = -0.75 misses the ramp off the half-way points.
  const int64_t n = 11;
  HostTensor row(DataType::FLOAT32, {1, 1, 1, n}), column(DataType::FLOAT32, {1, 1, n, 1});
  HostTensor row_sq(DataType::FLOAT32, {1, 1, 1, n});
  for (int64_t i = 0; i < n; ++i) {
    row.as<float>()[i] = column.as<float>()[i] = static_cast<float>(i);
    row_sq.as<float>()[i] = static_cast<float>(i * i);
  }
  for (CoordinateTransform transform : {CoordinateTransform::HALF_PIXEL,
                                        CoordinateTransform::ALIGN_CORNERS,
                                        CoordinateTransform::ASYMMETRIC}) {
    for (float scale : {2.0f, 1.7f, 0.6f, 3.0f}) {
      for (bool exclude : {false, true}) {
        const auto p_w = cubic_scaled(transform, 1, scale, -0.5f, exclude);
        const HostTensor wide = reference(p_w, row);
        const HostTensor wide_sq = reference(p_w, row_sq);
        const HostTensor tall = reference(cubic_scaled(transform, scale, 1, -0.5f, exclude), column);
        const int64_t out = wide.shape[3];
        REQUIRE(tall.shape[2] == out);
        int64_t checked = 0;
        for (int64_t i = 0; i < out; ++i) {
          const float c = ops::ResizeOp::source_coordinate(transform, i, scale, n, out);
          if (std::floor(c) - 1.0f < 0.0f || std::floor(c) + 2.0f > static_cast<float>(n - 1))
            continue;
          INFO("transform ", static_cast<int>(transform), " scale ", scale, " exclude ", exclude,
               " output ", i, " coordinate ", c);
          CHECK(wide.as<float>()[i] == doctest::Approx(c).epsilon(1e-5));
          CHECK(tall.as<float>()[i] == doctest::Approx(c).epsilon(1e-5));
          CHECK(wide_sq.as<float>()[i] == doctest::Approx(c * c).epsilon(1e-5));
          ++checked;
        }
        CHECK(checked > 0);
      }
    }
  }
  // A = -0.75 at a quarter past sample 4: 4.25 would be the ramp; the kernel
  // weights -0.10546875, 0.87890625, 0.26171875, -0.03515625 on samples 3..6
  // give 4.296875.
  const HostTensor quarter = reference(cubic_scaled(CoordinateTransform::ASYMMETRIC, 1, 4), row);
  CHECK(quarter.as<float>()[17] == doctest::Approx(4.296875).epsilon(1e-6));
  // A constant plane stays constant everywhere, borders included, for any A.
  HostTensor flat(DataType::FLOAT32, {1, 1, 5, 6});
  for (float& v : flat.as<float>()) v = 2.5f;
  for (float a : {-0.5f, -0.75f, -1.0f})
    for (bool exclude : {false, true}) {
      const HostTensor y = reference(cubic_sized(CoordinateTransform::HALF_PIXEL, 9, 4, a, exclude), flat);
      for (float v : y.as<float>()) CHECK(v == doctest::Approx(2.5).epsilon(1e-6));
    }
}

// Expected values below are the outputs stored with ONNX's node tests of the
// same names (onnx/backend/test/data/node), input 1..16 in a 4x4 plane.
TEST_CASE("resize cubic: reference matches the ONNX node test outputs") {
  const HostTensor x = iota({1, 1, 4, 4});

  // test_resize_upsample_scales_cubic: scales [1,1,2,2]
  check_values(reference(cubic_scaled(CoordinateTransform::HALF_PIXEL, 2, 2), x), {1, 1, 8, 8},
               {0.47265625f, 0.76953125f, 1.24609375f, 1.875f, 2.28125f, 2.91015625f, 3.38671875f, 3.68359375f,
                1.66015625f, 1.95703125f, 2.43359375f, 3.0625f, 3.46875f, 4.09765625f, 4.57421875f, 4.87109375f,
                3.56640625f, 3.86328125f, 4.33984375f, 4.96875f, 5.375f, 6.00390625f, 6.48046875f, 6.77734375f,
                6.08203125f, 6.37890625f, 6.85546875f, 7.484375f, 7.890625f, 8.51953125f, 8.99609375f, 9.29296875f,
                7.70703125f, 8.00390625f, 8.48046875f, 9.109375f, 9.515625f, 10.1445312f, 10.6210938f, 10.9179688f,
                10.2226562f, 10.5195312f, 10.9960938f, 11.625f, 12.03125f, 12.6601562f, 13.1367188f, 13.4335938f,
                12.1289062f, 12.4257812f, 12.9023438f, 13.53125f, 13.9375f, 14.5664062f, 15.0429688f, 15.3398438f,
                13.3164062f, 13.6132812f, 14.0898438f, 14.71875f, 15.125f, 15.7539062f, 16.2304688f, 16.5273438f});

  // test_resize_upsample_scales_cubic_A_n0p5_exclude_outside
  check_values(
      reference(cubic_scaled(CoordinateTransform::HALF_PIXEL, 2, 2, -0.5f, true), x), {1, 1, 8, 8},
      {0.558823526f, 0.814942062f, 1.35698247f, 1.89705884f, 2.39705873f, 2.93713522f, 3.47917557f, 3.7352941f,
       1.58329761f, 1.83941603f, 2.38145661f, 2.92153287f, 3.42153287f, 3.96160913f, 4.50364971f, 4.75976801f,
       3.75145936f, 4.0075779f, 4.54961824f, 5.0896945f, 5.5896945f, 6.12977076f, 6.67181158f, 6.92792988f,
       5.91176462f, 6.1678834f, 6.70992374f, 7.25f, 7.75f, 8.29007626f, 8.83211708f, 9.0882349f,
       7.91176462f, 8.16788292f, 8.70992374f, 9.25f, 9.75f, 10.2900763f, 10.8321171f, 11.0882349f,
       10.0720701f, 10.3281889f, 10.8702288f, 11.410305f, 11.910305f, 12.4503813f, 12.9924221f, 13.2485409f,
       12.2402315f, 12.4963503f, 13.0383911f, 13.5784674f, 14.0784674f, 14.6185436f, 15.1605835f, 15.4167023f,
       13.2647057f, 13.5208244f, 14.0628653f, 14.6029415f, 15.1029415f, 15.6430178f, 16.1850586f, 16.4411774f});

  // test_resize_upsample_scales_cubic_asymmetric
  check_values(reference(cubic_scaled(CoordinateTransform::ASYMMETRIC, 2, 2), x), {1, 1, 8, 8},
               {1, 1.40625f, 2, 2.5f, 3, 3.59375f, 4, 4.09375f,
                2.625f, 3.03125f, 3.625f, 4.125f, 4.625f, 5.21875f, 5.625f, 5.71875f,
                5, 5.40625f, 6, 6.5f, 7, 7.59375f, 8, 8.09375f,
                7, 7.40625f, 8, 8.5f, 9, 9.59375f, 10, 10.09375f,
                9, 9.40625f, 10, 10.5f, 11, 11.59375f, 12, 12.09375f,
                11.375f, 11.78125f, 12.375f, 12.875f, 13.375f, 13.96875f, 14.375f, 14.46875f,
                13, 13.40625f, 14, 14.5f, 15, 15.59375f, 16, 16.09375f,
                13.375f, 13.78125f, 14.375f, 14.875f, 15.375f, 15.96875f, 16.375f, 16.46875f});

  // test_resize_downsample_scales_cubic: scales [1,1,0.8,0.8]
  check_values(reference(cubic_scaled(CoordinateTransform::HALF_PIXEL, 0.8f, 0.8f), x),
               {1, 1, 3, 3},
               {1.47119141f, 2.78125f, 4.08251953f,  //
                6.71142578f, 8.02148438f, 9.32275391f,  //
                11.9165039f, 13.2265625f, 14.527832f});

  // test_resize_downsample_scales_cubic_A_n0p5_exclude_outside
  check_values(
      reference(cubic_scaled(CoordinateTransform::HALF_PIXEL, 0.8f, 0.8f, -0.5f, true), x),
      {1, 1, 3, 3},
      {1.36812675f, 2.6695013f, 4.01333666f,  //
       6.57362509f, 7.875f, 9.21883488f,      //
       11.948966f, 13.2503414f, 14.5941763f});

  // test_resize_downsample_sizes_cubic: sizes [1,1,3,3]
  check_values(reference(cubic_sized(CoordinateTransform::HALF_PIXEL, 3, 3), x), {1, 1, 3, 3},
               {1.63078701f, 3.00462961f, 4.37847233f,  //
                7.12615728f, 8.5f, 9.87384224f,         //
                12.6215277f, 13.9953699f, 15.3692131f});
}

TEST_CASE("resize cubic: vulkan matches the reference") {
  struct Geometry {
    Shape in;
    float sh, sw;   // used for the scaled variant
    int64_t h, w;   // used for the sized variant
  };
  const Geometry geometries[] = {
      {{1, 2, 7, 9}, 2.0f, 3.0f, 14, 27},   // integer upscale
      {{1, 2, 13, 11}, 0.5f, 0.6f, 6, 7},   // downscale
      {{2, 1, 5, 7}, 1.5f, 2.3f, 8, 16},    // non-integer upscale
      {{1, 3, 9, 8}, 0.75f, 1.7f, 5, 13},   // mixed: h down, w up
      {{1, 1, 3, 2}, 3.0f, 2.5f, 1, 1},     // planes smaller than the 4 taps
  };
  uint32_t seed = 300;
  for (CoordinateTransform transform : kTransforms)
    for (const Geometry& g : geometries)
      for (float a : {-0.75f, -0.5f})
        for (bool exclude : {false, true}) {
          check_vulkan(cubic_scaled(transform, g.sh, g.sw, a, exclude), g.in, seed++);
          check_vulkan(cubic_sized(transform, g.h, g.w, a, exclude), g.in, seed++);
        }
  // Odd element counts and a larger plane.
  check_vulkan(cubic_sized(CoordinateTransform::HALF_PIXEL, 127, 1), {1, 1, 9, 2}, seed++);
  check_vulkan(cubic_sized(CoordinateTransform::HALF_PIXEL, 1, 4099), {1, 1, 1, 7}, seed++);
  check_vulkan(cubic_scaled(CoordinateTransform::PYTORCH_HALF_PIXEL, 2, 2, -0.5f, true),
               {1, 4, 33, 47}, seed++);
}

}  // namespace fennec
