// The plain float32 CPU decoder: the oracle that the Vulkan decoder is
// tested against. One token at a time, with a key/value cache, in the
// straightforward loop order (no blocking, no fusion).
#pragma once

#include <vector>

#include "graph/graph.h"
#include "llm/config.h"

namespace fennec::llm {

class ReferenceDecoder {
 public:
  // `graph` (its constants, decoded to float32) must outlive the decoder.
  // `kv`: cached keys and values rounded as a cache of that type stores
  // them (fp16, or int8 codes on a scale per position and head).
  static Result<ReferenceDecoder> create(const graph::Graph& graph, const LlmConfig& config,
                                         KvCache kv = KvCache::kF32);

  // Feeds `token` at position `pos` (0, 1, 2, ... in order) and returns the
  // logits for the next token.
  const std::vector<float>& forward(int token, int pos);

 private:
  LlmConfig config_;
  KvCache kv_ = KvCache::kF32;
  LlmWeights weights_;
  std::vector<std::vector<float>> values_;  // per tensor, decoded constants
  std::vector<float> key_cache_, value_cache_;  // [layer][pos][kv_dim]
  std::vector<float> x_, xb_, xb2_, q_, k_, v_, att_, hb_, hb2_, logits_;
};

}  // namespace fennec::llm
