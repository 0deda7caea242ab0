// Text to token ids and back, from a model's vocabulary.
//
// SentencePiece-style ("llama" vocabularies): spaces become U+2581, a space
// is put in front of the text (unless the vocabulary says not to), the text
// is split into UTF-8 characters, and adjacent pieces are merged greedily,
// the pair whose merge is the highest-scoring vocabulary entry first (the
// leftmost among equals); a piece left outside the vocabulary becomes its
// bytes' <0xXX> tokens.
//
// Byte-level BPE ("gpt2" vocabularies: GPT-2, Llama 3, Qwen2): see llm/bpe.h.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "graph/graph.h"
#include "llm/bpe.h"

namespace fennec::llm {

struct Vocabulary {
  std::string model;                // "llama" (SentencePiece-style) or "gpt2" (byte-level BPE)
  std::vector<std::string> tokens;  // id -> text
  std::vector<float> scores;        // id -> merge score ("llama"; zeros for "gpt2")
  std::vector<int32_t> types;       // id -> 1 normal, 2 unknown, 3 control, 4 user-defined, 6 byte, ...
  bool add_space_prefix = true;     // "llama"
  std::vector<std::string> merges;  // "gpt2": "left right" token texts, rank = index
  std::string pre;                  // "gpt2": the pre-tokenizer ("gpt-2", "llama-bpe", "qwen2")
};

class Tokenizer {
 public:
  static Result<Tokenizer> create(Vocabulary vocabulary);

  // No special tokens are added or parsed.
  std::vector<int> encode(const std::string& text) const;
  // As encode(), but the texts of control and user-defined tokens in `text`
  // become those tokens (the longest at each position), and the text between
  // them is encoded as above: for chat prompts.
  std::vector<int> encode_special(const std::string& text) const;
  // The id of the token whose text is `text`, or -1.
  int find_token(const std::string& text) const;
  // Token texts with U+2581 back to spaces and <0xXX> tokens as bytes
  // ("llama"), or from the byte alphabet back to bytes ("gpt2"); control
  // tokens give no text.
  std::string decode(std::span<const int> ids) const;
  size_t size() const { return vocab_.tokens.size(); }

 private:
  std::vector<int> encode_spm(const std::string& text) const;

  Vocabulary vocab_;
  std::optional<BytePairEncoder> bpe_;  // "gpt2"
  std::unordered_map<std::string, int> ids_;
  std::vector<int> specials_;  // control and user-defined tokens, longest text first
  int byte_tokens_[256] = {};
};

// A vocabulary inside a .fennec LLM file: constants "tokenizer.text" (all
// token texts, uint8), "tokenizer.offsets" (int32 [n + 1]), "tokenizer.scores"
// (float32 [n]) and "tokenizer.types" (int32 [n]), and metadata
// tokenizer.model and tokenizer.add_space_prefix; with merges also
// "tokenizer.merges" (their texts, uint8) and "tokenizer.merge_offsets"
// (int32 [m + 1]), and metadata tokenizer.pre.
void add_vocabulary(graph::Graph& graph, const Vocabulary& vocabulary,
                    std::vector<std::pair<std::string, std::string>>& metadata);
// The vocabulary of `graph`, or an empty one (no tokens) when it has none.
// `lookup(key)` returns a metadata value or nullptr.
Result<Vocabulary> read_vocabulary(const graph::Graph& graph,
                                   const std::function<const char*(const char*)>& lookup);
// Whether tensor `name` belongs to the vocabulary rather than the weights.
bool is_vocabulary_tensor(const std::string& name);

}  // namespace fennec::llm
