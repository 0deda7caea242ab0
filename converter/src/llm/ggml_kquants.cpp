#include "llm/ggml_kquants.h"

#include <cstring>

#include "quant/formats.h"

namespace fennec::llm_import {
namespace {

float half_at(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return quant::fp16_to_float(h);
}

// Q4_K and Q5_K: the 6-bit scale and min of sub-block j (0..7) from the
// 12 packed bytes: j < 4 in the low 6 bits of bytes j and j + 4; j >= 4 in
// the nibbles of byte j + 4 with their top 2 bits from the top of bytes
// j - 4 and j.
void scale_min(const uint8_t* s, int j, int& scale, int& min) {
  if (j < 4) {
    scale = s[j] & 63;
    min = s[j + 4] & 63;
  } else {
    scale = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
    min = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

void q2_k(const uint8_t* b, float* y) {
  const uint8_t* scales = b;
  const uint8_t* qs = b + 16;
  const float d = half_at(b + 80), dmin = half_at(b + 82);
  for (size_t i = 0; i < kSuperBlock; ++i) {
    const size_t half = i / 128, shift = (i % 128) / 32, l = i % 32;
    const int q = (qs[half * 32 + l] >> (2 * shift)) & 3;
    const uint8_t sc = scales[i / 16];
    const float scale = d * static_cast<float>(sc & 0xF), min = dmin * static_cast<float>(sc >> 4);
    y[i] = scale * static_cast<float>(q) - min;
  }
}

void q3_k(const uint8_t* b, float* y) {
  const uint8_t* hmask = b;
  const uint8_t* qs = b + 32;
  const uint8_t* s = b + 96;
  const float d = half_at(b + 108);
  for (size_t i = 0; i < kSuperBlock; ++i) {
    const size_t j = i / 16;  // sub-block: low 4 bits from byte j % 8, high 2 from byte 8 + j % 4
    const int low = (s[j % 8] >> (j < 8 ? 0 : 4)) & 0xF;
    const int high = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
    const float scale = d * static_cast<float>((low | (high << 4)) - 32);
    const size_t half = i / 128, shift = (i % 128) / 32, l = i % 32;
    const int q = ((qs[half * 32 + l] >> (2 * shift)) & 3) - (((hmask[l] >> (i / 32)) & 1) ? 0 : 4);
    y[i] = scale * static_cast<float>(q);
  }
}

// Q4_K (qh == nullptr) and Q5_K.
void q45_k(const uint8_t* b, const uint8_t* qh, const uint8_t* qs, float* y) {
  const float d = half_at(b), dmin = half_at(b + 2);
  for (int j = 0; j < 8; ++j) {
    int sc, m;
    scale_min(b + 4, j, sc, m);
    const float scale = d * static_cast<float>(sc), min = dmin * static_cast<float>(m);
    for (int l = 0; l < 32; ++l) {
      int q = (qs[(j / 2) * 32 + l] >> (4 * (j % 2))) & 0xF;
      if (qh) q |= ((qh[l] >> j) & 1) << 4;
      y[j * 32 + l] = scale * static_cast<float>(q) - min;
    }
  }
}

void q6_k(const uint8_t* b, float* y) {
  const uint8_t* ql = b;
  const uint8_t* qh = b + 128;
  const auto* scales = reinterpret_cast<const int8_t*>(b + 192);
  const float d = half_at(b + 208);
  for (size_t i = 0; i < kSuperBlock; ++i) {
    const size_t half = i / 128, r = i % 128;
    const int low = (ql[half * 64 + r % 64] >> (4 * (r / 64))) & 0xF;
    const int high = (qh[half * 32 + r % 32] >> (2 * (r / 32))) & 3;
    const float scale = d * static_cast<float>(scales[i / 16]);
    y[i] = scale * static_cast<float>((low | (high << 4)) - 32);
  }
}

}  // namespace

bool is_kquant(uint32_t t) { return t >= kQ2_K && t <= kQ6_K; }

size_t kquant_block_bytes(uint32_t t) {
  switch (t) {
    case kQ2_K: return 84;
    case kQ3_K: return 110;
    case kQ4_K: return 144;
    case kQ5_K: return 176;
    case kQ6_K: return 210;
    default: return 0;
  }
}

const char* kquant_name(uint32_t t) {
  switch (t) {
    case kQ2_K: return "Q2_K";
    case kQ3_K: return "Q3_K";
    case kQ4_K: return "Q4_K";
    case kQ5_K: return "Q5_K";
    case kQ6_K: return "Q6_K";
    default: return "?";
  }
}

void dequantize_kquant(uint32_t t, const uint8_t* raw, size_t blocks, float* out) {
  const size_t bytes = kquant_block_bytes(t);
  for (size_t n = 0; n < blocks; ++n) {
    const uint8_t* b = raw + n * bytes;
    float* y = out + n * kSuperBlock;
    switch (t) {
      case kQ2_K: q2_k(b, y); break;
      case kQ3_K: q3_k(b, y); break;
      case kQ4_K: q45_k(b, nullptr, b + 16, y); break;
      case kQ5_K: q45_k(b, b + 16, b + 48, y); break;
      case kQ6_K: q6_k(b, y); break;
      default: break;
    }
  }
}

}  // namespace fennec::llm_import
