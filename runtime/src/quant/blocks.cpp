#include "quant/blocks.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "quant/formats.h"

namespace fennec::quant {
namespace {

size_t round_up(size_t value, size_t multiple) { return (value + multiple - 1) / multiple * multiple; }

void check_shape(std::span<const float> weights, size_t rows, size_t cols) {
  if (weights.size() != rows * cols) throw std::invalid_argument("quant: weight count does not match rows * cols");
}

// The E4M3 code of v in a block with shared exponent `shared`. Scaling by a
// power of two is exact unless the result drops below the binary32 normal
// range, and such values are far below half the E4M3 minimum subnormal, so
// they encode as zero either way.
uint8_t mx_fp8_element(float v, int shared) { return float_to_e4m3(std::ldexp(v, -shared)); }

struct Int4GroupParams {
  float scale = 1.0f;
  int zero_point = 0;  // asymmetric only
};

// The nearest fp16 value, kept inside fp16's positive finite range so that a
// scale never becomes 0 or infinity.
float fp16_scale(float scale) {
  const float rounded = fp16_to_float(float_to_fp16(scale));
  if (rounded == 0.0f) return fp16_to_float(0x0001);  // 2^-24
  if (std::isinf(rounded)) return 65504.0f;
  return rounded;
}

Int4GroupParams int4_group_params(std::span<const float> group, bool symmetric) {
  Int4GroupParams p;
  if (symmetric) {
    const float amax = finite_abs_max(group);
    if (amax > 0.0f) p.scale = fp16_scale(amax / 7.0f);
    return p;
  }
  float lo = 0.0f, hi = 0.0f;
  for (const float v : group)
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  if (hi > lo) {
    p.scale = fp16_scale((hi - lo) / 15.0f);
    p.zero_point = static_cast<int>(std::clamp(std::round(-lo / p.scale), 0.0f, 15.0f));
  }
  return p;
}

uint8_t int4_nibble(float v, const Int4GroupParams& p, bool symmetric) {
  const float q = std::round(v / p.scale);
  if (symmetric) return static_cast<uint8_t>(static_cast<int>(std::clamp(q, -7.0f, 7.0f)) & 0xF);
  return static_cast<uint8_t>(std::clamp(q + static_cast<float>(p.zero_point), 0.0f, 15.0f));
}

void check_grid(const QuantGrid& g, QuantGrid::Kind kind, size_t rows, size_t cols, size_t group) {
  if (g.kind != kind || g.rows != rows || g.cols != cols || g.group != group ||
      g.scales.size() != rows * g.groups_per_row() || g.offsets.size() != g.scales.size())
    throw std::invalid_argument("quant: the grid does not match the matrix or its format");
}

}  // namespace

float finite_abs_max(std::span<const float> values) {
  float amax = 0.0f;
  for (const float v : values)
    if (std::isfinite(v)) amax = std::max(amax, std::fabs(v));
  return amax;
}

QuantGrid make_grid(QuantGrid::Kind kind, std::span<const float> weights, size_t rows, size_t cols,
                    size_t group_size) {
  check_shape(weights, rows, cols);
  QuantGrid g;
  g.kind = kind;
  g.rows = rows;
  g.cols = cols;
  switch (kind) {
    case QuantGrid::Kind::kInt8: g.group = std::max<size_t>(cols, 1); break;
    case QuantGrid::Kind::kMxFp8: g.group = kMxBlockSize; break;
    case QuantGrid::Kind::kInt8Grouped:
      if (group_size == 0) throw std::invalid_argument("quant: int8 group size must be positive");
      g.group = group_size;
      break;
    case QuantGrid::Kind::kInt4:
    case QuantGrid::Kind::kInt4Asymmetric:
      if (group_size == 0 || group_size % 2 != 0)
        throw std::invalid_argument("quant: int4 group size must be even and positive");
      g.group = group_size;
      break;
  }
  const size_t groups = g.groups_per_row();
  g.scales.assign(rows * groups, 1.0f);
  g.offsets.assign(rows * groups, 0);
  for (size_t r = 0; r < rows; ++r)
    for (size_t b = 0; b < groups; ++b) {
      const size_t begin = b * g.group, count = std::min(g.group, cols - begin);
      const auto values = weights.subspan(r * cols + begin, count);
      const size_t i = r * groups + b;
      if (kind == QuantGrid::Kind::kInt8) {
        const float amax = finite_abs_max(values);
        g.scales[i] = amax > 0.0f ? amax / 127.0f : 1.0f;
      } else if (kind == QuantGrid::Kind::kInt8Grouped) {
        const float amax = finite_abs_max(values);
        g.scales[i] = amax > 0.0f ? fp16_scale(amax / 127.0f) : 1.0f;
      } else if (kind == QuantGrid::Kind::kMxFp8) {
        g.offsets[i] = mx_fp8_shared_exponent(values);
        g.scales[i] = std::ldexp(1.0f, g.offsets[i]);
      } else {
        const Int4GroupParams p = int4_group_params(values, kind == QuantGrid::Kind::kInt4);
        g.scales[i] = p.scale;
        g.offsets[i] = p.zero_point;
      }
    }
  return g;
}

uint32_t QuantGrid::code(size_t row, size_t col, float v) const {
  const size_t i = index(row, col);
  switch (kind) {
    case Kind::kInt8:
    case Kind::kInt8Grouped:
      return static_cast<uint32_t>(static_cast<int32_t>(std::clamp(std::round(v / scales[i]), -127.0f, 127.0f)));
    case Kind::kInt4: return int4_nibble(v, {scales[i], 0}, true);
    case Kind::kInt4Asymmetric: return int4_nibble(v, {scales[i], offsets[i]}, false);
    case Kind::kMxFp8: return mx_fp8_element(v, offsets[i]);
  }
  return 0;
}

float QuantGrid::value(size_t row, size_t col, uint32_t c) const {
  const size_t i = index(row, col);
  switch (kind) {
    case Kind::kInt8:
    case Kind::kInt8Grouped: return static_cast<float>(static_cast<int32_t>(c)) * scales[i];
    case Kind::kInt4: return static_cast<float>(c >= 8 ? static_cast<int>(c) - 16 : static_cast<int>(c)) * scales[i];
    case Kind::kInt4Asymmetric: return static_cast<float>(static_cast<int>(c) - offsets[i]) * scales[i];
    case Kind::kMxFp8: return std::ldexp(e4m3_to_float(static_cast<uint8_t>(c)), offsets[i]);
  }
  return 0.0f;
}

// ---- MX FP8 ----

int mx_fp8_shared_exponent(std::span<const float> block) {
  const float amax = finite_abs_max(block);
  if (amax == 0.0f) return 0;
  int e;
  std::frexp(amax, &e);  // amax = m * 2^e, m in [0.5, 1), so floor(log2(amax)) = e - 1
  int shared = e - 1 - kE4M3MaxExponent;  // amax / 2^shared in [256, 512)
  // One step up when the block maximum would saturate: amax / 2^shared > 448.
  // Comparing in double keeps 448 * 2^shared exact for every float amax.
  if (static_cast<double>(amax) > std::ldexp(static_cast<double>(kE4M3Max), shared)) ++shared;
  return std::clamp(shared, kUE8M0MinExponent, kUE8M0MaxExponent);
}

uint8_t encode_mx_fp8_block(std::span<const float> block, std::span<uint8_t> elements) {
  if (block.size() > kMxBlockSize || elements.size() != block.size())
    throw std::invalid_argument("quant: an MX block holds at most 32 values, one byte each");
  const int shared = mx_fp8_shared_exponent(block);
  for (size_t i = 0; i < block.size(); ++i) elements[i] = mx_fp8_element(block[i], shared);
  return ue8m0_from_exponent(shared);
}

void decode_mx_fp8_block(std::span<const uint8_t> elements, uint8_t scale, std::span<float> out) {
  if (out.size() != elements.size()) throw std::invalid_argument("quant: MX block output size mismatch");
  if (scale == kUE8M0NaN) {
    std::fill(out.begin(), out.end(), ue8m0_to_float(scale));
    return;
  }
  const int exponent = ue8m0_exponent(scale);
  for (size_t i = 0; i < elements.size(); ++i) out[i] = std::ldexp(e4m3_to_float(elements[i]), exponent);
}

size_t MxFp8Matrix::padded_cols() const { return round_up(cols, kMxBlockSize); }
size_t MxFp8Matrix::blocks_per_row() const { return padded_cols() / kMxBlockSize; }

MxFp8Matrix encode_mx_fp8(std::span<const float> weights, size_t rows, size_t cols, const QuantGrid* grid) {
  check_shape(weights, rows, cols);
  const QuantGrid own = grid ? QuantGrid{} : make_grid(QuantGrid::Kind::kMxFp8, weights, rows, cols);
  const QuantGrid& g = grid ? *grid : own;
  check_grid(g, QuantGrid::Kind::kMxFp8, rows, cols, kMxBlockSize);
  MxFp8Matrix m;
  m.rows = rows;
  m.cols = cols;
  const size_t padded = m.padded_cols();
  m.elements.assign(rows * padded, 0x00);
  m.scales.resize(g.offsets.size());
  for (size_t i = 0; i < g.offsets.size(); ++i) m.scales[i] = ue8m0_from_exponent(g.offsets[i]);
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < cols; ++c)
      m.elements[r * padded + c] = static_cast<uint8_t>(g.code(r, c, weights[r * cols + c]));
  return m;
}

