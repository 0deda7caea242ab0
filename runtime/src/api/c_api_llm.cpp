// C API for LLM generation (fennec.h, "LLM generation"): a decoder on its
// own context, the file's tokenizer, and llm::generate with the callback
// bridged. Nothing thrown inside crosses this boundary.
#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/c_api_internal.h"
#include "llm/chat_template.h"
#include "llm/config.h"
#include "llm/decoder.h"
#include "llm/generator.h"
#include "llm/tokenizer.h"

struct fennec_llm_s {
  fennec_model_s* model = nullptr;
  fennec::llm::LlmConfig config;
  std::unique_ptr<fennec::llm::Tokenizer> tokenizer;
  std::unique_ptr<fennec::vulkan::Context> context;
  std::unique_ptr<fennec::llm::Decoder> decoder;
  // The chat layout, or why there is none (a message for format_chat).
  std::optional<fennec::llm::ChatFamily> chat;
  std::string no_chat;
};

using namespace fennec::api;  // Status, StatusCode, guarded, invalid, copy_string

extern "C" {

void fennec_llm_options_init(fennec_llm_options_t* options) {
  if (!options) return;
  *options = fennec_llm_options_t{};
  options->device_index = -1;
}

fennec_status_t fennec_llm_create(fennec_model_t model, const fennec_llm_options_t* options, fennec_llm_t* out_llm) {
  if (!model || !out_llm) return invalid("model and out_llm must not be NULL");
  fennec_llm_options_t defaults;
  fennec_llm_options_init(&defaults);
  if (!options) options = &defaults;
  if (options->max_context < 0) return invalid("max_context must not be negative");
  if (options->kv_cache < 0 || options->kv_cache > 2) return invalid("kv_cache must be 0 (fp16), 1 (float32) or 2 (int8)");
  return guarded([&]() -> Status {
    auto lookup = [&](const char* key) { return model->file->metadata(key); };
    const char* kind = lookup(fennec::llm::kKindKey);
    if (!kind || std::string(kind) != fennec::llm::kKindLlm)
      return fennec::make_error(StatusCode::kInvalidModel,
                                "this model is not an LLM (convert a llama2.c or GGUF checkpoint); "
                                "run it with fennec_session_create");
    auto llm = std::make_unique<fennec_llm_s>();
    llm->model = model;
    FENNEC_ASSIGN_OR_RETURN(llm->config, fennec::llm::from_metadata(lookup));
    FENNEC_ASSIGN_OR_RETURN(fennec::llm::Vocabulary vocabulary, fennec::llm::read_vocabulary(model->graph, lookup));
    if (!vocabulary.tokens.empty()) {
      FENNEC_ASSIGN_OR_RETURN(fennec::llm::Tokenizer tokenizer, fennec::llm::Tokenizer::create(std::move(vocabulary)));
      llm->tokenizer = std::make_unique<fennec::llm::Tokenizer>(std::move(tokenizer));
    }
    const char* jinja = lookup("tokenizer.chat_template");
    if (options->chat_template) {
      FENNEC_ASSIGN_OR_RETURN(llm->chat, fennec::llm::parse_chat_family(options->chat_template));
    } else if (jinja) {
      auto family = fennec::llm::detect_chat_family(jinja);
      if (family.ok()) llm->chat = family.value();
      else llm->no_chat = family.status().message();
    } else {
      llm->no_chat = "the model carries no chat template; name one (chat_template: chatml, llama3, llama2, ...)";
    }
    fennec::vulkan::ContextOptions context_options;
    context_options.device_index = options->device_index;
    FENNEC_ASSIGN_OR_RETURN(llm->context, fennec::vulkan::Context::create(context_options));
    fennec::llm::DecoderOptions decoder_options;
    decoder_options.memory_budget_bytes = options->memory_budget_bytes;
    decoder_options.max_context = options->max_context;
    decoder_options.kv_cache = options->kv_cache == 1   ? fennec::llm::KvCache::kF32
                               : options->kv_cache == 2 ? fennec::llm::KvCache::kInt8
                                                        : fennec::llm::KvCache::kF16;
    FENNEC_ASSIGN_OR_RETURN(llm->decoder,
                            fennec::llm::Decoder::create(*llm->context, model->graph, llm->config, decoder_options));
    *out_llm = llm.release();
    return fennec::ok_status();
  });
}

void fennec_llm_release(fennec_llm_t llm) {
  if (!llm) return;
  llm->decoder.reset();  // before the context it runs on
  delete llm;
}

int32_t fennec_llm_context(fennec_llm_t llm) { return llm ? llm->decoder->context() : 0; }

namespace {

fennec_status_t tokenize(fennec_llm_t llm, const char* text, int32_t* out_tokens, size_t capacity, size_t* out_count,
                         bool special) {
  if (!llm || !text || !out_count) return invalid("llm, text and out_count must not be NULL");
  if (capacity > 0 && !out_tokens) return invalid("out_tokens is NULL with a non-zero capacity");
  return guarded([&]() -> Status {
    if (!llm->tokenizer)
      return Status(StatusCode::kUnsupported, "the model carries no tokenizer (a llama2.c checkpoint): give token ids");
    const std::vector<int> ids = special ? llm->tokenizer->encode_special(text) : llm->tokenizer->encode(text);
    for (size_t i = 0; i < ids.size() && i < capacity; ++i) out_tokens[i] = ids[i];
    *out_count = ids.size();
    return fennec::ok_status();
  });
}

}  // namespace

fennec_status_t fennec_llm_tokenize(fennec_llm_t llm, const char* text, int32_t* out_tokens, size_t capacity,
                                    size_t* out_count) {
  return tokenize(llm, text, out_tokens, capacity, out_count, false);
}

fennec_status_t fennec_llm_tokenize_special(fennec_llm_t llm, const char* text, int32_t* out_tokens,
                                            size_t capacity, size_t* out_count) {
  return tokenize(llm, text, out_tokens, capacity, out_count, true);
}

fennec_status_t fennec_llm_format_chat(fennec_llm_t llm, const fennec_chat_message_t* messages, size_t count,
                                       int32_t add_assistant, char* out_text, size_t capacity, size_t* out_size) {
  if (!llm || !out_size || (count > 0 && !messages)) return invalid("llm, messages and out_size must not be NULL");
  if (capacity > 0 && !out_text) return invalid("out_text is NULL with a non-zero capacity");
  return guarded([&]() -> Status {
    if (!llm->chat) return Status(StatusCode::kUnsupported, llm->no_chat);
    std::vector<fennec::llm::ChatMessage> chat;
    for (size_t i = 0; i < count; ++i) {
      if (!messages[i].role || !messages[i].content) return Status(StatusCode::kInvalidArgument,
                                                                   "a chat message's role or content is NULL");
      chat.push_back({messages[i].role, messages[i].content});
    }
    FENNEC_ASSIGN_OR_RETURN(std::string text, fennec::llm::format_chat(*llm->chat, chat, add_assistant != 0));
    *out_size = text.size();
    if (capacity > 0) {
      const size_t n = std::min(text.size(), capacity);
      std::memcpy(out_text, text.data(), n);
      if (n < capacity) out_text[n] = '\0';
    }
    return fennec::ok_status();
  });
}

void fennec_generate_options_init(fennec_generate_options_t* options) {
  if (!options) return;
  *options = fennec_generate_options_t{};
  options->max_tokens = 128;
  options->top_p = 1.0f;
  options->repetition_penalty = 1.0f;
}

fennec_status_t fennec_llm_generate(fennec_llm_t llm, const char* prompt, const int32_t* prompt_tokens,
                                    size_t prompt_token_count, const fennec_generate_options_t* options,
                                    fennec_token_callback_t callback, void* user_data,
                                    fennec_generation_stats_t* out_stats) {
  if (!llm) return invalid("llm is NULL");
  if (!prompt && (!prompt_tokens || prompt_token_count == 0))
    return invalid("give a prompt text or at least one prompt token");
  fennec_generate_options_t defaults;
  fennec_generate_options_init(&defaults);
  if (!options) options = &defaults;
  if (options->max_tokens < 1) return invalid("max_tokens must be at least 1");
  if (options->stop_string_count > 0 && !options->stop_strings) return invalid("stop_strings is NULL");
  return guarded([&]() -> Status {
    std::vector<int> ids;
    if (prompt) {
      if (!llm->tokenizer)
        return Status(StatusCode::kUnsupported,
                      "the model carries no tokenizer (a llama2.c checkpoint): give prompt_tokens");
      if (options->no_bos == 0 && llm->config.add_bos) ids.push_back(llm->config.bos_token);
      const std::vector<int> text =
          options->chat ? llm->tokenizer->encode_special(prompt) : llm->tokenizer->encode(prompt);
      ids.insert(ids.end(), text.begin(), text.end());
    } else {
      ids.assign(prompt_tokens, prompt_tokens + prompt_token_count);
    }
    fennec::llm::GenerateOptions g;
    g.max_tokens = options->max_tokens;
    g.stop_at_eos = options->ignore_eos == 0;
    g.sampling.temperature = options->temperature;
    g.sampling.top_k = options->top_k;
    g.sampling.top_p = options->top_p;
    g.sampling.min_p = options->min_p;
    g.sampling.repetition_penalty = options->repetition_penalty;
    g.sampling.seed = options->seed;
    if (options->chat) {
      if (!llm->chat) return Status(StatusCode::kUnsupported, llm->no_chat);
      if (!llm->tokenizer) return Status(StatusCode::kUnsupported, "the model carries no tokenizer");
      const int end = llm->tokenizer->find_token(fennec::llm::chat_end_of_turn(*llm->chat));
      if (end >= 0) g.stop_tokens.push_back(end);
    }
    for (size_t i = 0; i < options->stop_string_count; ++i)
      if (options->stop_strings[i]) g.stop_strings.emplace_back(options->stop_strings[i]);
    fennec::llm::TokenCallback on_token;
    if (callback)
      on_token = [&](int token, std::string_view text) {
        return callback(user_data, token, text.data(), text.size()) == 0;
      };
    FENNEC_ASSIGN_OR_RETURN(fennec::llm::Generation result,
                            fennec::llm::generate(*llm->decoder, llm->tokenizer.get(), ids, g, on_token));
    if (out_stats) {
      const fennec::llm::DecoderStats s = llm->decoder->stats();
      fennec_generation_stats_t stats{};
      stats.prompt_tokens = ids.size();
      stats.generated_tokens = result.tokens.size();
      stats.prefill_tokens_per_s = result.prefill_tokens_per_s(ids.size());
      stats.decode_tokens_per_s = result.decode_tokens_per_s();
      copy_string(stats.stop_reason, sizeof(stats.stop_reason), result.stop);
      stats.context = s.context;
      stats.peak_device_bytes = s.memory.peak_bytes;
      stats.kv_cache_bytes = s.kv_cache_bytes;
      stats.weight_bytes = s.weight_bytes;
      *out_stats = stats;
    }
    return fennec::ok_status();
  });
}

}  // extern "C"
