// Status and Result<T>: errors are values inside the runtime.
//
// A Status is cheap to return on success (no allocation). A failed Status
// carries a code and a message that says what failed, where, and what to do.
// No exception crosses the runtime or the C API.
#pragma once

#include <cassert>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace fennec {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 1,
  kNotFound = 2,
  kInvalidModel = 3,
  kUnsupported = 4,
  kOutOfMemory = 5,
  kDeviceError = 6,
  kIoError = 7,
  kInternal = 8,
};

const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message)
      : state_(code == StatusCode::kOk ? nullptr
                                       : std::make_unique<State>(State{code, std::move(message)})) {}
  Status(const Status& other)
      : state_(other.state_ ? std::make_unique<State>(*other.state_) : nullptr) {}
  Status& operator=(const Status& other) {
    state_ = other.state_ ? std::make_unique<State>(*other.state_) : nullptr;
    return *this;
  }
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  const std::string& message() const;
  // "<CodeName>: <message>"
  std::string to_string() const;
  // Prefixes context ("while loading x: ...") to a failed status.
  Status with_context(const std::string& context) const;

 private:
  struct State {
    StatusCode code;
    std::string message;
  };
  std::unique_ptr<State> state_;
};

inline Status ok_status() { return Status(); }

template <typename... Args>
Status make_error(StatusCode code, fmt::format_string<Args...> format, Args&&... args) {
  return Status(code, fmt::format(format, std::forward<Args>(args)...));
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}
  Result(Status status) : status_(std::move(status)) { assert(!status_.ok()); }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace fennec

#define FENNEC_CONCAT_INNER(a, b) a##b
#define FENNEC_CONCAT(a, b) FENNEC_CONCAT_INNER(a, b)

// Returns the status from the enclosing function when `expr` fails.
#define FENNEC_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::fennec::Status fennec_status_tmp_ = (expr);    \
    if (!fennec_status_tmp_.ok()) return fennec_status_tmp_; \
  } while (0)

#define FENNEC_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

// `FENNEC_ASSIGN_OR_RETURN(auto x, make_x());`
#define FENNEC_ASSIGN_OR_RETURN(lhs, expr) \
  FENNEC_ASSIGN_OR_RETURN_IMPL(FENNEC_CONCAT(fennec_result_, __LINE__), lhs, expr)
