// Header-only C++ RAII wrapper over the C API (fennec.h).
//
// Errors become fennec::Error exceptions in this wrapper (the C API itself
// never throws). Ownership and thread-safety are those of the C handles:
// a Model may be shared by sessions; a Session or an Llm is used by one thread
// at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
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

// An LLM file opened for generation (fennec_llm_*). `model` must outlive it.
class Llm {
 public:
  struct Message {
    std::string role;  // "system", "user" or "assistant"
    std::string content;
  };
  // Called with each generated token and the text that became final with
  // it (token -1: held-back text at the end); return false to stop.
  using TokenFn = std::function<bool(int32_t token, std::string_view text)>;

  explicit Llm(const Model& model, const fennec_llm_options_t* options = nullptr) {
    fennec_llm_t llm = nullptr;
    check(fennec_llm_create(model.get(), options, &llm));
    handle_.reset(llm);
  }
  fennec_llm_t get() const { return handle_.get(); }
  int32_t context() const { return fennec_llm_context(get()); }

  // `special`: the texts of special tokens become those tokens.
  std::vector<int32_t> tokenize(const std::string& text, bool special = false) const {
    auto fn = special ? fennec_llm_tokenize_special : fennec_llm_tokenize;
    size_t count = 0;
    check(fn(get(), text.c_str(), nullptr, 0, &count));
    std::vector<int32_t> ids(count);
    check(fn(get(), text.c_str(), ids.data(), ids.size(), &count));
    return ids;
  }

  // The prompt for `messages` in the model's chat layout (generate it with
  // options.chat = 1).
  std::string format_chat(const std::vector<Message>& messages, bool add_assistant = true) const {
    std::vector<fennec_chat_message_t> chat;
    for (const Message& m : messages) chat.push_back({m.role.c_str(), m.content.c_str()});
    size_t size = 0;
    check(fennec_llm_format_chat(get(), chat.data(), chat.size(), add_assistant ? 1 : 0, nullptr, 0, &size));
    std::string text(size, '\0');
    check(fennec_llm_format_chat(get(), chat.data(), chat.size(), add_assistant ? 1 : 0, text.data(), size + 1,
                                 &size));
    return text;
  }

  fennec_generation_stats_t generate(const std::string& prompt, const fennec_generate_options_t* options = nullptr,
                                     const TokenFn& on_token = {}) {
    return run(prompt.c_str(), nullptr, 0, options, on_token);
  }
  fennec_generation_stats_t generate(const std::vector<int32_t>& prompt_tokens,
                                     const fennec_generate_options_t* options = nullptr,
                                     const TokenFn& on_token = {}) {
    return run(nullptr, prompt_tokens.data(), prompt_tokens.size(), options, on_token);
  }

 private:
  fennec_generation_stats_t run(const char* prompt, const int32_t* tokens, size_t count,
                                const fennec_generate_options_t* options, const TokenFn& on_token) {
    fennec_generation_stats_t stats{};
    auto bridge = [](void* user, int32_t token, const char* text, size_t size) -> int32_t {
      return (*static_cast<const TokenFn*>(user))(token, std::string_view(text, size)) ? 0 : 1;
    };
    check(fennec_llm_generate(get(), prompt, tokens, count, options, on_token ? +bridge : nullptr,
                              const_cast<TokenFn*>(&on_token), &stats));
    return stats;
  }
  struct Release {
    void operator()(fennec_llm_t l) const { fennec_llm_release(l); }
  };
  std::unique_ptr<fennec_llm_s, Release> handle_;
};

}  // namespace fennec
