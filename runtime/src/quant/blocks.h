// Block and group layouts of quantized weight matrices.
//
// All layouts quantize a row-major float matrix W[rows, cols] where a row is
// one output channel and cols is the input (reduction) dimension. Blocks and
// groups run along cols inside one row and never span rows. When a row's
// length is not a multiple of the block/group size, the row is padded at its
// end with zeros up to the next multiple (`padded_cols`); padding is encoded
// like the value 0.0 and decodes to 0.0, and decoding returns only the
// unpadded [rows, cols] values. Arrays are row-major; a serialized weight
// stores the arrays of a struct one after another in the order listed.
//
// MX FP8 (OCP Microscaling MXFP8, E4M3 elements), block size 32:
//   elements: uint8 E4M3 codes, [rows, padded_cols], padded_cols = ceil(cols/32)*32
//   scales:   uint8 UE8M0 codes, [rows, padded_cols/32]; scale of block b of row r
//             covers elements [r, 32b .. 32b+31]
//   value = e4m3_to_float(element) * 2^(scale - 127)
//   Scale choice: shared_exp is the smallest exponent with amax / 2^shared_exp <= 448,
//   where amax is the largest finite |v| in the block, clamped to [-127, 127]; so
//   no finite element saturates. (The OCP MX spec's example, floor(log2(amax)) - 8,
//   maps amax into [256, 512) and clips the top eighth of that range to 448.) A
//   block without a finite non-zero value (all zeros) gets scale code 127 (2^0) and
//   all-zero elements. Element = float_to_e4m3(v / 2^shared_exp), rounding to nearest
//   even; infinities saturate to +-448, NaN becomes 0x7F.
//   Encoding never produces the NaN scale 0xFF; decoding a block with scale 0xFF
//   yields NaN for every element.
//
// int8, symmetric, one scale per output channel:
//   q:      int8 [rows, cols], in [-127, 127] (-128 is never produced)
//   scales: float32 [rows], scale = max|row| / 127; an all-zero row has scale 1
//   value = q * scale; q = clamp(round(v / scale), -127, 127), ties away from zero.
//
// int4, groups of `group_size` consecutive values along cols (any even size >= 2;
// 32, 64 and 128 are the intended ones). padded_cols = ceil(cols/group_size)*group_size.
//   packed:      uint8 [rows, padded_cols/2]; byte j of a row holds element 2j in its
//                LOW nibble (bits 3-0) and element 2j+1 in its HIGH nibble (bits 7-4)
//   scales:      [rows, groups], values exactly representable in fp16 (serialized
//                as fp16, see weight_format.h); a computed scale is rounded to the
//                nearest fp16 value (kept within [2^-24, 65504]) before q is computed
//   zero_points: uint8 [rows, groups], asymmetric only (empty when symmetric); one
//                byte per group holding a value in 0..15
//   Symmetric: nibble = two's complement q in [-7, 7] (0x8 = -8 is never produced),
//     scale = max|g| / 7, value = q * scale, q = clamp(round(v / scale), -7, 7).
//   Asymmetric: nibble = unsigned q in [0, 15]. With lo = min(min g, 0) and
//     hi = max(max g, 0) (the range always holds 0, so padding is exact),
//     scale = (hi - lo) / 15, zero_point = clamp(round(-lo / scale), 0, 15),
//     q = clamp(round(v / scale) + zero_point, 0, 15), value = (q - zero_point) * scale.
//   An all-zero group has scale 1 and zero point 0. round() is to nearest, ties
//   away from zero. Padding elements encode 0 (symmetric) or the zero point.
//
// int8, symmetric, groups of `group_size` consecutive values along cols (any
// size >= 1; 32 is GGUF Q8_0's block). padded_cols = ceil(cols/group_size)*group_size.
//   q:      int8 [rows, padded_cols] in [-127, 127]; padding encodes 0
//   scales: [rows, groups], fp16-exact like int4's (serialized as fp16);
//           scale = max|g| / 127 rounded to the nearest fp16, 1 for an all-zero group
//   value = q * scale; q = clamp(round(v / scale), -127, 127), ties away from zero.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace fennec::quant {

