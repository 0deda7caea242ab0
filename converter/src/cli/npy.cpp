#include "cli/npy.h"

#include <cctype>
#include <cstring>
#include <fstream>
#include <regex>
#include <stdexcept>

namespace fennec::cli {
namespace {

struct DtypeCode {
  const char* descr;
  fennec_dtype_t dtype;
  size_t size;
};

constexpr DtypeCode kDtypes[] = {
    {"<f4", FENNEC_FLOAT32, 4}, {"<f2", FENNEC_FLOAT16, 2}, {"|i1", FENNEC_INT8, 1},
    {"|u1", FENNEC_UINT8, 1},   {"<i4", FENNEC_INT32, 4},   {"<i8", FENNEC_INT64, 8},
    {"|b1", FENNEC_BOOL, 1},
};

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error("'" + path + "': " + what);
}

}  // namespace

NpyArray read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open .npy file");
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    fail(path, "not a .npy file (bad magic)");
  uint32_t header_len = 0;
  if (magic[6] == 1) {
    uint8_t len[2];
    in.read(reinterpret_cast<char*>(len), 2);
    header_len = len[0] | (len[1] << 8);
  } else {
    uint8_t len[4];
    in.read(reinterpret_cast<char*>(len), 4);
    header_len = len[0] | (len[1] << 8) | (len[2] << 16) | (static_cast<uint32_t>(len[3]) << 24);
  }
  if (!in || header_len > (1u << 20)) fail(path, "truncated .npy header");
  std::string header(header_len, '\0');
  if (!in.read(header.data(), header_len)) fail(path, "truncated .npy header");

  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr'\\s*:\\s*'([^']+)'"))) fail(path, "no descr in header");
  const std::string descr = m[1];
  if (std::regex_search(header, m, std::regex("'fortran_order'\\s*:\\s*True")))
    fail(path, "Fortran-order arrays are not supported; save with np.ascontiguousarray");
  if (!std::regex_search(header, m, std::regex("'shape'\\s*:\\s*\\(([^)]*)\\)"))) fail(path, "no shape in header");
  NpyArray array;
  const std::string dims = m[1];
  std::regex number("\\d+");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), number); it != std::sregex_iterator(); ++it)
    array.shape.push_back(std::stoll(it->str()));
  size_t elem = 0;
  for (const auto& code : kDtypes)
    if (descr == code.descr || (descr.size() == 3 && descr[0] == '|' && descr.substr(1) == std::string(code.descr).substr(1))) {
      array.dtype = code.dtype;
      elem = code.size;
    }
  if (!elem) fail(path, "unsupported dtype '" + descr + "' (use float32)");
  size_t count = 1;
  for (int64_t d : array.shape) count *= static_cast<size_t>(d);
  array.data.resize(count * elem);
  if (!in.read(reinterpret_cast<char*>(array.data.data()), static_cast<std::streamsize>(array.data.size())))
    fail(path, "truncated .npy data: expected " + std::to_string(array.data.size()) + " bytes");
  return array;
}

void write_npy(const std::string& path, fennec_dtype_t dtype, const int64_t* dims, int rank,
               const void* data, size_t bytes) {
  const char* descr = nullptr;
  for (const auto& code : kDtypes)
    if (code.dtype == dtype) descr = code.descr;
  if (!descr) fail(path, "cannot write this dtype to .npy");
  std::string shape = "(";
  for (int i = 0; i < rank; ++i) shape += std::to_string(dims[i]) + (rank == 1 ? "," : (i + 1 < rank ? ", " : ""));
  shape += ")";
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so that the data starts on a 64-byte boundary; the header ends with '\n'.
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::ofstream out(path, std::ios::binary);
  if (!out) fail(path, "cannot create file");
  const uint16_t len = static_cast<uint16_t>(header.size());
  out.write("\x93NUMPY\x01\x00", 8);
  const char len_bytes[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  out.write(len_bytes, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
  if (!out) fail(path, "write failed");
}

std::string npy_file_name(const std::string& tensor_name) {
  std::string name;
  for (char c : tensor_name)
    name += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  return name + ".npy";
}

}  // namespace fennec::cli