std::vector<float> decode_mx_fp8(const MxFp8Matrix& m) {
  std::vector<float> out(m.rows * m.cols);
  const size_t padded = m.padded_cols(), blocks = m.blocks_per_row();
  for (size_t r = 0; r < m.rows; ++r)
    for (size_t b = 0; b < blocks; ++b) {
      const size_t begin = b * kMxBlockSize, count = std::min(kMxBlockSize, m.cols - begin);
      decode_mx_fp8_block(std::span(m.elements).subspan(r * padded + begin, count), m.scales[r * blocks + b],
                          std::span(out).subspan(r * m.cols + begin, count));
    }
  return out;
}

// ---- int8 per channel ----

Int8Matrix encode_int8_per_channel(std::span<const float> weights, size_t rows, size_t cols,
                                   const QuantGrid* grid) {
  check_shape(weights, rows, cols);
  const QuantGrid own = grid ? QuantGrid{} : make_grid(QuantGrid::Kind::kInt8, weights, rows, cols);
  const QuantGrid& g = grid ? *grid : own;
  check_grid(g, QuantGrid::Kind::kInt8, rows, cols, std::max<size_t>(cols, 1));
  Int8Matrix m;
  m.rows = rows;
  m.cols = cols;
  m.q.resize(rows * cols);
  m.scales = g.scales;
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < cols; ++c)
      m.q[r * cols + c] = static_cast<int8_t>(static_cast<int32_t>(g.code(r, c, weights[r * cols + c])));
  return m;
}

