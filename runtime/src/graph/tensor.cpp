#include "graph/tensor.h"

#include <cstring>

#include <fmt/format.h>

#include "quant/formats.h"

namespace fennec {

size_t dtype_size(DataType dtype) {
  switch (dtype) {
    case DataType::FLOAT32: return 4;
    case DataType::FLOAT16: return 2;
    case DataType::INT8: return 1;
    case DataType::UINT8: return 1;
    case DataType::INT32: return 4;
    case DataType::INT64: return 8;
    case DataType::BOOL: return 1;
  }
  return 0;
}

const char* dtype_name(DataType dtype) { return schema::EnumNameDataType(dtype); }

bool is_static(const Shape& shape) {
  for (int64_t d : shape)
    if (d < 0) return false;
  return true;
}

int64_t element_count(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_to_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += shape[i] < 0 ? std::string("?") : std::to_string(shape[i]);
  }
  return s + "]";
}

HostTensor::HostTensor(DataType type, Shape dims) : dtype(type), shape(std::move(dims)) {
  bytes.resize(static_cast<size_t>(element_count(shape)) * dtype_size(dtype));
}

Result<HostTensor> convert_dtype(const HostTensor& t, DataType to) {
  if (t.dtype == to) return t;
  return convert_dtype(t.dtype, t.shape, t.bytes.data(), to);
}

Result<HostTensor> convert_dtype(DataType from, const Shape& shape, const void* data, DataType to) {
  HostTensor out(to, shape);
  if (from == to) {
    if (!out.bytes.empty()) std::memcpy(out.bytes.data(), data, out.bytes.size());
    return out;
  }
  if (from == DataType::FLOAT32 && to == DataType::FLOAT16) {
    const auto* in = static_cast<const float*>(data);
    std::span<uint16_t> half = out.as<uint16_t>();
    for (size_t i = 0; i < half.size(); ++i) half[i] = quant::float_to_fp16(in[i]);
    return out;
  }
  if (from == DataType::FLOAT16 && to == DataType::FLOAT32) {
    const auto* half = static_cast<const uint16_t*>(data);
    std::span<float> f = out.as<float>();
    for (size_t i = 0; i < f.size(); ++i) f[i] = quant::fp16_to_float(half[i]);
    return out;
  }
  return make_error(StatusCode::kUnsupported, "cannot convert a {} tensor to {}", dtype_name(from), dtype_name(to));
}

}  // namespace fennec
