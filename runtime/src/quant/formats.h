// Scalar weight encodings: IEEE binary16, OCP FP8 E4M3 ("E4M3FN") and the
// OCP UE8M0 power-of-two scale. Every function is exact: decoding yields the
// encoded value with no rounding, encoding rounds once (as stated below).
//
// Byte layouts (bit 7 / bit 15 is the most significant bit):
//
// fp16 (IEEE 754 binary16), stored as a little-endian uint16:
//   bit 15     sign
//   bits 14-10 exponent, bias 15
//   bits 9-0   mantissa
//   exponent 0: subnormal, value = mantissa * 2^-24 (0x0001 = 2^-24);
//   exponent 31: mantissa 0 = infinity, otherwise NaN;
//   else value = (1 + mantissa / 1024) * 2^(exponent - 15); max 65504 (0x7BFF).
//   Encoding rounds to nearest, ties to even, with subnormals; finite values
//   that round past 65504 (|x| >= 65520) become +-infinity (0x7C00 / 0xFC00);
//   NaN becomes the quiet NaN 0x7E00 with the input's sign bit.
//
// FP8 E4M3 (OCP 8-bit floating point, E4M3 variant; "E4M3FN"), one byte:
//   bit 7      sign
//   bits 6-3   exponent, bias 7
//   bits 2-0   mantissa
//   exponent 0: subnormal, value = mantissa * 2^-9 (0x01 = 2^-9, 0x07 = 7*2^-9);
//   else value = (1 + mantissa / 8) * 2^(exponent - 7), min normal 2^-6 (0x08);
//   S.1111.111 (0x7F, 0xFF) is NaN, the only NaN encodings; there are no
//   infinities, so S.1111.110 = +-448 (0x7E, 0xFE) is the largest magnitude.
//   Encoding rounds to nearest, ties to even, with subnormals and signed zero
//   (-0 -> 0x80); finite values whose magnitude is beyond 448, and +-infinity,
//   SATURATE to +-448; NaN (either sign) becomes 0x7F.
//
// UE8M0 (OCP MX shared scale), one byte:
//   unsigned 8-bit biased exponent e, value = 2^(e - 127): 0x00 = 2^-127,
//   0x7F = 1, 0xFE = 2^127; 0xFF is NaN. No sign, no mantissa, no zero.
#pragma once

#include <cstdint>

namespace fennec::quant {

// IEEE binary16.
float fp16_to_float(uint16_t h);
uint16_t float_to_fp16(float f);
// bfloat16: the top half of a float32 (exact).
float bf16_to_float(uint16_t b);

// FP8 E4M3 (E4M3FN).
constexpr uint8_t kE4M3MaxCode = 0x7E;     // +448
constexpr uint8_t kE4M3NaN = 0x7F;
constexpr float kE4M3Max = 448.0f;
constexpr int kE4M3MaxExponent = 8;        // emax: 448 = 1.75 * 2^8
float e4m3_to_float(uint8_t code);
uint8_t float_to_e4m3(float f);
// True for the two NaN codes 0x7F and 0xFF.
constexpr bool e4m3_is_nan(uint8_t code) { return (code & 0x7Fu) == 0x7Fu; }

// UE8M0.
constexpr uint8_t kUE8M0NaN = 0xFF;
constexpr int kUE8M0Bias = 127;
constexpr int kUE8M0MinExponent = -127;    // code 0x00
constexpr int kUE8M0MaxExponent = 127;     // code 0xFE
float ue8m0_to_float(uint8_t code);
// Code of 2^exponent; the exponent is clamped to [-127, 127] first.
uint8_t ue8m0_from_exponent(int exponent);
// Exponent of a non-NaN code: code - 127.
constexpr int ue8m0_exponent(uint8_t code) { return static_cast<int>(code) - kUE8M0Bias; }

}  // namespace fennec::quant
