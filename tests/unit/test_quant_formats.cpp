// Weight encodings of runtime/src/quant: scalar codecs (fp16, FP8 E4M3,
// UE8M0) pinned against hand-computed bytes, and the MX FP8 / int8 / int4
// matrix layouts with their round-trip error bounds.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "quant/blocks.h"
#include "quant/formats.h"
#include "quant/weight_format.h"

namespace fennec {
namespace {

using namespace quant;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

float pow2(int e) { return std::ldexp(1.0f, e); }

std::vector<float> random_values(size_t n, uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

}  // namespace

TEST_CASE("quant fp8 e4m3: edge values encode to hand-computed bytes") {
  CHECK(float_to_e4m3(0.0f) == 0x00);
  CHECK(float_to_e4m3(-0.0f) == 0x80);
  CHECK(float_to_e4m3(pow2(-9)) == 0x01);           // min subnormal
  CHECK(float_to_e4m3(-pow2(-9)) == 0x81);
  CHECK(float_to_e4m3(7.0f * pow2(-9)) == 0x07);    // largest subnormal
  CHECK(float_to_e4m3(pow2(-6)) == 0x08);           // min normal
  CHECK(float_to_e4m3(1.0f) == 0x38);
  CHECK(float_to_e4m3(-1.0f) == 0xB8);
  CHECK(float_to_e4m3(448.0f) == 0x7E);
  CHECK(float_to_e4m3(-448.0f) == 0xFE);
  // Saturation: 464 is halfway from 448 to the missing 480; beyond saturates too.
  CHECK(float_to_e4m3(463.9f) == 0x7E);
  CHECK(float_to_e4m3(464.0f) == 0x7E);
  CHECK(float_to_e4m3(1000.0f) == 0x7E);
  CHECK(float_to_e4m3(std::numeric_limits<float>::max()) == 0x7E);
  CHECK(float_to_e4m3(kInf) == 0x7E);
  CHECK(float_to_e4m3(-1000.0f) == 0xFE);
  CHECK(float_to_e4m3(-kInf) == 0xFE);
  CHECK(float_to_e4m3(kNaN) == 0x7F);
  CHECK(float_to_e4m3(-kNaN) == 0x7F);
  // Ties to even.
  CHECK(float_to_e4m3(1.0625f) == 0x38);            // between 1.0 (0x38) and 1.125 (0x39)
  CHECK(float_to_e4m3(1.1875f) == 0x3A);            // between 1.125 (0x39) and 1.25 (0x3A)
  CHECK(float_to_e4m3(432.0f) == 0x7E);             // between 416 (0x7D) and 448 (0x7E)
  CHECK(float_to_e4m3(3.0f * pow2(-10)) == 0x02);   // between 0x01 and 0x02 (subnormal tie)
  CHECK(float_to_e4m3(15.0f * pow2(-10)) == 0x08);  // between 7*2^-9 and 2^-6: carries into the normals
  // Not a tie: nearest.
  CHECK(float_to_e4m3(std::nextafter(1.0625f, 2.0f)) == 0x39);
  CHECK(float_to_e4m3(std::nextafter(1.0625f, 0.0f)) == 0x38);
  // Underflow: half the min subnormal ties to 0, anything above rounds up.
  CHECK(float_to_e4m3(pow2(-10)) == 0x00);
  CHECK(float_to_e4m3(-pow2(-10)) == 0x80);
  CHECK(float_to_e4m3(std::nextafter(pow2(-10), 1.0f)) == 0x01);
  CHECK(float_to_e4m3(0.9f * pow2(-10)) == 0x00);
  CHECK(float_to_e4m3(std::numeric_limits<float>::denorm_min()) == 0x00);
}

TEST_CASE("quant fp8 e4m3: all 256 codes decode exactly and round-trip") {
  CHECK(e4m3_to_float(0x00) == 0.0f);
  CHECK(std::signbit(e4m3_to_float(0x80)));
  CHECK(e4m3_to_float(0x01) == pow2(-9));
  CHECK(e4m3_to_float(0x07) == 7.0f * pow2(-9));
  CHECK(e4m3_to_float(0x08) == pow2(-6));
  CHECK(e4m3_to_float(0x38) == 1.0f);
  CHECK(e4m3_to_float(0x39) == 1.125f);
  CHECK(e4m3_to_float(0x7E) == 448.0f);
  CHECK(e4m3_to_float(0xFE) == -448.0f);
  CHECK(std::isnan(e4m3_to_float(0x7F)));
  CHECK(std::isnan(e4m3_to_float(0xFF)));
  int nans = 0;
  for (int c = 0; c < 256; ++c) {
    const auto code = static_cast<uint8_t>(c);
    const float v = e4m3_to_float(code);
    if (std::isnan(v)) {
      ++nans;
      CHECK(e4m3_is_nan(code));
      continue;
    }
    CHECK(!std::isinf(v));
    CHECK(float_to_e4m3(v) == code);
    CHECK(e4m3_to_float(static_cast<uint8_t>(c ^ 0x80)) == -v);
  }
  CHECK(nans == 2);
  for (int c = 1; c <= 0x7E; ++c)
    CHECK(e4m3_to_float(static_cast<uint8_t>(c)) > e4m3_to_float(static_cast<uint8_t>(c - 1)));
}

TEST_CASE("quant ue8m0: codes are powers of two, 0xFF is NaN") {
  CHECK(ue8m0_to_float(127) == 1.0f);
  CHECK(ue8m0_to_float(0) == pow2(-127));
  CHECK(ue8m0_to_float(254) == pow2(127));
  CHECK(ue8m0_to_float(130) == 8.0f);
  CHECK(std::isnan(ue8m0_to_float(0xFF)));
  CHECK(ue8m0_from_exponent(0) == 127);
  CHECK(ue8m0_from_exponent(-127) == 0);
  CHECK(ue8m0_from_exponent(127) == 254);
  CHECK(ue8m0_from_exponent(-500) == 0);    // clamped
  CHECK(ue8m0_from_exponent(500) == 254);   // clamped, never the NaN code
  CHECK(ue8m0_exponent(120) == -7);
}

TEST_CASE("quant fp16: edges, rounding and exact decode") {
  CHECK(float_to_fp16(0.0f) == 0x0000);
  CHECK(float_to_fp16(-0.0f) == 0x8000);
  CHECK(float_to_fp16(1.0f) == 0x3C00);
  CHECK(float_to_fp16(-2.0f) == 0xC000);
  CHECK(float_to_fp16(65504.0f) == 0x7BFF);
  CHECK(float_to_fp16(65519.0f) == 0x7BFF);
  CHECK(float_to_fp16(65520.0f) == 0x7C00);   // tie between 65504 and 2^16 rounds to even: infinity
  CHECK(float_to_fp16(-65520.0f) == 0xFC00);
  CHECK(float_to_fp16(kInf) == 0x7C00);
  CHECK(float_to_fp16(-kInf) == 0xFC00);
  CHECK(float_to_fp16(pow2(-24)) == 0x0001);
  CHECK(float_to_fp16(pow2(-25)) == 0x0000);  // half the min subnormal: tie to even
  CHECK(float_to_fp16(std::nextafter(pow2(-25), 1.0f)) == 0x0001);
  CHECK(float_to_fp16(3.0f * pow2(-25)) == 0x0002);  // subnormal tie to even
  CHECK(float_to_fp16(pow2(-14)) == 0x0400);   // min normal
  CHECK(float_to_fp16(1023.0f * pow2(-24)) == 0x03FF);
  CHECK(float_to_fp16(1.0f / 3.0f) == 0x3555);
  CHECK(float_to_fp16(1.0f + pow2(-11)) == 0x3C00);          // tie to even
  CHECK(float_to_fp16(1.0f + 3.0f * pow2(-11)) == 0x3C02);   // tie to even (up)
  const uint16_t nan = float_to_fp16(kNaN);
  CHECK((nan & 0x7C00) == 0x7C00);
  CHECK((nan & 0x03FF) != 0);
  CHECK(std::isnan(fp16_to_float(nan)));
  CHECK(std::isnan(fp16_to_float(0xFE00)));
  CHECK(fp16_to_float(0x7BFF) == 65504.0f);
  CHECK(fp16_to_float(0x0001) == pow2(-24));
  CHECK(fp16_to_float(0x3555) == 1365.0f / 4096.0f);
  CHECK(fp16_to_float(0x7C00) == kInf);
  CHECK(fp16_to_float(0xFC00) == -kInf);
  CHECK(std::signbit(fp16_to_float(0x8000)));
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const auto code = static_cast<uint16_t>(h);
    const bool is_nan = (code & 0x7C00) == 0x7C00 && (code & 0x03FF) != 0;
    if (!is_nan) CHECK(float_to_fp16(fp16_to_float(code)) == code);
  }
}

TEST_CASE("quant mx fp8: all-zero block, exact powers of two and the chosen scale") {
  std::vector<float> zeros(kMxBlockSize, 0.0f);
  std::vector<uint8_t> elements(kMxBlockSize, 0xAA);
  CHECK(encode_mx_fp8_block(zeros, elements) == 127);  // documented: 2^0
  for (const uint8_t e : elements) CHECK(e == 0x00);

  for (const int k : {-20, -3, 0, 5, 60}) {
    CAPTURE(k);
    std::vector<float> block(kMxBlockSize, 0.0f);
    block[0] = 448.0f * pow2(k);
    // Every power of two the E4M3 elements can hold under scale 2^k.
    for (int j = -9; j <= 8; ++j) block[static_cast<size_t>(j + 10)] = (j % 2 ? -1.0f : 1.0f) * pow2(j + k);
    CHECK(mx_fp8_shared_exponent(block) == k);
    const uint8_t scale = encode_mx_fp8_block(block, elements);
    CHECK(scale == 127 + k);
    CHECK(elements[0] == 0x7E);
    std::vector<float> decoded(kMxBlockSize);
    decode_mx_fp8_block(elements, scale, decoded);
    for (size_t i = 0; i < kMxBlockSize; ++i) CHECK(decoded[i] == block[i]);
  }

  // The smallest exponent with amax / 2^e <= 448: 448 itself takes 2^0,
  // anything above it 2^1 (where the OCP example floor(log2(amax)) - 8 = 0
  // would saturate it to 448).
  std::vector<float> block = {448.0f, 1.0f};
  CHECK(mx_fp8_shared_exponent(block) == 0);
  block = {std::nextafter(448.0f, 512.0f), 1.0f};
  CHECK(mx_fp8_shared_exponent(block) == 1);
  block = {std::nextafter(512.0f, 0.0f), 1.0f};
  CHECK(mx_fp8_shared_exponent(block) == 1);
  std::vector<uint8_t> two(2);
  CHECK(encode_mx_fp8_block(block, two) == 128);
  CHECK(two[0] == 0x78);  // 511.99997 / 2 rounds up to 256 = 1.0 * 2^8: exponent field 15, mantissa 0
  block = {512.0f, 1.0f};
  CHECK(mx_fp8_shared_exponent(block) == 1);
  block = {-480.0f};  // would saturate under the OCP example; here 2^1 and -240 exactly
  std::vector<uint8_t> one(1);
  CHECK(encode_mx_fp8_block(block, one) == 128);
  CHECK(one[0] == 0xF7);  // -240 = -1.875 * 2^7: sign, exponent field 14, mantissa 7
  // The exponent clamps at the bottom of the UE8M0 range.
  block = {pow2(-140)};
  CHECK(mx_fp8_shared_exponent(block) == -127);
  // Infinities and NaN do not take part in the scale choice.
  block = {kInf, kNaN, -2.0f};
  std::vector<uint8_t> three(3);
  CHECK(encode_mx_fp8_block(block, three) == 127 - 7);
  CHECK(three[0] == 0x7E);
  CHECK(three[1] == 0x7F);
  CHECK(three[2] == 0xF8);  // -2 / 2^-7 = -256 = -1.0 * 2^8: exponent field 15, mantissa 0
}

TEST_CASE("quant mx fp8: random blocks stay within the derived error bound") {
  // With s = shared exponent, x = v / 2^s and amax / 2^s in (224, 448]: no
  // element saturates, and x rounds to nearest with 3 mantissa bits: error
  // <= 2^(floor(log2|x|) - 4) for normals and <= 2^-10 (half the min
  // subnormal) below 2^-6, so |v - v'| <= max(2^(floor(log2|v|) - 4), 2^(s - 10))
  // <= amax / 16.
  const size_t rows = 7, cols = 32 * 5 + 9;  // the last block of each row is ragged
  for (const float range : {1e-3f, 1.0f, 3e4f}) {
    CAPTURE(range);
    const auto w = random_values(rows * cols, 11, -range, range);
    const MxFp8Matrix m = encode_mx_fp8(w, rows, cols);
    REQUIRE(m.padded_cols() == 192);
    REQUIRE(m.blocks_per_row() == 6);
    REQUIRE(m.elements.size() == rows * 192);
    REQUIRE(m.scales.size() == rows * 6);
    const auto d = decode_mx_fp8(m);
    REQUIRE(d.size() == w.size());
    for (size_t r = 0; r < rows; ++r)
      for (size_t b = 0; b < 6; ++b) {
        const size_t begin = b * 32, end = std::min(cols, begin + 32);
        float amax = 0.0f;
        for (size_t c = begin; c < end; ++c) amax = std::max(amax, std::fabs(w[r * cols + c]));
        const int s = ue8m0_exponent(m.scales[r * 6 + b]);
        CHECK(amax <= 448.0f * pow2(s));
        CHECK(amax > 448.0f * pow2(s - 1));
        for (size_t c = begin; c < end; ++c) {
          const float v = w[r * cols + c], err = std::fabs(v - d[r * cols + c]);
          const float bound = std::max(pow2(static_cast<int>(std::floor(std::log2(std::fabs(v)))) - 4), pow2(s - 10));
          CHECK(err <= bound);
          CHECK(err <= amax / 16.0f);
          CHECK(m.elements[r * 192 + c] == float_to_e4m3(v * pow2(-s)));
        }
        for (size_t c = end; c < (b + 1) * 32; ++c) CHECK(m.elements[r * 192 + c] == 0x00);  // padding
      }
  }
}

TEST_CASE("quant int8 per channel: hand-computed layout") {
  const std::vector<float> w = {127.0f, -63.5f, 0.25f,   // scale 1: q 127, -64 (tie away from zero), 0
                                0.0f, 0.0f, 0.0f,        // all zero: scale 1, q 0
                                -254.0f, 3.0f, 1.0f};    // scale 2: q -127, 2 (1.5), 1 (0.5)
  const Int8Matrix m = encode_int8_per_channel(w, 3, 3);
  CHECK(m.scales == std::vector<float>{1.0f, 1.0f, 2.0f});
  CHECK(m.q == std::vector<int8_t>{127, -64, 0, 0, 0, 0, -127, 2, 1});
  CHECK(decode_int8_per_channel(m) == std::vector<float>{127.0f, -64.0f, 0.0f, 0.0f, 0.0f, 0.0f, -254.0f, 4.0f, 2.0f});
}

TEST_CASE("quant int8 per channel: round-trip error is at most half a step") {
  const size_t rows = 9, cols = 77;
  auto w = random_values(rows * cols, 3, -2.0f, 2.0f);
  for (size_t c = 0; c < cols; ++c) w[4 * cols + c] *= 1e-4f;  // one row with a tiny range
  const Int8Matrix m = encode_int8_per_channel(w, rows, cols);
  const auto d = decode_int8_per_channel(m);
  for (size_t r = 0; r < rows; ++r) {
    float amax = 0.0f;
    for (size_t c = 0; c < cols; ++c) amax = std::max(amax, std::fabs(w[r * cols + c]));
    CHECK(m.scales[r] == amax / 127.0f);
    for (size_t c = 0; c < cols; ++c) {
      CHECK(m.q[r * cols + c] >= -127);
      CHECK(std::fabs(w[r * cols + c] - d[r * cols + c]) <= m.scales[r] * 0.5f * (1.0f + 1e-5f));
    }
  }
}

TEST_CASE("quant int8 grouped: hand-computed codes, fp16 scales and a ragged group") {
  // group 4, cols 6 -> padded to 8, two groups.
  const std::vector<float> w = {127.0f, -63.5f, 0.25f, 1.0f,  // scale 1: q 127, -64 (tie away from zero), 0, 1
                                0.1f, -0.05f};                // scale fp16(0.1 / 127): q 127, -64 (-63.5)
  const Int8GroupedMatrix m = encode_int8_grouped(w, 1, 6, 4);
  CHECK(m.padded_cols() == 8);
  CHECK(m.groups_per_row() == 2);
  const float s1 = fp16_to_float(float_to_fp16(0.1f / 127.0f));
  CHECK(m.scales == std::vector<float>{1.0f, s1});
  CHECK(m.q == std::vector<int8_t>{127, -64, 0, 1, static_cast<int8_t>(std::lround(0.1f / s1)),
                                   static_cast<int8_t>(std::round(-0.05f / s1)), 0, 0});
  const auto d = decode_int8_grouped(m);
  CHECK(d[0] == 127.0f);
  CHECK(d[1] == -64.0f);
  CHECK(std::fabs(d[4] - 0.1f) <= s1 * 0.5f);
  const std::vector<float> zeros(4, 0.0f);
  const Int8GroupedMatrix z = encode_int8_grouped(zeros, 1, 4, 4);
  CHECK(z.scales == std::vector<float>{1.0f});
  CHECK(z.q == std::vector<int8_t>(4, 0));
  CHECK_THROWS(encode_int8_grouped(zeros, 1, 4, 0));
}

TEST_CASE("quant weights: one decoded row equals that row of the whole decoded matrix, every format") {
  const Shape shape = {7, 45};
  const std::vector<float> w = random_values(7 * 45, 11, -3.0f, 3.0f);
  for (const WeightQuant q : {WeightQuant{WeightFormat::kFloat32}, WeightQuant{WeightFormat::kFloat16},
                              WeightQuant{WeightFormat::kInt8}, WeightQuant{WeightFormat::kInt4, 16},
                              WeightQuant{WeightFormat::kInt4Asymmetric, 6}, WeightQuant{WeightFormat::kMxFp8},
                              WeightQuant{WeightFormat::kInt8Grouped, 32}}) {
    CAPTURE(q.to_string());
    const auto bytes = encode_weight(q, shape, w);
    const auto all = decode_weight(q, shape, bytes);
    for (size_t r = 0; r < 7; ++r) {
      std::vector<float> row(45);
      decode_weight_row(q, shape, bytes, r, row);
      CHECK(std::equal(row.begin(), row.end(), all.begin() + static_cast<std::ptrdiff_t>(r * 45)));
    }
  }
}

TEST_CASE("quant int4 symmetric: hand-computed nibbles with a ragged group") {
  // group 4, cols 7 -> padded to 8, two groups.
  const std::vector<float> w = {7.0f, -7.0f, 3.5f, 0.5f,  // scale 1: q 7, -7, 4, 1
                                14.0f, -1.0f, 2.0f};      // scale 2: q 7, -1 (-0.5 away from 0), 1, pad 0
  const Int4Matrix m = encode_int4_grouped(w, 1, 7, 4, true);
  CHECK(m.padded_cols() == 8);
  CHECK(m.groups_per_row() == 2);
  CHECK(m.packed == std::vector<uint8_t>{0x97, 0x14, 0xF7, 0x01});  // low nibble = even index
  CHECK(m.scales == std::vector<float>{1.0f, 2.0f});
  CHECK(m.zero_points.empty());
  CHECK(m.nibble(0, 1) == 0x9);
  CHECK(m.nibble(0, 5) == 0xF);
  CHECK(decode_int4_grouped(m) == std::vector<float>{7.0f, -7.0f, 4.0f, 1.0f, 14.0f, -2.0f, 2.0f});
}

TEST_CASE("quant int4 asymmetric: hand-computed nibbles and zero points") {
  // group 4, cols 6 -> padded to 8.
  const std::vector<float> w = {-1.0f, 0.0f, 2.0f, 14.0f,  // lo -1, hi 14: scale 1, zero point 1, q 0 1 3 15
                                30.0f, 15.0f};             // lo 0 (range holds 0), hi 30: scale 2, zp 0, q 15 8; pad 0
  const Int4Matrix m = encode_int4_grouped(w, 1, 6, 4, false);
  CHECK(m.packed == std::vector<uint8_t>{0x10, 0xF3, 0x8F, 0x00});
  CHECK(m.scales == std::vector<float>{1.0f, 2.0f});
  CHECK(m.zero_points == std::vector<uint8_t>{1, 0});
  CHECK(decode_int4_grouped(m) == std::vector<float>{-1.0f, 0.0f, 2.0f, 14.0f, 30.0f, 16.0f});

  const std::vector<float> zeros(4, 0.0f);
  const Int4Matrix z = encode_int4_grouped(zeros, 1, 4, 4, false);
  CHECK(z.scales == std::vector<float>{1.0f});
  CHECK(z.zero_points == std::vector<uint8_t>{0});
  CHECK(z.packed == std::vector<uint8_t>{0x00, 0x00});
  CHECK_THROWS(encode_int4_grouped(zeros, 1, 4, 3, false));
}

TEST_CASE("quant int4: round-trip error is at most half a step, groups 32/64/128, ragged") {
  const size_t rows = 5;
  for (const bool symmetric : {true, false})
    for (const size_t group : {size_t{32}, size_t{64}, size_t{128}})
      for (const size_t cols : {size_t{128}, size_t{100}, size_t{7}}) {
        CAPTURE(symmetric);
        CAPTURE(group);
        CAPTURE(cols);
        // Shifted range so the asymmetric groups are lopsided.
        const auto w = random_values(rows * cols, static_cast<uint32_t>(group + cols), -0.5f, 1.5f);
        const Int4Matrix m = encode_int4_grouped(w, rows, cols, group, symmetric);
        const size_t groups = (cols + group - 1) / group;
        REQUIRE(m.groups_per_row() == groups);
        REQUIRE(m.packed.size() == rows * groups * group / 2);
        REQUIRE(m.scales.size() == rows * groups);
        REQUIRE(m.zero_points.size() == (symmetric ? 0 : rows * groups));
        const auto d = decode_int4_grouped(m);
        for (size_t r = 0; r < rows; ++r)
          for (size_t c = 0; c < groups * group; ++c) {
            const size_t g = r * groups + c / group;
            const uint8_t nib = m.nibble(r, c);
            if (symmetric) CHECK(nib != 0x8);  // -8 is never produced
            if (c >= cols) {                   // padding encodes zero
              CHECK(nib == (symmetric ? 0 : m.zero_points[g]));
              continue;
            }
            CHECK(std::fabs(w[r * cols + c] - d[r * cols + c]) <= m.scales[g] * 0.5f * (1.0f + 1e-5f));
          }
      }
}

}  // namespace fennec
