#include "cli/byte_size.h"

#include <cctype>
#include <stdexcept>

namespace fennec::cli {

uint64_t parse_byte_size(const std::string& text, const std::string& option) {
  size_t used = 0;
  double value = 0.0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  std::string unit = text.substr(used);
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (unit.size() == 2 && unit[1] == 'B') unit.pop_back();
  const double scale = unit.empty() || unit == "B" ? 1.0
                       : unit == "K"              ? 1024.0
                       : unit == "M"              ? 1048576.0
                       : unit == "G"              ? 1073741824.0
                       : unit == "T"              ? 1099511627776.0
                                                  : 0.0;
  if (used == 0 || scale == 0.0 || !(value > 0.0) || value * scale >= 1.8e19)
    throw std::runtime_error(option + " '" + text +
                             "' is not a size; write bytes or a number with K, M, G or T (e.g. 256M)");
  return static_cast<uint64_t>(value * scale);
}

}  // namespace fennec::cli