std::vector<float> decode_int8_per_channel(const Int8Matrix& m) {
  std::vector<float> out(m.rows * m.cols);
  for (size_t r = 0; r < m.rows; ++r)
    for (size_t c = 0; c < m.cols; ++c) out[r * m.cols + c] = static_cast<float>(m.q[r * m.cols + c]) * m.scales[r];
  return out;
}

// ---- int8 grouped ----

size_t Int8GroupedMatrix::padded_cols() const { return round_up(cols, group_size); }
size_t Int8GroupedMatrix::groups_per_row() const { return padded_cols() / group_size; }

Int8GroupedMatrix encode_int8_grouped(std::span<const float> weights, size_t rows, size_t cols, size_t group_size,
                                      const QuantGrid* grid) {
  check_shape(weights, rows, cols);
  if (group_size == 0) throw std::invalid_argument("quant: int8 group size must be positive");
  const QuantGrid own = grid ? QuantGrid{} : make_grid(QuantGrid::Kind::kInt8Grouped, weights, rows, cols, group_size);
  const QuantGrid& g = grid ? *grid : own;
  check_grid(g, QuantGrid::Kind::kInt8Grouped, rows, cols, group_size);
  Int8GroupedMatrix m;
  m.rows = rows;
  m.cols = cols;
  m.group_size = group_size;
  const size_t padded = m.padded_cols();
  m.q.assign(rows * padded, 0);
  m.scales = g.scales;
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < cols; ++c)
      m.q[r * padded + c] = static_cast<int8_t>(static_cast<int32_t>(g.code(r, c, weights[r * cols + c])));
  return m;
}

