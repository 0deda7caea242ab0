// Reading and writing NumPy .npy files (format version 1.0/2.0, C order,
// little-endian) for `fennec run`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fennec/fennec.h"

namespace fennec::cli {

struct NpyArray {
  fennec_dtype_t dtype = FENNEC_FLOAT32;
  std::vector<int64_t> shape;
  std::vector<std::byte> data;
};

// Throws std::runtime_error naming the file and the problem.
NpyArray read_npy(const std::string& path);
void write_npy(const std::string& path, fennec_dtype_t dtype, const int64_t* dims, int rank,
               const void* data, size_t bytes);

// The .npy file name for a tensor: characters other than letters, digits,
// '-', '_' and '.' become '_' ("x:0" -> "x_0.npy"). `run` writes outputs
// under these names and `convert --calibration` reads inputs by them.
std::string npy_file_name(const std::string& tensor_name);

}  // namespace fennec::cli
