// What the C API's translation units share: the handle structs behind the
// opaque types of fennec.h and the Status / exception to fennec_status_t glue.
#pragma once

#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "base/status.h"
#include "fennec/fennec.h"
#include "model/model_file.h"
#include "vulkan/context.h"
#include "vulkan/session.h"

struct fennec_status_s {
  fennec_status_code_t code;
  std::string message;
};

struct fennec_model_s {
  std::unique_ptr<fennec::model::ModelFile> file;
  fennec::graph::Graph graph;
  std::vector<std::string> node_details;  // describe() of each node
  std::string producer;
};

struct fennec_session_s {
  fennec_model_s* model = nullptr;
  std::unique_ptr<fennec::vulkan::Context> context;
  std::unique_ptr<fennec::vulkan::Session> session;
};

namespace fennec::api {

using fennec::Status;
using fennec::StatusCode;

inline fennec_status_t to_c(const Status& status) {
  if (status.ok()) return nullptr;
  return new (std::nothrow) fennec_status_s{static_cast<fennec_status_code_t>(status.code()),
                                            status.message()};
}

inline fennec_status_t invalid(const char* message) {
  return to_c(Status(StatusCode::kInvalidArgument, message));
}

// Runs `body` (returning Status) and converts exceptions into statuses.
template <typename Fn>
fennec_status_t guarded(Fn&& body) {
  try {
    return to_c(body());
  } catch (const std::bad_alloc&) {
    return to_c(Status(StatusCode::kOutOfMemory, "host memory allocation failed"));
  } catch (const std::exception& e) {
    return to_c(Status(StatusCode::kInternal, e.what()));
  }
}

inline void copy_string(char* dst, size_t capacity, const std::string& src) {
  const size_t n = std::min(capacity - 1, src.size());
  std::memcpy(dst, src.data(), n);
  dst[n] = '\0';
}

}  // namespace fennec::api
