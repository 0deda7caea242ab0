// ONNX TensorProto -> HostTensor.
#pragma once

#include <filesystem>
#include <string>

#include <onnx/onnx_pb.h>

#include "graph/tensor.h"

namespace fennec::onnx_import {

// Converts a TensorProto's data (typed fields, raw_data, or external data
// resolved against `base_dir`). FLOAT, FLOAT16, INT8, UINT8, INT32, INT64 and
// BOOL keep their type; DOUBLE becomes FLOAT32. Throws ConvertError for other
// types and for inconsistent sizes; `what` names the tensor's owner in errors.
HostTensor tensor_from_proto(const onnx::TensorProto& proto, const std::filesystem::path& base_dir,
                             const std::string& what);

// The Fennec data type for an ONNX TensorProto::DataType value; throws
// ConvertError when there is none.
DataType dtype_from_onnx(int onnx_type, const std::string& what);

// "FLOAT", "INT64", ... for messages.
std::string onnx_dtype_name(int onnx_type);

}  // namespace fennec::onnx_import
