// A decoder-only LLM (Llama family) as a .fennec file holds it: the shape
// in the model metadata ("llm.*" keys) and the weights as named constants of
// a graph without nodes. Importers (converter/src/llm/) produce this; the
// reference decoder and the Vulkan decoder read it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "graph/graph.h"

namespace fennec::llm {

struct LlmConfig {
  std::string arch = "llama";
  int dim = 0;          // model width
  int hidden_dim = 0;   // feed-forward width
  int n_layers = 0;
  int n_heads = 0;
  int n_kv_heads = 0;   // grouped-query attention: n_heads is a multiple
  int vocab_size = 0;
  int context = 0;      // longest context the model was trained for
  float norm_eps = 1e-5f;
  float rope_theta = 10000.0f;
  bool rope_neox = false;  // rotate (i, i + head_dim/2) instead of (2i, 2i+1)
  int bos_token = 1;
  int eos_token = 2;
  bool add_bos = true;  // a text prompt starts with the BOS token

  int head_dim() const { return dim / n_heads; }
  int kv_dim() const { return head_dim() * n_kv_heads; }
  // kInvalidModel naming what is inconsistent.
  Status validate() const;
};

// How the key/value cache stores keys and values: float32, fp16, or int8
// codes with one float32 scale per position and key/value head (scale =
// max |x| / 127, 1 for an all-zero head; code = clamp(round-half-away(x *
// (1 / scale)), -127, 127)).
enum class KvCache : uint8_t { kF32, kF16, kInt8 };
const char* kv_cache_name(KvCache type);  // "f32", "f16", "int8"
// Parses "f32", "f16" or "int8"; false for anything else.
bool parse_kv_cache(const std::string& text, KvCache& type);

// Metadata key "fennec.kind" is "llm" for these files.
constexpr const char* kKindKey = "fennec.kind";
constexpr const char* kKindLlm = "llm";

std::vector<std::pair<std::string, std::string>> to_metadata(const LlmConfig& config);
// `lookup(key)` returns the value or nullptr.
Result<LlmConfig> from_metadata(const std::function<const char*(const char*)>& lookup);

// Constant names: "token_embd", "output_norm", "output" (absent when the
// classifier shares the token embedding), and per layer l
// "blk.<l>.attn_norm", ".attn_q", ".attn_k", ".attn_v", ".attn_output",
// ".ffn_norm", ".ffn_gate", ".ffn_up", ".ffn_down"; optional biases of the
// query, key and value projections ".attn_q.bias", ".attn_k.bias",
// ".attn_v.bias" (qwen2). Matrices are [out, in].
std::string layer_tensor(int layer, const char* name);

// The weights of `graph` by role, checked against `config` (shapes, float32
// or a quantized format the matrix-vector kernels decode).
struct LlmWeights {
  int token_embedding = -1, output_norm = -1, output = -1;  // tensor indices
  struct Layer {
    int attn_norm = -1, wq = -1, wk = -1, wv = -1, wo = -1;
    int bq = -1, bk = -1, bv = -1;  // -1: no bias
    int ffn_norm = -1, w_gate = -1, w_up = -1, w_down = -1;
  };
  std::vector<Layer> layers;
  int classifier() const { return output >= 0 ? output : token_embedding; }
};
Result<LlmWeights> find_weights(const graph::Graph& graph, const LlmConfig& config);

}  // namespace fennec::llm
