#include "onnx/host_value.h"

#include <cmath>
#include <limits>

#include "passes/convert_error.h"
#include "quant/formats.h"

namespace fennec::onnx_import {
double round_to_half(double x) { return quant::fp16_to_float(quant::float_to_fp16(static_cast<float>(x))); }

int64_t HostValue::as_int(size_t i) const {
  const double x = v[i];
  // INT64_MAX / INT64_MIN round to +-2^63 as doubles; clamp instead of
  // overflowing.
  if (x >= 9.2233720368547758e18) return std::numeric_limits<int64_t>::max();
  if (x <= -9.2233720368547758e18) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(x);
}

HostValue host_value_from(const HostTensor& t) {
  HostValue out;
  out.dtype = t.dtype;
  out.shape = t.shape;
  const auto n = static_cast<size_t>(t.elements());
  out.v.resize(n);
  switch (t.dtype) {
    case DataType::FLOAT32:
      for (size_t i = 0; i < n; ++i) out.v[i] = t.as<float>()[i];
      break;
    case DataType::FLOAT16:
      for (size_t i = 0; i < n; ++i) out.v[i] = quant::fp16_to_float(t.as<uint16_t>()[i]);
      break;
    case DataType::INT64:
      for (size_t i = 0; i < n; ++i) out.v[i] = static_cast<double>(t.as<int64_t>()[i]);
      break;
    case DataType::INT32:
      for (size_t i = 0; i < n; ++i) out.v[i] = t.as<int32_t>()[i];
      break;
    case DataType::INT8:
      for (size_t i = 0; i < n; ++i) out.v[i] = t.as<int8_t>()[i];
      break;
    case DataType::UINT8:
    case DataType::BOOL:
      for (size_t i = 0; i < n; ++i) out.v[i] = t.as<uint8_t>()[i];
      break;
    default:
      throw converter::ConvertError(std::string("host evaluation does not handle data type ") +
                                    dtype_name(t.dtype));
  }
  return out;
}

HostTensor host_tensor_from(const HostValue& v) {
  HostTensor t(v.dtype, v.shape);
  const size_t n = v.v.size();
  switch (v.dtype) {
    case DataType::FLOAT32:
      for (size_t i = 0; i < n; ++i) t.as<float>()[i] = static_cast<float>(v.v[i]);
      break;
    case DataType::FLOAT16:
      for (size_t i = 0; i < n; ++i) t.as<uint16_t>()[i] = quant::float_to_fp16(static_cast<float>(v.v[i]));
      break;
    case DataType::INT64:
      for (size_t i = 0; i < n; ++i) t.as<int64_t>()[i] = v.as_int(i);
      break;
    case DataType::INT32:
      for (size_t i = 0; i < n; ++i) t.as<int32_t>()[i] = static_cast<int32_t>(v.as_int(i));
      break;
    case DataType::INT8:
      for (size_t i = 0; i < n; ++i) t.as<int8_t>()[i] = static_cast<int8_t>(v.as_int(i));
      break;
    case DataType::UINT8:
      for (size_t i = 0; i < n; ++i) t.as<uint8_t>()[i] = static_cast<uint8_t>(v.as_int(i));
      break;
    case DataType::BOOL:
      for (size_t i = 0; i < n; ++i) t.as<uint8_t>()[i] = v.v[i] != 0.0 ? 1 : 0;
      break;
    default:
      throw converter::ConvertError(std::string("host evaluation does not produce data type ") +
                                    dtype_name(v.dtype));
  }
  return t;
}

bool same_value(const HostValue& a, const HostValue& b) {
  if (a.dtype != b.dtype || a.shape != b.shape || a.v.size() != b.v.size()) return false;
  for (size_t i = 0; i < a.v.size(); ++i) {
    const bool nan_a = std::isnan(a.v[i]), nan_b = std::isnan(b.v[i]);
    if (nan_a != nan_b || (!nan_a && a.v[i] != b.v[i])) return false;
  }
  return true;
}

int64_t probe_dim(int symbol, int probe) {
  // 32 * odd: 1184, 1248, ... for probe 0; 1696, 1760, ... for probe 1.
  const int64_t base = probe == 0 ? 37 : 53;
  return 32 * (base + 2 * symbol);
}

}  // namespace fennec::onnx_import