// The scales one encoding of a matrix chose, one per row and group (int8: the
// group is the whole row; MX FP8: 32 values), and the grid of values they
// allow. Encoders pick them from the values they encode, or take them from
// the caller, who may then encode other values on the same scales (GPTQ
// moves weights after their group's scale is fixed). round() returns the
// value an element decodes to, exactly as encoding then decoding gives.
struct QuantGrid {
  enum class Kind : uint8_t { kInt8, kInt4, kInt4Asymmetric, kMxFp8, kInt8Grouped };
  Kind kind = Kind::kInt8;
  size_t rows = 0, cols = 0, group = 0;
  std::vector<float> scales;  // [rows, groups]: int8 / int4 step, MX 2^shared_exponent
  std::vector<int> offsets;   // [rows, groups]: int4 asymmetric zero point, MX shared exponent
  size_t groups_per_row() const { return (cols + group - 1) / group; }
  size_t index(size_t row, size_t col) const { return row * groups_per_row() + col / group; }
  // The code of v at [row, col]: int8 q, int4 nibble (0..15), E4M3 byte.
  uint32_t code(size_t row, size_t col, float v) const;
  float value(size_t row, size_t col, uint32_t code) const;
  float round(size_t row, size_t col, float v) const { return value(row, col, code(row, col, v)); }
};

// The grid the encoders below pick for `weights` [rows, cols] (group_size:
// int4 and grouped int8 only).
QuantGrid make_grid(QuantGrid::Kind kind, std::span<const float> weights, size_t rows, size_t cols,
                    size_t group_size = 0);

// Largest finite magnitude; 0 when there is none.
float finite_abs_max(std::span<const float> values);

// ---- MX FP8 (E4M3 elements, UE8M0 scale per 32 values) ----

constexpr size_t kMxBlockSize = 32;

// Shared exponent of one block (see the header comment), clamped to the
// UE8M0 range; 0 for a block without a finite non-zero value.
int mx_fp8_shared_exponent(std::span<const float> block);
// Encodes up to 32 values into `elements` (same count) and returns the UE8M0
// scale code. Fewer than 32 values is the ragged end of a row; the caller
// pads the remaining element bytes with 0x00.
uint8_t encode_mx_fp8_block(std::span<const float> block, std::span<uint8_t> elements);
// Decodes `elements.size()` values of one block with the given scale code.
void decode_mx_fp8_block(std::span<const uint8_t> elements, uint8_t scale, std::span<float> out);

struct MxFp8Matrix {
  size_t rows = 0, cols = 0;
  std::vector<uint8_t> elements;  // [rows, padded_cols] E4M3
  std::vector<uint8_t> scales;    // [rows, padded_cols / 32] UE8M0
  size_t padded_cols() const;
  size_t blocks_per_row() const;
};

// `grid` (from make_grid, same shape and kind) fixes the scales instead of
// the values' own; so for the other encoders.
MxFp8Matrix encode_mx_fp8(std::span<const float> weights, size_t rows, size_t cols,
                          const QuantGrid* grid = nullptr);
std::vector<float> decode_mx_fp8(const MxFp8Matrix& m);

// ---- int8, symmetric per output channel ----

struct Int8Matrix {
  size_t rows = 0, cols = 0;
  std::vector<int8_t> q;      // [rows, cols]
  std::vector<float> scales;  // [rows]
};

Int8Matrix encode_int8_per_channel(std::span<const float> weights, size_t rows, size_t cols,
                                   const QuantGrid* grid = nullptr);
std::vector<float> decode_int8_per_channel(const Int8Matrix& m);

// ---- int8, grouped along the input dimension ----

struct Int8GroupedMatrix {
  size_t rows = 0, cols = 0, group_size = 0;
  std::vector<int8_t> q;      // [rows, padded_cols]
  std::vector<float> scales;  // [rows, groups_per_row], fp16-exact values
  size_t padded_cols() const;
  size_t groups_per_row() const;
};

// group_size must be positive (throws std::invalid_argument otherwise).
Int8GroupedMatrix encode_int8_grouped(std::span<const float> weights, size_t rows, size_t cols, size_t group_size,
                                      const QuantGrid* grid = nullptr);
std::vector<float> decode_int8_grouped(const Int8GroupedMatrix& m);

// ---- int4, grouped along the input dimension ----

struct Int4Matrix {
  size_t rows = 0, cols = 0, group_size = 0;
  bool symmetric = true;
  std::vector<uint8_t> packed;       // [rows, padded_cols / 2], low nibble = even index
  std::vector<float> scales;         // [rows, groups_per_row], fp16-exact values
  std::vector<uint8_t> zero_points;  // [rows, groups_per_row], asymmetric only
  size_t padded_cols() const;
  size_t groups_per_row() const;
  // Nibble (0..15) of element [row, col], col < padded_cols.
  uint8_t nibble(size_t row, size_t col) const;
};

// group_size must be even and positive (throws std::invalid_argument otherwise).
Int4Matrix encode_int4_grouped(std::span<const float> weights, size_t rows, size_t cols,
                               size_t group_size, bool symmetric, const QuantGrid* grid = nullptr);
std::vector<float> decode_int4_grouped(const Int4Matrix& m);

}  // namespace fennec::quant
