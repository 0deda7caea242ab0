#include "onnx/tensor_proto.h"

#include <cstdint>
#include <cstring>
#include <fstream>

#include "passes/convert_error.h"

namespace fennec::onnx_import {

using converter::ConvertError;

std::string onnx_dtype_name(int onnx_type) {
  if (onnx::TensorProto_DataType_IsValid(onnx_type))
    return onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(onnx_type));
  return "type " + std::to_string(onnx_type);
}

DataType dtype_from_onnx(int onnx_type, const std::string& what) {
  switch (onnx_type) {
    case onnx::TensorProto::FLOAT: return DataType::FLOAT32;
    case onnx::TensorProto::DOUBLE: return DataType::FLOAT32;  // narrowed on import
    case onnx::TensorProto::FLOAT16: return DataType::FLOAT16;
    case onnx::TensorProto::INT8: return DataType::INT8;
    case onnx::TensorProto::UINT8: return DataType::UINT8;
    case onnx::TensorProto::INT32: return DataType::INT32;
    case onnx::TensorProto::INT64: return DataType::INT64;
    case onnx::TensorProto::UINT32: return DataType::INT64;  // widened on import
    case onnx::TensorProto::UINT64: return DataType::INT64;  // values above INT64_MAX are rejected
    case onnx::TensorProto::BOOL: return DataType::BOOL;
    default:
      throw ConvertError(what + ": unsupported tensor data type " + onnx_dtype_name(onnx_type));
  }
}

namespace {

std::string read_external(const onnx::TensorProto& proto, const std::filesystem::path& base_dir,
                          const std::string& what) {
  std::string location;
  uint64_t offset = 0;
  int64_t length = -1;
  for (const auto& entry : proto.external_data()) {
    if (entry.key() == "location") location = entry.value();
    else if (entry.key() == "offset") offset = std::stoull(entry.value());
    else if (entry.key() == "length") length = std::stoll(entry.value());
  }
  if (location.empty()) throw ConvertError(what + ": external data without a location");
  const std::filesystem::path file = base_dir / location;
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConvertError(what + ": cannot open external data file '" + file.string() + "'");
  in.seekg(0, std::ios::end);
  const uint64_t file_size = static_cast<uint64_t>(in.tellg());
  if (length < 0) length = static_cast<int64_t>(file_size - std::min(offset, file_size));
  if (offset + static_cast<uint64_t>(length) > file_size)
    throw ConvertError(what + ": external data range exceeds '" + file.string() + "'");
  std::string bytes(static_cast<size_t>(length), '\0');
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(bytes.data(), length);
  if (!in) throw ConvertError(what + ": cannot read external data from '" + file.string() + "'");
  return bytes;
}

template <typename Dst, typename Field>
void copy_field(HostTensor& t, const Field& field, size_t count, const std::string& what) {
  if (static_cast<size_t>(field.size()) != count)
    throw ConvertError(what + ": has " + std::to_string(field.size()) + " values, shape needs " +
                       std::to_string(count));
  auto dst = t.as<Dst>();
  for (size_t i = 0; i < count; ++i) dst[i] = static_cast<Dst>(field.Get(static_cast<int>(i)));
}

int64_t widen_unsigned(uint64_t v, const std::string& what) {
  if (v > static_cast<uint64_t>(INT64_MAX))
    throw ConvertError(what + ": unsigned value " + std::to_string(v) + " does not fit INT64");
  return static_cast<int64_t>(v);
}

}  // namespace

HostTensor tensor_from_proto(const onnx::TensorProto& proto, const std::filesystem::path& base_dir,
                             const std::string& what) {
  const int type = proto.data_type();
  const DataType dtype = dtype_from_onnx(type, what);
  Shape shape;
  for (int64_t d : proto.dims()) {
    if (d < 0) throw ConvertError(what + ": negative dimension in constant tensor");
    shape.push_back(d);
  }
  HostTensor t(dtype, shape);
  const size_t count = static_cast<size_t>(element_count(shape));

  const bool external = proto.data_location() == onnx::TensorProto::EXTERNAL;
  if (external || proto.has_raw_data()) {
    const std::string raw = external ? read_external(proto, base_dir, what) : proto.raw_data();
    if (type == onnx::TensorProto::DOUBLE) {
      if (raw.size() != count * sizeof(double))
        throw ConvertError(what + ": raw data has " + std::to_string(raw.size()) +
                           " bytes, shape needs " + std::to_string(count * sizeof(double)));
      auto dst = t.as<float>();
      for (size_t i = 0; i < count; ++i) {
        double v;
        std::memcpy(&v, raw.data() + i * sizeof(double), sizeof(double));
        dst[i] = static_cast<float>(v);
      }
      return t;
    }
    if (type == onnx::TensorProto::UINT32 || type == onnx::TensorProto::UINT64) {
      const size_t width = type == onnx::TensorProto::UINT32 ? 4 : 8;
      if (raw.size() != count * width)
        throw ConvertError(what + ": raw data has " + std::to_string(raw.size()) +
                           " bytes, shape needs " + std::to_string(count * width));
      auto dst = t.as<int64_t>();
      for (size_t i = 0; i < count; ++i) {
        uint64_t v = 0;
        if (width == 4) {
          uint32_t u;
          std::memcpy(&u, raw.data() + i * 4, 4);
          v = u;
        } else {
          std::memcpy(&v, raw.data() + i * 8, 8);
        }
        dst[i] = widen_unsigned(v, what);
      }
      return t;
    }
    if (raw.size() != t.bytes.size())
      throw ConvertError(what + ": raw data has " + std::to_string(raw.size()) +
                         " bytes, shape " + shape_to_string(shape) + " of " +
                         onnx_dtype_name(type) + " needs " + std::to_string(t.bytes.size()));
    if (!raw.empty()) std::memcpy(t.bytes.data(), raw.data(), raw.size());
    return t;
  }

  switch (type) {
    case onnx::TensorProto::FLOAT: copy_field<float>(t, proto.float_data(), count, what); break;
    case onnx::TensorProto::DOUBLE: copy_field<float>(t, proto.double_data(), count, what); break;
    case onnx::TensorProto::INT64: copy_field<int64_t>(t, proto.int64_data(), count, what); break;
    case onnx::TensorProto::INT32: copy_field<int32_t>(t, proto.int32_data(), count, what); break;
    case onnx::TensorProto::UINT32:
    case onnx::TensorProto::UINT64: {
      copy_field<int64_t>(t, proto.uint64_data(), count, what);
      for (size_t i = 0; i < count; ++i)
        widen_unsigned(static_cast<uint64_t>(proto.uint64_data(static_cast<int>(i))), what);
      break;
    }
    // FLOAT16 stores its bit patterns in int32_data.
    case onnx::TensorProto::FLOAT16: copy_field<uint16_t>(t, proto.int32_data(), count, what); break;
    case onnx::TensorProto::INT8: copy_field<int8_t>(t, proto.int32_data(), count, what); break;
    case onnx::TensorProto::UINT8: copy_field<uint8_t>(t, proto.int32_data(), count, what); break;
    case onnx::TensorProto::BOOL: copy_field<uint8_t>(t, proto.int32_data(), count, what); break;
    default: break;
  }
  return t;
}

}  // namespace fennec::onnx_import
