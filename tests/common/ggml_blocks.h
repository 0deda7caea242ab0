// GGML tensor encodings for tests and tools that write GGUF files: F32, F16,
// and the Q8_0 / Q4_0 blocks of 32 values (an fp16 scale d, then int8 codes
// with value q * d, or 4-bit codes with value (q - 8) * d, code j in the low
// nibble of byte j and code j + 16 in its high nibble), quantized the way
// llama.cpp's reference quantizers do.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "quant/formats.h"

namespace fennec::testing {

enum GgmlType : uint32_t { kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ8_0 = 8 };

// Encodes `values` (rows whose length is a multiple of 32 for the block
// types) as `type`; `expected` receives the values the encoding stands for.
inline std::string encode_ggml(GgmlType type, std::span<const float> values, std::vector<float>& expected) {
  std::string out;
  expected.resize(values.size());
  auto half = [&](float f) {
    const uint16_t h = quant::float_to_fp16(f);
    out.append(reinterpret_cast<const char*>(&h), 2);
    return quant::fp16_to_float(h);
  };
  if (type == kF32) {
    out.append(reinterpret_cast<const char*>(values.data()), values.size() * 4);
    expected.assign(values.begin(), values.end());
  } else if (type == kF16) {
    for (size_t i = 0; i < values.size(); ++i) expected[i] = half(values[i]);
  } else if (type == kQ8_0) {
    for (size_t b = 0; b < values.size() / 32; ++b) {
      float amax = 0.0f;
      for (size_t j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(values[b * 32 + j]));
      const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
      const float stored = half(d);
      for (size_t j = 0; j < 32; ++j) {
        const int8_t q = static_cast<int8_t>(std::lround(values[b * 32 + j] * id));
        out.push_back(static_cast<char>(q));
        expected[b * 32 + j] = static_cast<float>(q) * stored;
      }
    }
  } else {
    for (size_t b = 0; b < values.size() / 32; ++b) {
      float amax = 0.0f, max = 0.0f;
      for (size_t j = 0; j < 32; ++j)
        if (std::fabs(values[b * 32 + j]) > amax) {
          amax = std::fabs(values[b * 32 + j]);
          max = values[b * 32 + j];
        }
      const float d = max / -8.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
      const float stored = half(d);
      uint8_t q[32];
      for (size_t j = 0; j < 32; ++j)
        q[j] = static_cast<uint8_t>(std::min(15, static_cast<int>(values[b * 32 + j] * id + 8.5f)));
      for (size_t j = 0; j < 16; ++j) out.push_back(static_cast<char>(q[j] | (q[j + 16] << 4)));
      for (size_t j = 0; j < 32; ++j) expected[b * 32 + j] = static_cast<float>(static_cast<int>(q[j]) - 8) * stored;
    }
  }
  return out;
}

}  // namespace fennec::testing
