// Byte sizes on the command line: "256M", "1.5G", "512K", "4096" or "4096B".
#pragma once

#include <cstdint>
#include <string>

namespace fennec::cli {

// Binary multiples (K = 1024). Throws std::runtime_error naming `option`
// when `text` is not a positive size.
uint64_t parse_byte_size(const std::string& text, const std::string& option);

}  // namespace fennec::cli
