// A Hugging Face tokenizer.json as a Fennec vocabulary: byte-level BPE
// ("model": {"type": "BPE"} with a ByteLevel pre-tokenizer) whose splitting
// is GPT-2's (ByteLevel with use_regex), Llama 3's or Qwen2's (a Split on
// their published patterns). Added tokens become control tokens (special)
// or user-defined ones.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "llm/tokenizer.h"

namespace fennec::llm_import {

// Fills `vocabulary` and returns true, or returns false with `why` saying
// what the runtime lacks for this tokenizer.
bool read_hf_tokenizer(const nlohmann::json& tokenizer, llm::Vocabulary& vocabulary, std::string& why);

}  // namespace fennec::llm_import