std::vector<float> decode_int8_grouped(const Int8GroupedMatrix& m) {
  std::vector<float> out(m.rows * m.cols);
  const size_t padded = m.padded_cols(), groups = m.groups_per_row();
  for (size_t r = 0; r < m.rows; ++r)
    for (size_t c = 0; c < m.cols; ++c)
      out[r * m.cols + c] = static_cast<float>(m.q[r * padded + c]) * m.scales[r * groups + c / m.group_size];
  return out;
}

// ---- int4 grouped ----

size_t Int4Matrix::padded_cols() const { return round_up(cols, group_size); }
size_t Int4Matrix::groups_per_row() const { return padded_cols() / group_size; }

uint8_t Int4Matrix::nibble(size_t row, size_t col) const {
  const uint8_t byte = packed[row * (padded_cols() / 2) + col / 2];
  return (col % 2 == 0) ? (byte & 0x0Fu) : static_cast<uint8_t>(byte >> 4);
}


Int4Matrix encode_int4_grouped(std::span<const float> weights, size_t rows, size_t cols, size_t group_size,
                               bool symmetric, const QuantGrid* grid) {
  check_shape(weights, rows, cols);
  if (group_size == 0 || group_size % 2 != 0)
    throw std::invalid_argument("quant: int4 group size must be even and positive");
  const QuantGrid::Kind kind = symmetric ? QuantGrid::Kind::kInt4 : QuantGrid::Kind::kInt4Asymmetric;
  const QuantGrid own = grid ? QuantGrid{} : make_grid(kind, weights, rows, cols, group_size);
  const QuantGrid& g = grid ? *grid : own;
  check_grid(g, kind, rows, cols, group_size);
  Int4Matrix m;
  m.rows = rows;
  m.cols = cols;
  m.group_size = group_size;
  m.symmetric = symmetric;
  const size_t padded = m.padded_cols(), row_bytes = padded / 2;
  m.packed.assign(rows * row_bytes, 0x00);
  m.scales = g.scales;
  if (!symmetric) m.zero_points.assign(g.offsets.begin(), g.offsets.end());
  for (size_t r = 0; r < rows; ++r)
    for (size_t col = 0; col < padded; ++col) {
      const float v = col < cols ? weights[r * cols + col] : 0.0f;  // padding encodes 0
      const auto nib = static_cast<uint8_t>(g.code(r, col, v));
      uint8_t& byte = m.packed[r * row_bytes + col / 2];
      byte = static_cast<uint8_t>(col % 2 == 0 ? (byte & 0xF0u) | nib : (byte & 0x0Fu) | (nib << 4));
    }
  return m;
}

std::vector<float> decode_int4_grouped(const Int4Matrix& m) {
  std::vector<float> out(m.rows * m.cols);
  const size_t groups = m.groups_per_row();
  for (size_t r = 0; r < m.rows; ++r)
    for (size_t c = 0; c < m.cols; ++c) {
      const size_t g = r * groups + c / m.group_size;
      const int nib = m.nibble(r, c);
      const int q = m.symmetric ? (nib >= 8 ? nib - 16 : nib) : nib - m.zero_points[g];
      out[r * m.cols + c] = static_cast<float>(q) * m.scales[g];
    }
  return out;
}

}  // namespace fennec::quant
