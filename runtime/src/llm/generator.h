// One generation: the prompt prefilled in chunks, then tokens sampled one at
// a time until the token budget, the end-of-sequence token, a stop string or
// the end of the context. Text is streamed to a callback as it becomes
// final: a piece that could be the start of a stop string, or an incomplete
// UTF-8 character, is held back until the next tokens settle it, and the
// text of a stop string is never emitted.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "llm/decoder.h"
#include "llm/sampler.h"
#include "llm/tokenizer.h"

namespace fennec::llm {

struct GenerateOptions {
  SamplerOptions sampling;
  int max_tokens = 128;
  bool stop_at_eos = true;
  std::vector<std::string> stop_strings;  // needs a tokenizer
  // Tokens that end the generation as the end-of-sequence token does, but
  // with stop reason "end of turn" (a chat template's end-of-turn token).
  std::vector<int> stop_tokens;
};

struct Generation {
  std::vector<int> tokens;  // generated, the end-of-sequence token included when it came
  std::string text;         // their text up to a stop string (empty without a tokenizer)
  std::string stop;         // "length", "eos", "end of turn", "stop string", "context" or "callback"
  double prefill_seconds = 0.0, decode_seconds = 0.0;
  int decode_steps = 0;     // forward passes after the prompt
  double prefill_tokens_per_s(size_t prompt) const {
    return prefill_seconds > 0 ? static_cast<double>(prompt) / prefill_seconds : 0.0;
  }
  double decode_tokens_per_s() const { return decode_seconds > 0 ? decode_steps / decode_seconds : 0.0; }
};

// Called for each generated token with the text that became final with it
// (possibly empty); returning false stops the generation ("callback"). Text
// still held back when the generation ends comes in one last call with
// token -1.
using TokenCallback = std::function<bool(int token, std::string_view text)>;

// `tokenizer` may be null (token ids only; no stop strings). The prompt must
// be non-empty and fit the decoder's context.
Result<Generation> generate(Decoder& decoder, const Tokenizer* tokenizer, const std::vector<int>& prompt,
                            const GenerateOptions& options, const TokenCallback& on_token);

// The length of the longest tail of `text` that is an incomplete UTF-8
// character or a proper prefix of one of `stops` (text that must wait).
size_t pending_tail(std::string_view text, const std::vector<std::string>& stops);

}  // namespace fennec::llm
