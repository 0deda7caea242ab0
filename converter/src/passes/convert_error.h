// The converter's error type. The converter is a host tool: importer, passes
// and writer throw ConvertError with a message that names the model element
// at fault; the `fennec convert` command catches it and prints the message.
#pragma once

#include <stdexcept>
#include <string>

#include "base/status.h"

namespace fennec::converter {

class ConvertError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws ConvertError("<context>: <status message>") when `status` failed.
inline void throw_if_error(const Status& status, const std::string& context) {
  if (status.ok()) return;
  throw ConvertError(context.empty() ? status.message() : context + ": " + status.message());
}

}  // namespace fennec::converter
