// Byte-level byte-pair encoding (the GPT-2 family of tokenizers: GGUF
// tokenizer.ggml.model "gpt2").
//
// Encoding: the text is cut into pieces by the pre-tokenizer's regular
// expression (PCRE2, UTF-8 with Unicode properties); each byte of a piece is
// written as one character of the GPT-2 byte alphabet (printable bytes stand
// for themselves, the others for U+0100 onwards); the piece starts as one
// symbol per byte and adjacent symbols are merged, the listed merge of lowest
// rank first (the leftmost among equals), until none applies; each symbol is
// then a token. A piece that nothing merges stays as its byte tokens.
//
// Supported pre-tokenizers (GGUF tokenizer.ggml.pre):
//   "gpt-2"      contractions, letters, digit runs, other runs, each with an optional leading space;
//   "llama-bpe"  Llama 3: letter runs after an optional non-letter, digits in groups of up to three,
//                newlines kept apart; a piece that is itself a token is taken whole (no merging);
//   "qwen2"      as llama-bpe with one digit per piece, and merging always.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"

namespace fennec::llm {

// Whether `pre` names a supported pre-tokenizer, and their list for messages.
bool is_supported_bpe_pre_tokenizer(std::string_view pre);
const char* supported_bpe_pre_tokenizers();

// The GPT-2 byte alphabet: the character (as UTF-8) that stands for `byte`.
std::string byte_to_alphabet(uint8_t byte);
// Text written in the byte alphabet back to bytes; characters outside the
// alphabet (and bytes that are not valid UTF-8) are kept as they are.
std::string alphabet_to_bytes(std::string_view text);

class BytePairEncoder {
 public:
  // `tokens[id]` are token texts in the byte alphabet, `merges[rank]` are
  // "left right" pairs of token texts. Fails (kUnsupported) for an unknown
  // pre-tokenizer, and (kInvalidModel) when a byte has no token or a merge
  // names a text that is not a token.
  static Result<BytePairEncoder> create(const std::vector<std::string>& tokens,
                                        const std::vector<std::string>& merges, const std::string& pre);
  BytePairEncoder(BytePairEncoder&&) noexcept;
  BytePairEncoder& operator=(BytePairEncoder&&) noexcept;
  ~BytePairEncoder();

  // Token ids of `text` (any bytes; no special tokens are added or parsed).
  // Safe to call from several threads at once.
  std::vector<int> encode(std::string_view text) const;
  // The pieces the pre-tokenizer cuts `text` into (they cover it, in order).
  std::vector<std::string_view> split(std::string_view text) const;

 private:
  struct Merge {
    int rank = 0;
    int result = 0;
  };
  struct Splitter;

  BytePairEncoder();
  void merge_piece(std::string_view piece, std::vector<int>& ids) const;

  // Lets the token table be searched with string_views, without copies.
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };

  std::unique_ptr<Splitter> splitter_;
  std::unordered_map<std::string, int, TextHash, std::equal_to<>> ids_;
  std::unordered_map<uint64_t, Merge> merges_;  // (left id << 32 | right id) -> rank, merged id
  int byte_tokens_[256] = {};
  bool whole_pieces_ = false;  // a piece that is a token is taken as it is
};

}  // namespace fennec::llm
