#include "quant/weight_format.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "quant/blocks.h"
#include "quant/formats.h"

namespace fennec::quant {
namespace {

constexpr size_t kArrayAlignment = 16;

size_t align16(size_t value) { return (value + kArrayAlignment - 1) / kArrayAlignment * kArrayAlignment; }
size_t round_up(size_t value, size_t multiple) { return (value + multiple - 1) / multiple * multiple; }

template <typename T>
void put(std::vector<std::byte>& out, size_t offset, std::span<const T> values) {
  std::memcpy(out.data() + offset, values.data(), values.size_bytes());
}

template <typename T>
std::vector<T> get(std::span<const std::byte> bytes, size_t offset, size_t count) {
  std::vector<T> values(count);
  std::memcpy(values.data(), bytes.data() + offset, count * sizeof(T));
  return values;
}

std::vector<uint16_t> to_fp16(std::span<const float> values) {
  std::vector<uint16_t> out(values.size());
  for (size_t i = 0; i < values.size(); ++i) out[i] = float_to_fp16(values[i]);
  return out;
}

std::vector<float> from_fp16(std::span<const uint16_t> codes) {
  std::vector<float> out(codes.size());
  for (size_t i = 0; i < codes.size(); ++i) out[i] = fp16_to_float(codes[i]);
  return out;
}

// Row-major [rows, cols] values of the weight's matrix view.
}  // namespace

const char* weight_format_name(WeightFormat format) {
  switch (format) {
    case WeightFormat::kFloat32: return "fp32";
    case WeightFormat::kFloat16: return "fp16";
    case WeightFormat::kInt8: return "int8";
    case WeightFormat::kInt4: return "int4";
    case WeightFormat::kInt4Asymmetric: return "int4-asym";
    case WeightFormat::kMxFp8: return "mxfp8";
    case WeightFormat::kInt8Grouped: return "int8";
  }
  return "unknown";
}

std::string WeightQuant::to_string() const {
  std::string s = weight_format_name(format);
  if (grouped_format(format)) s += fmt::format(" g{}", group_size);
  if (int8_activations()) s += " a8";
  return s;
}

int quantize_activation(float x, float scale) {
  const float inverse = 1.0f / scale;
  const float v = x * inverse;
  if (!(v == v)) return 0;  // NaN
  const float r = std::trunc(v + (v < 0.0f ? -0.5f : 0.5f));
  return static_cast<int>(std::clamp(r, -127.0f, 127.0f));
}

std::string check_weight_quant(const WeightQuant& quant, const Shape& shape) {
  if (static_cast<uint8_t>(quant.format) > static_cast<uint8_t>(WeightFormat::kInt8Grouped))
    return fmt::format("unknown weight format {}", static_cast<int>(quant.format));
  if (quant.activation_scale < 0.0f || !std::isfinite(quant.activation_scale) ||
      (quant.int8_activations() && quant.format != WeightFormat::kInt8))
    return fmt::format("activation scale {} needs INT8 weights and a positive finite value",
                       quant.activation_scale);
  if (!quant.quantized()) return {};
  if (!is_static(shape) || shape.size() < 2)
    return fmt::format("a quantized weight needs a static shape of rank 2 or more, got {}",
                       shape_to_string(shape));
  if (quant.transposed && shape.size() != 2)
    return fmt::format("a transposed quantized weight must have rank 2, got {}", shape_to_string(shape));
  const bool int4 = quant.format == WeightFormat::kInt4 || quant.format == WeightFormat::kInt4Asymmetric;
  if (int4 && (quant.group_size == 0 || quant.group_size % 2 != 0 || quant.group_size > 4096))
    return fmt::format("int4 group size {} is not an even number in 2..4096", quant.group_size);
  if (quant.format == WeightFormat::kInt8Grouped && (quant.group_size == 0 || quant.group_size > 4096))
    return fmt::format("int8 group size {} is not in 1..4096", quant.group_size);
  return {};
}

WeightMatrix weight_matrix(const WeightQuant& quant, const Shape& shape) {
  if (quant.transposed) return {static_cast<size_t>(shape[1]), static_cast<size_t>(shape[0])};
  size_t cols = 1;
  for (size_t i = 1; i < shape.size(); ++i) cols *= static_cast<size_t>(shape[i]);
  return {static_cast<size_t>(shape[0]), cols};
}

WeightLayout weight_layout(const WeightQuant& quant, const Shape& shape) {
  const WeightMatrix m = weight_matrix(quant, shape);
  WeightLayout l;
  l.rows = m.rows;
  l.cols = l.padded_cols = m.cols;
  l.groups_per_row = 1;
  switch (quant.format) {
    case WeightFormat::kFloat32: l.total_bytes = m.rows * m.cols * 4; break;
    case WeightFormat::kFloat16: l.total_bytes = m.rows * m.cols * 2; break;
    case WeightFormat::kInt8:
      l.scales_offset = align16(m.rows * m.cols);
      l.total_bytes = l.scales_offset + m.rows * 4;
      break;
    case WeightFormat::kInt4:
    case WeightFormat::kInt4Asymmetric:
      l.padded_cols = round_up(m.cols, quant.group_size);
      l.groups_per_row = l.padded_cols / quant.group_size;
      l.scales_offset = align16(m.rows * l.padded_cols / 2);
      l.total_bytes = l.scales_offset + m.rows * l.groups_per_row * 2;
      if (quant.format == WeightFormat::kInt4Asymmetric) {
        l.zero_points_offset = align16(l.total_bytes);
        l.total_bytes = l.zero_points_offset + m.rows * l.groups_per_row;
      }
      break;
    case WeightFormat::kMxFp8:
      l.padded_cols = round_up(m.cols, kMxBlockSize);
      l.groups_per_row = l.padded_cols / kMxBlockSize;
      l.scales_offset = align16(m.rows * l.padded_cols);
      l.total_bytes = l.scales_offset + m.rows * l.groups_per_row;
      break;
    case WeightFormat::kInt8Grouped:
      l.padded_cols = round_up(m.cols, quant.group_size);
      l.groups_per_row = l.padded_cols / quant.group_size;
      l.scales_offset = align16(m.rows * l.padded_cols);
      l.total_bytes = l.scales_offset + m.rows * l.groups_per_row * 2;
      break;
  }
  return l;
}

std::vector<float> to_weight_matrix(const WeightQuant& quant, const Shape& shape, std::span<const float> values) {
  if (!quant.transposed) return {values.begin(), values.end()};
  const size_t k = static_cast<size_t>(shape[0]), n = static_cast<size_t>(shape[1]);
  std::vector<float> out(values.size());
  for (size_t i = 0; i < k; ++i)
    for (size_t j = 0; j < n; ++j) out[j * k + i] = values[i * n + j];
  return out;
}

std::vector<float> from_weight_matrix(const WeightQuant& quant, const Shape& shape, std::vector<float> matrix) {
  if (!quant.transposed) return matrix;
  const size_t k = static_cast<size_t>(shape[0]), n = static_cast<size_t>(shape[1]);
  std::vector<float> out(matrix.size());
  for (size_t i = 0; i < k; ++i)
    for (size_t j = 0; j < n; ++j) out[i * n + j] = matrix[j * k + i];
  return out;
}

namespace {

// The matrix view of `values` after checking that `quant` fits `shape` and
// that the count matches.
std::vector<float> checked_matrix(const WeightQuant& quant, const Shape& shape, std::span<const float> values) {
  if (const std::string why = check_weight_quant(quant, shape); !why.empty()) throw std::invalid_argument(why);
  if (values.size() != static_cast<size_t>(element_count(shape)))
    throw std::invalid_argument("quant: value count does not match the weight shape");
  return to_weight_matrix(quant, shape, values);
}

}  // namespace

QuantGrid weight_grid(const WeightQuant& quant, const Shape& shape, std::span<const float> values) {
  const std::vector<float> w = checked_matrix(quant, shape, values);
  const WeightMatrix m = weight_matrix(quant, shape);
  switch (quant.format) {
    case WeightFormat::kInt8: return make_grid(QuantGrid::Kind::kInt8, w, m.rows, m.cols);
    case WeightFormat::kInt4: return make_grid(QuantGrid::Kind::kInt4, w, m.rows, m.cols, quant.group_size);
    case WeightFormat::kInt4Asymmetric:
      return make_grid(QuantGrid::Kind::kInt4Asymmetric, w, m.rows, m.cols, quant.group_size);
    case WeightFormat::kMxFp8: return make_grid(QuantGrid::Kind::kMxFp8, w, m.rows, m.cols);
    case WeightFormat::kInt8Grouped:
      return make_grid(QuantGrid::Kind::kInt8Grouped, w, m.rows, m.cols, quant.group_size);
    default: break;
  }
  throw std::invalid_argument(std::string("quant: ") + weight_format_name(quant.format) + " has no scale grid");
}

std::vector<std::byte> encode_weight(const WeightQuant& quant, const Shape& shape,
                                     std::span<const float> values, const QuantGrid* grid) {
  const std::vector<float> w = checked_matrix(quant, shape, values);
  const WeightLayout l = weight_layout(quant, shape);
  std::vector<std::byte> out(l.total_bytes, std::byte{0});
  switch (quant.format) {
    case WeightFormat::kFloat32: put<float>(out, 0, w); break;
    case WeightFormat::kFloat16: put<uint16_t>(out, 0, to_fp16(w)); break;
    case WeightFormat::kInt8: {
      const Int8Matrix m = encode_int8_per_channel(w, l.rows, l.cols, grid);
      put<int8_t>(out, 0, m.q);
      put<float>(out, l.scales_offset, m.scales);
      break;
    }
    case WeightFormat::kInt4:
    case WeightFormat::kInt4Asymmetric: {
      const Int4Matrix m = encode_int4_grouped(w, l.rows, l.cols, quant.group_size,
                                               quant.format == WeightFormat::kInt4, grid);
      put<uint8_t>(out, 0, m.packed);
      put<uint16_t>(out, l.scales_offset, to_fp16(m.scales));
      if (!m.symmetric) put<uint8_t>(out, l.zero_points_offset, m.zero_points);
      break;
    }
    case WeightFormat::kMxFp8: {
      const MxFp8Matrix m = encode_mx_fp8(w, l.rows, l.cols, grid);
      put<uint8_t>(out, 0, m.elements);
      put<uint8_t>(out, l.scales_offset, m.scales);
      break;
    }
    case WeightFormat::kInt8Grouped: {
      const Int8GroupedMatrix m = encode_int8_grouped(w, l.rows, l.cols, quant.group_size, grid);
      put<int8_t>(out, 0, m.q);
      put<uint16_t>(out, l.scales_offset, to_fp16(m.scales));
      break;
    }
  }
  return out;
}

namespace {

// Rows [first, first + count) of the matrix view, decoded.
std::vector<float> decode_rows(const WeightQuant& quant, const WeightLayout& l, std::span<const std::byte> bytes,
                               size_t first, size_t count) {
  const size_t groups = count * l.groups_per_row, group_at = first * l.groups_per_row;
  switch (quant.format) {
    case WeightFormat::kFloat32: return get<float>(bytes, first * l.cols * 4, count * l.cols);
    case WeightFormat::kFloat16: return from_fp16(get<uint16_t>(bytes, first * l.cols * 2, count * l.cols));
    case WeightFormat::kInt8: {
      const Int8Matrix m{count, l.cols, get<int8_t>(bytes, first * l.cols, count * l.cols),
                         get<float>(bytes, l.scales_offset + first * 4, count)};
      return decode_int8_per_channel(m);
    }
    case WeightFormat::kInt8Grouped: {
      Int8GroupedMatrix m;
      m.rows = count;
      m.cols = l.cols;
      m.group_size = quant.group_size;
      m.q = get<int8_t>(bytes, first * l.padded_cols, count * l.padded_cols);
      m.scales = from_fp16(get<uint16_t>(bytes, l.scales_offset + group_at * 2, groups));
      return decode_int8_grouped(m);
    }
    case WeightFormat::kInt4:
    case WeightFormat::kInt4Asymmetric: {
      Int4Matrix m;
      m.rows = count;
      m.cols = l.cols;
      m.group_size = quant.group_size;
      m.symmetric = quant.format == WeightFormat::kInt4;
      m.packed = get<uint8_t>(bytes, first * l.padded_cols / 2, count * l.padded_cols / 2);
      m.scales = from_fp16(get<uint16_t>(bytes, l.scales_offset + group_at * 2, groups));
      if (!m.symmetric) m.zero_points = get<uint8_t>(bytes, l.zero_points_offset + group_at, groups);
      return decode_int4_grouped(m);
    }
    case WeightFormat::kMxFp8: {
      MxFp8Matrix m;
      m.rows = count;
      m.cols = l.cols;
      m.elements = get<uint8_t>(bytes, first * l.padded_cols, count * l.padded_cols);
      m.scales = get<uint8_t>(bytes, l.scales_offset + group_at, groups);
      return decode_mx_fp8(m);
    }
  }
  return {};
}

WeightLayout checked_layout(const WeightQuant& quant, const Shape& shape, std::span<const std::byte> bytes) {
  if (const std::string why = check_weight_quant(quant, shape); !why.empty()) throw std::invalid_argument(why);
  const WeightLayout l = weight_layout(quant, shape);
  if (bytes.size() != l.total_bytes)
    throw std::invalid_argument(fmt::format("quant: a {} weight of shape {} takes {} bytes, got {}",
                                            quant.to_string(), shape_to_string(shape), l.total_bytes,
                                            bytes.size()));
  return l;
}

}  // namespace

std::vector<float> decode_weight(const WeightQuant& quant, const Shape& shape,
                                 std::span<const std::byte> bytes) {
  const WeightLayout l = checked_layout(quant, shape, bytes);
  return from_weight_matrix(quant, shape, decode_rows(quant, l, bytes, 0, l.rows));
}

void decode_weight_row(const WeightQuant& quant, const Shape& shape, std::span<const std::byte> bytes, size_t row,
                       std::span<float> out) {
  const WeightLayout l = checked_layout(quant, shape, bytes);
  if (quant.transposed || row >= l.rows || out.size() != l.cols)
    throw std::invalid_argument("quant: decode_weight_row needs a row of a weight that is not transposed");
  const std::vector<float> values = decode_rows(quant, l, bytes, row, 1);
  std::copy(values.begin(), values.end(), out.begin());
}

}  // namespace fennec::quant
