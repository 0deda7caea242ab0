#include "quant/formats.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace fennec::quant {
namespace {

uint32_t float_bits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

float bits_float(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// value >> shift, rounded to nearest with ties to even. 1 <= shift <= 31.
uint32_t shift_right_nearest_even(uint32_t value, int shift) {
  const uint32_t kept = value >> shift;
  const uint32_t dropped = value & ((1u << shift) - 1u);
  const uint32_t half = 1u << (shift - 1);
  if (dropped > half || (dropped == half && (kept & 1u))) return kept + 1u;
  return kept;
}

// binary32 layout: sign bit 31, biased exponent bits 30-23 (bias 127),
// mantissa bits 22-0.
constexpr uint32_t kFloatAbsMask = 0x7FFFFFFFu;
constexpr uint32_t kFloatInf = 0x7F800000u;
constexpr int kFloatMantissaBits = 23;

// For a finite, non-zero magnitude `abs` (binary32 bits) that is below the
// smallest normal of a narrower format, returns the magnitude in units of
// 2^unit_exponent rounded to nearest even. The result may equal the first
// normal's mantissa count (a carry into the smallest normal), which is the
// correct encoding as well.
uint32_t subnormal_units(uint32_t abs, int unit_exponent) {
  const int biased = static_cast<int>(abs >> kFloatMantissaBits);
  if (biased == 0) return 0;  // binary32 subnormals are far below any unit here
  const uint32_t significand = (abs & 0x7FFFFFu) | 0x800000u;  // value = significand * 2^(biased - 150)
  const int shift = unit_exponent - (biased - 150);
  // significand < 2^24, so any shift of 25 or more leaves less than half a unit.
  if (shift > 24) return 0;
  if (shift <= 0) return significand << -shift;  // not reached for the formats here
  return shift_right_nearest_even(significand, shift);
}

}  // namespace

float bf16_to_float(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float fp16_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1Fu;
  const uint32_t mantissa = h & 0x3FFu;
  if (exponent == 0) {
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);  // exact
    return bits_float(float_bits(magnitude) | sign);
  }
  if (exponent == 31) return bits_float(sign | kFloatInf | (mantissa << 13));
  return bits_float(sign | ((exponent + 127 - 15) << kFloatMantissaBits) | (mantissa << 13));
}

uint16_t float_to_fp16(float f) {
  const uint32_t bits = float_bits(f);
  const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t abs = bits & kFloatAbsMask;
  if (abs > kFloatInf) return static_cast<uint16_t>(sign | 0x7E00u);     // NaN
  if (abs >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00u);  // >= 65520: rounds past 65504
  if (abs < 0x38800000u)                                                 // < 2^-14: subnormal or zero
    return static_cast<uint16_t>(sign | subnormal_units(abs, -24));
  // Normal: rebias the exponent (127 -> 15) and round away the 13 low
  // mantissa bits; a mantissa carry correctly bumps the exponent.
  const uint32_t rebiased = abs - (static_cast<uint32_t>(127 - 15) << kFloatMantissaBits);
  return static_cast<uint16_t>(sign | shift_right_nearest_even(rebiased, 13));
}

float e4m3_to_float(uint8_t code) {
  if (e4m3_is_nan(code)) return std::numeric_limits<float>::quiet_NaN();
  const int exponent = (code >> 3) & 0xF;
  const int mantissa = code & 0x7;
  const float magnitude = exponent == 0 ? std::ldexp(static_cast<float>(mantissa), -9)
                                        : std::ldexp(static_cast<float>(8 + mantissa), exponent - 10);
  return (code & 0x80u) ? -magnitude : magnitude;
}

uint8_t float_to_e4m3(float f) {
  const uint32_t bits = float_bits(f);
  const auto sign = static_cast<uint8_t>((bits >> 24) & 0x80u);
  const uint32_t abs = bits & kFloatAbsMask;
  if (abs > kFloatInf) return kE4M3NaN;
  // 464 is halfway between 448 and the (NaN) code above it; everything from
  // there up, infinity included, saturates. Below 464 nearest-even rounding
  // never goes past 448.
  if (abs >= 0x43E80000u) return static_cast<uint8_t>(sign | kE4M3MaxCode);
  if (abs < 0x3C800000u)  // < 2^-6: subnormal or zero, units of 2^-9
    return static_cast<uint8_t>(sign | subnormal_units(abs, -9));
  const uint32_t rebiased = abs - (static_cast<uint32_t>(127 - 7) << kFloatMantissaBits);
  return static_cast<uint8_t>(sign | shift_right_nearest_even(rebiased, 20));
}

float ue8m0_to_float(uint8_t code) {
  if (code == kUE8M0NaN) return std::numeric_limits<float>::quiet_NaN();
  return std::ldexp(1.0f, ue8m0_exponent(code));  // 2^-127 is a binary32 subnormal, still exact
}

uint8_t ue8m0_from_exponent(int exponent) {
  return static_cast<uint8_t>(std::clamp(exponent, kUE8M0MinExponent, kUE8M0MaxExponent) + kUE8M0Bias);
}

}  // namespace fennec::quant
