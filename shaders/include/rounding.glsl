// rounding.glsl: arithmetic whose rounding Vulkan leaves to the device,
// done as IEEE 754 rounds it, so that shaders pick what the host reference
// picks: a correctly rounded division, and float32 to float16 rounded to
// nearest even.
#ifndef FENNEC_ROUNDING_GLSL
#define FENNEC_ROUNDING_GLSL

// The high half of x's significand (Veltkamp's split: x = hi + (x - hi),
// each half exact in 12 bits).
float split_high(float x) {
  precise float c = 4097.0 * x;
  precise float h = c - (c - x);
  return h;
}

// a - q * b, exact while q is within a few ulp of a / b: q * b = p + e
// exactly (Dekker's product, from correctly rounded products and sums, which
// precise keeps apart), and a - p is exact (Sterbenz).
float remainder_of(float a, float b, float q) {
  precise float prod = q * b;
  precise float qh = split_high(q);
  precise float ql = q - qh;
  precise float bh = split_high(b);
  precise float bl = b - bh;
  precise float e = ((qh * bh - prod) + qh * bl + ql * bh) + ql * bl;
  precise float r = (a - prod) - e;
  return r;
}

// a / b rounded to the nearest float (ties to even), as the host divides.
// Vulkan lets a shader's division be 2.5 ulp off (NVIDIA's is); a coordinate
// one ulp below a pixel boundary would then round onto it and pick the next
// pixel. Of the quotient and its neighbours within two ulp, the one with the
// smallest exact remainder is the rounded quotient.
float divide(float a, float b) {
  precise float q = a / b;
  if (q == 0.0 || isinf(q) || isnan(q)) return q;
  float best = q;
  float best_r = abs(remainder_of(a, b, q));
  for (int k = -2; k <= 2; ++k) {
    if (k == 0) continue;
    float c = uintBitsToFloat(uint(int(floatBitsToUint(q)) + k));
    float r = abs(remainder_of(a, b, c));
    if (r < best_r || (r == best_r && (floatBitsToUint(c) & 1u) == 0u)) {
      best = c;
      best_r = r;
    }
  }
  return best;
}

// The binary16 bits of f rounded to nearest even (overflow to infinity, NaN
// kept quiet). packHalf2x16 may round otherwise: Vulkan does not say.
uint half_bits(float f) {
  uint x = floatBitsToUint(f);
  uint sign = (x >> 16) & 0x8000u;
  uint ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) return sign | (ax > 0x7f800000u ? 0x7e00u : 0x7c00u);
  if (ax >= 0x477ff000u) return sign | 0x7c00u;  // 65520 and above: infinity
  uint q, rest, halfway;
  if (ax < 0x38800000u) {  // below 2^-14: a subnormal half, in units of 2^-24
    if (ax < 0x33000000u) return sign;  // below 2^-25
    uint shift = 126u - (ax >> 23);     // 14 .. 24
    uint m = (ax & 0x7fffffu) | 0x800000u;
    q = m >> shift;
    rest = m & ((1u << shift) - 1u);
    halfway = 1u << (shift - 1u);
  } else {  // rebias the exponent (127 to 15), keep 10 significand bits
    uint r = ax - 0x38000000u;
    q = r >> 13;
    rest = r & 0x1fffu;
    halfway = 0x1000u;
  }
  if (rest > halfway || (rest == halfway && (q & 1u) != 0u)) q += 1u;
  return sign | q;
}

// packHalf2x16 rounded to nearest even.
uint pack_half2(float lo, float hi) { return half_bits(lo) | (half_bits(hi) << 16); }

#endif  // FENNEC_ROUNDING_GLSL
