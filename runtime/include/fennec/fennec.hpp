// Header-only C++ RAII wrapper over the C API (fennec.h).
//
// Errors become fennec::Error exceptions in this wrapper (the C API itself
// never throws). Ownership and thread-safety are those of the C handles:
// a Model may be shared by sessions; a Session is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "fennec/fennec.h"

namespace fennec {

class Error : public std::runtime_error {
 public:
  Error(fennec_status_code_t code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  fennec_status_code_t code() const { return code_; }

 private:
  fennec_status_code_t code_;
};

// Throws fennec::Error for a failed status (and frees it).
inline void check(fennec_status_t status) {
  if (!status) return;
  Error error(fennec_status_code(status), fennec_status_message(status));
  fennec_status_free(status);
  throw error;
}

inline std::vector<fennec_device_info_t> devices() {
  uint32_t count = 0;
  check(fennec_device_count(&count));
  std::vector<fennec_device_info_t> result(count);
  for (uint32_t i = 0; i < count; ++i) check(fennec_device_info(i, &result[i]));
  return result;
}

class Model {
 public:
  explicit Model(const std::string& path) {
    fennec_model_t model = nullptr;
    check(fennec_model_load(path.c_str(), &model));
    handle_.reset(model);
  }
  fennec_model_t get() const { return handle_.get(); }

  std::vector<fennec_tensor_t> inputs() const {
    std::vector<fennec_tensor_t> result(fennec_model_input_count(get()));
    for (size_t i = 0; i < result.size(); ++i) check(fennec_model_input_info(get(), i, &result[i]));
    return result;
  }
  std::vector<fennec_tensor_t> outputs() const {
    std::vector<fennec_tensor_t> result(fennec_model_output_count(get()));
    for (size_t i = 0; i < result.size(); ++i) check(fennec_model_output_info(get(), i, &result[i]));
    return result;
  }
  fennec_model_info_t info() const {
    fennec_model_info_t result;
    check(fennec_model_info(get(), &result));
    return result;
  }
  std::vector<fennec_node_info_t> nodes() const {
    std::vector<fennec_node_info_t> result(info().node_count);
    for (size_t i = 0; i < result.size(); ++i) check(fennec_model_node_info(get(), i, &result[i]));
    return result;
  }

 private:
  struct Release {
    void operator()(fennec_model_t m) const { fennec_model_release(m); }
  };
  std::unique_ptr<fennec_model_s, Release> handle_;
};

// A tensor passed to Session::run; `data` stays owned by the caller.
inline fennec_tensor_t make_tensor(const char* name, std::vector<int64_t> dims, const float* data) {
  fennec_tensor_t t{};
  t.name = name;
  t.dtype = FENNEC_FLOAT32;
  t.rank = static_cast<int32_t>(dims.size());
  size_t count = 1;
  for (size_t i = 0; i < dims.size() && i < FENNEC_MAX_RANK; ++i) {
    t.dims[i] = dims[i];
    count *= static_cast<size_t>(dims[i]);
  }
  t.data = const_cast<float*>(data);
  t.size_bytes = count * sizeof(float);
  return t;
}

class Session {
 public:
  // `model` must outlive the session.
  explicit Session(const Model& model, const fennec_session_options_t* options = nullptr) {
    fennec_session_t session = nullptr;
    check(fennec_session_create(model.get(), options, &session));
    handle_.reset(session);
  }
  fennec_session_t get() const { return handle_.get(); }

  void run(const std::vector<fennec_tensor_t>& inputs) {
    check(fennec_session_run(get(), inputs.data(), inputs.size()));
  }
  // Output `index` of the last run; data valid until the next run.
  fennec_tensor_t output(size_t index) const {
    fennec_tensor_t t;
    check(fennec_session_output(get(), index, &t));
    return t;
  }
  size_t output_count() const { return fennec_session_output_count(get()); }
  fennec_session_stats_t stats() const {
    fennec_session_stats_t s;
    check(fennec_session_stats(get(), &s));
    return s;
  }

 private:
  struct Release {
    void operator()(fennec_session_t s) const { fennec_session_release(s); }
  };
  std::unique_ptr<fennec_session_s, Release> handle_;
};

}  // namespace fennec
