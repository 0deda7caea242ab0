// Chat prompts: the conversation laid out the way a model was trained to see
// it. A model's template (GGUF tokenizer.chat_template, or tokenizer_config's
// chat_template) is a Jinja program; the runtime does not run Jinja but
// recognizes the families of templates that models ship by their markers, and
// lays the messages out as that family does:
//
//   chatml   <|im_start|>{role}\n{content}<|im_end|>\n ... <|im_start|>assistant\n   (Qwen, SmolLM, ...)
//   llama3   <|start_header_id|>{role}<|end_header_id|>\n\n{content, trimmed}<|eot_id|> ...
//   llama2   [INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST]{assistant}</s>[INST] ...
//            (Llama 2, Mistral v0.1; without <<SYS>> in the template, the system text
//            opens the first turn on its own line)
//   phi3     <|{role}|>\n{content}<|end|>\n ... <|assistant|>\n
//   zephyr   <|{role}|>\n{content}<|endoftext|>\n ... <|assistant|>\n   (TinyLlama chat)
//   gemma    <start_of_turn>{user|model}\n{content, trimmed}<end_of_turn>\n ...
//            (the system text opens the next user turn)
//
// Each family also names the token text that ends an assistant turn, so that
// generation stops there.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace fennec::llm {

struct ChatMessage {
  std::string role;  // "system", "user" or "assistant"
  std::string content;
};

enum class ChatFamily { kChatml, kLlama3, kLlama2, kLlama2Sys, kPhi3, kZephyr, kGemma };

// The family of `jinja` (a model's template text), or kUnsupported naming
// the families there are.
Result<ChatFamily> detect_chat_family(const std::string& jinja);
// "chatml", "llama3", "llama2", "llama2-sys", "phi3", "zephyr", "gemma".
const char* chat_family_name(ChatFamily family);
// Parses one of those names.
Result<ChatFamily> parse_chat_family(const std::string& name);

// The prompt text for `messages` (special tokens written as their texts),
// ending with the opening of an assistant turn when `add_assistant`. Fails
// (kInvalidArgument) for a role other than system, user and assistant.
Result<std::string> format_chat(ChatFamily family, const std::vector<ChatMessage>& messages, bool add_assistant);

// The token text that ends an assistant turn ("<|im_end|>", "<|eot_id|>",
// "</s>", "<|end|>", "<|endoftext|>", "<end_of_turn>").
const char* chat_end_of_turn(ChatFamily family);

}  // namespace fennec::llm
