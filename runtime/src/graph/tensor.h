// Shapes, data types and host tensors shared by the graph, the ops and the
// converter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "fennec_generated.h"

namespace fennec {

using DataType = schema::DataType;

// A dimension of -1 is unknown (symbolic until the input shapes are bound).
constexpr int64_t kUnknownDim = -1;

using Shape = std::vector<int64_t>;

size_t dtype_size(DataType dtype);
const char* dtype_name(DataType dtype);
// FLOAT32 or FLOAT16: the dtypes that activations are stored in.
inline bool is_float_dtype(DataType dtype) { return dtype == DataType::FLOAT32 || dtype == DataType::FLOAT16; }

// True when every dimension is known.
bool is_static(const Shape& shape);
// Product of dims; only meaningful for static shapes (1 for rank 0).
int64_t element_count(const Shape& shape);
// "[1,3,?,?]"
std::string shape_to_string(const Shape& shape);

// A dense row-major tensor in host memory that owns its bytes.
struct HostTensor {
  DataType dtype = DataType::FLOAT32;
  Shape shape;
  std::vector<std::byte> bytes;

  HostTensor() = default;
  HostTensor(DataType type, Shape dims);

  int64_t elements() const { return element_count(shape); }
  template <typename T>
  std::span<T> as() {
    return {reinterpret_cast<T*>(bytes.data()), bytes.size() / sizeof(T)};
  }
  template <typename T>
  std::span<const T> as() const {
    return {reinterpret_cast<const T*>(bytes.data()), bytes.size() / sizeof(T)};
  }
};

// `t` in dtype `to`: FLOAT32 and FLOAT16 convert either way (binary16
// rounded to nearest even); any dtype converts to itself (a copy).
// kUnsupported for other pairs.
Result<HostTensor> convert_dtype(const HostTensor& t, DataType to);
// The same for `shape` elements of dtype `from` at `data`.
Result<HostTensor> convert_dtype(DataType from, const Shape& shape, const void* data, DataType to);

}  // namespace fennec
