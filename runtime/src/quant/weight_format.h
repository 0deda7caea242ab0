// Quantized weight tensors as stored in a model file and in device memory.
//
// A quantized weight keeps its logical float32 shape in the graph; its bytes
// are one serialized matrix W[rows, cols] in which a row is an output channel
// and cols runs along the input (reduction) dimension:
//   CONV weight [O, C/group, KH, KW]: rows = O, cols = C/group * KH * KW,
//     element [o, (c * KH + ky) * KW + kx] (the natural row-major order);
//   MATMUL B [K, N] (transposed = true): rows = N, cols = K, element [n, k] is
//     B[k, n]; a B that the op already transposes ([N, K]) is stored as is.
//
// Serialized layout of one weight blob. Arrays follow one another in the
// order listed, each starting at a multiple of 16 bytes from the start of the
// blob (zero bytes in between); the shaders compute the same offsets from
// rows, cols and the group size (shaders/include/weights.glsl):
//   FLOAT16:        fp16 [rows, cols] (IEEE binary16, little-endian)
//   INT8:           int8 q [rows, cols]; float32 scales [rows]
//   INT4 / INT4_ASYMMETRIC, group g: uint8 packed [rows, padded_cols / 2]
//                   (low nibble = even column); fp16 scales [rows, groups];
//                   asymmetric only: uint8 zero points [rows, groups]
//   MXFP8:          uint8 E4M3 elements [rows, padded_cols]; uint8 UE8M0 scales
//                   [rows, padded_cols / 32]
//   INT8_GROUPED, group g: int8 q [rows, padded_cols]; fp16 scales [rows, groups]
// padded_cols rounds cols up to the group (int4, grouped int8) or block
// (MXFP8, 32) size.
// The value encodings and rounding rules are those of quant/blocks.h and
// quant/formats.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "graph/tensor.h"
#include "quant/blocks.h"

namespace fennec::quant {

enum class WeightFormat : uint8_t {
  kFloat32 = 0,  // not quantized
  kFloat16 = 1,
  kInt8 = 2,
  kInt4 = 3,
  kInt4Asymmetric = 4,
  kMxFp8 = 5,
  kInt8Grouped = 6,
};

// Formats with a group size (WeightQuant::group_size).
inline bool grouped_format(WeightFormat f) {
  return f == WeightFormat::kInt4 || f == WeightFormat::kInt4Asymmetric || f == WeightFormat::kInt8Grouped;
}

const char* weight_format_name(WeightFormat format);

// How a constant weight tensor is stored. The default is plain float32.
struct WeightQuant {
  WeightFormat format = WeightFormat::kFloat32;
  uint32_t group_size = 0;  // grouped formats only (int4, grouped int8)
  bool transposed = false;  // rank-2 [K, N] stored as [N, K] (MATMUL B)
  // > 0 with kInt8 ("w8a8"): the consuming op quantizes its input X per
  // tensor with this scale and multiplies in integers (see
  // quantize_activation); 0: float activations.
  float activation_scale = 0.0f;

  bool quantized() const { return format != WeightFormat::kFloat32; }
  bool int8_activations() const { return activation_scale > 0.0f; }
  // "int4 g32", "int8 g32", "mxfp8", "fp32"
  std::string to_string() const;
};

// The matrix view of a weight of logical shape `shape`.
struct WeightMatrix {
  size_t rows = 0, cols = 0;
};

// Byte offsets of the arrays of one serialized weight (see the header).
struct WeightLayout {
  size_t rows = 0, cols = 0, padded_cols = 0, groups_per_row = 0;
  size_t scales_offset = 0;       // 0 when the format has no scales
  size_t zero_points_offset = 0;  // 0 unless INT4_ASYMMETRIC
  size_t total_bytes = 0;
};

// The int8 value of activation x under `scale` (w8a8):
// clamp(round_half_away(x * (1 / scale)), -127, 127), the reciprocal rounded
// to float32 once, exactly as the shaders compute it.
int quantize_activation(float x, float scale);

// Empty string when `quant` can describe a tensor of `shape`; else the reason.
std::string check_weight_quant(const WeightQuant& quant, const Shape& shape);
WeightMatrix weight_matrix(const WeightQuant& quant, const Shape& shape);
WeightLayout weight_layout(const WeightQuant& quant, const Shape& shape);

// Encodes a float32 tensor of logical shape `shape` (row-major) in `quant`'s
// format; decode_weight() returns the float32 tensor the bytes stand for.
// With `grid` (from weight_grid, same format and shape) the scales are the
// grid's instead of those of `values`.
std::vector<std::byte> encode_weight(const WeightQuant& quant, const Shape& shape,
                                     std::span<const float> values, const QuantGrid* grid = nullptr);
// The grid of scales encode_weight picks for `values` (logical shape), over
// the matrix view; int8, int4 and MX FP8 only (throws std::invalid_argument
// for the float formats).
QuantGrid weight_grid(const WeightQuant& quant, const Shape& shape, std::span<const float> values);
// The matrix view of `values` (rows = output channels), and back.
std::vector<float> to_weight_matrix(const WeightQuant& quant, const Shape& shape, std::span<const float> values);
std::vector<float> from_weight_matrix(const WeightQuant& quant, const Shape& shape, std::vector<float> matrix);
std::vector<float> decode_weight(const WeightQuant& quant, const Shape& shape,
                                 std::span<const std::byte> bytes);
// Row `row` of the matrix view ([cols] values) of a weight that is not
// transposed, decoded from its serialized bytes alone (an embedding lookup).
void decode_weight_row(const WeightQuant& quant, const Shape& shape, std::span<const std::byte> bytes, size_t row,
                       std::span<float> out);

}  // namespace fennec::quant
