#include "llm/generator.h"

#include <algorithm>
#include <chrono>

namespace fennec::llm {
namespace {

// Bytes that the last, possibly incomplete, UTF-8 character of `text` still
// lacks: 0 when the text ends on a whole character.
size_t incomplete_utf8(std::string_view text) {
  for (size_t back = 1; back <= std::min<size_t>(4, text.size()); ++back) {
    const auto c = static_cast<unsigned char>(text[text.size() - back]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte
    const size_t length = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    return length > back ? back : 0;
  }
  return 0;
}

}  // namespace

size_t pending_tail(std::string_view text, const std::vector<std::string>& stops) {
  size_t hold = incomplete_utf8(text);
  for (const std::string& stop : stops)
    for (size_t n = std::min(stop.size() - 1, text.size()); n > hold; --n)
      if (text.substr(text.size() - n) == std::string_view(stop).substr(0, n)) {
        hold = n;
        break;
      }
  return hold;
}

Result<Generation> generate(Decoder& decoder, const Tokenizer* tokenizer, const std::vector<int>& prompt,
                            const GenerateOptions& options, const TokenCallback& on_token) {
  if (prompt.empty()) return make_error(StatusCode::kInvalidArgument, "the prompt has no tokens");
  if (static_cast<int>(prompt.size()) > decoder.context())
    return make_error(StatusCode::kInvalidArgument, "the prompt has {} tokens, the context holds {}", prompt.size(),
                      decoder.context());
  std::vector<std::string> stops;
  for (const std::string& s : options.stop_strings)
    if (!s.empty()) stops.push_back(s);
  if (!stops.empty() && !tokenizer)
    return make_error(StatusCode::kInvalidArgument, "stop strings need a model with a tokenizer");

  using clock = std::chrono::steady_clock;
  Generation g;
  Sampler sampler(options.sampling);
  std::vector<int> history = prompt;
  const auto prefill_start = clock::now();
  FENNEC_ASSIGN_OR_RETURN(std::span<const float> logits, decoder.forward(prompt, 0));
  g.prefill_seconds = std::chrono::duration<double>(clock::now() - prefill_start).count();
  const auto decode_start = clock::now();
  std::string text;    // all generated text
  size_t emitted = 0;  // bytes of it passed to the callback
  g.stop = "length";
  while (static_cast<int>(g.tokens.size()) < options.max_tokens) {
    const int next = sampler.sample(logits, history);
    g.tokens.push_back(next);
    history.push_back(next);
    const bool turn_end =
        std::find(options.stop_tokens.begin(), options.stop_tokens.end(), next) != options.stop_tokens.end();
    const bool eos = (options.stop_at_eos && next == decoder.config().eos_token) || turn_end;
    std::string_view final_text;
    if (tokenizer && !eos) {
      text += tokenizer->decode(std::span<const int>(&next, 1));
      size_t end = text.size() - pending_tail(text, stops);
      for (const std::string& s : stops)
        if (const size_t at = text.find(s, emitted > s.size() ? emitted - s.size() : 0); at != std::string::npos) {
          end = std::min(end, at);
          g.stop = "stop string";
        }
      end = std::max(end, emitted);
      final_text = std::string_view(text).substr(emitted, end - emitted);
      emitted = end;
      if (g.stop == "stop string") text.resize(end);
    }
    if (on_token && !on_token(next, final_text)) {
      g.stop = "callback";
      break;
    }
    if (g.stop == "stop string") break;
    if (eos) {
      g.stop = turn_end ? "end of turn" : "eos";
      break;
    }
    if (static_cast<int>(history.size()) >= decoder.context()) {
      g.stop = "context";
      break;
    }
    if (static_cast<int>(g.tokens.size()) == options.max_tokens) break;
    FENNEC_ASSIGN_OR_RETURN(logits, decoder.forward(next, static_cast<int>(history.size()) - 1));
    ++g.decode_steps;
  }
  // Held-back text is final once nothing follows it.
  if (tokenizer && g.stop != "stop string" && emitted < text.size() && on_token)
    on_token(-1, std::string_view(text).substr(emitted));
  g.text = text;
  g.decode_seconds = std::chrono::duration<double>(clock::now() - decode_start).count();
  return g;
}

}  // namespace fennec::llm
