// GGML's "K" block formats, as GGUF files store them: super-blocks of 256
// values with 16 or 8 sub-block scales (and mins) quantized against one or
// two fp16 super-block scales. Only decoding is needed: the importer turns
// the values into one of Fennec's own weight formats.
//
//   Q2_K  84 bytes: scales[16] (low nibble scale, high nibble min), qs[64]
//         (2-bit codes), d, dmin;        y = d * sc * q - dmin * m   (16 x 16)
//   Q3_K 110 bytes: hmask[32], qs[64], scales[12] (6-bit, offset 32), d;
//         y = d * (sc - 32) * (q - (high bit clear ? 4 : 0))         (16 x 16)
//   Q4_K 144 bytes: d, dmin, scales[12] (6-bit scales and mins), qs[128];
//         y = d * sc * q - dmin * m                                  (8 x 32)
//   Q5_K 176 bytes: d, dmin, scales[12], qh[32] (5th bits), qs[128]   (8 x 32)
//   Q6_K 210 bytes: ql[128] (low 4 bits), qh[64] (high 2 bits),
//         scales[16] (int8), d;           y = d * sc * (q - 32)      (16 x 16)
#pragma once

#include <cstddef>
#include <cstdint>

namespace fennec::llm_import {

constexpr size_t kSuperBlock = 256;

// GGML type ids of the K formats.
enum KQuantType : uint32_t { kQ2_K = 10, kQ3_K = 11, kQ4_K = 12, kQ5_K = 13, kQ6_K = 14 };

bool is_kquant(uint32_t ggml_type);
// Bytes of one super-block of `ggml_type` (a K format).
size_t kquant_block_bytes(uint32_t ggml_type);
const char* kquant_name(uint32_t ggml_type);  // "Q4_K", ...

// Decodes `blocks` super-blocks at `raw` into 256 * blocks floats at `out`.
void dequantize_kquant(uint32_t ggml_type, const uint8_t* raw, size_t blocks, float* out);

}  // namespace fennec::llm_import
