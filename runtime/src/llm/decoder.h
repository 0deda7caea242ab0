// Runs a decoder-only LLM (llm/config.h) on a Vulkan device: forward()
// takes a run of tokens (their embedding rows looked up on the host) (a prompt is processed in chunks of up to
// prefill_rows() tokens with matrix-matrix products, generation one token at
// a time with matrix-vector products): RMSNorm, the q/k/v/output and feed-forward matrix-vector
// products (the MATMUL kernels, so quantized weights work as elsewhere),
// RoPE with the key/value cache write, one attention kernel per layer
// (online softmax over the cached positions, causal) and SwiGLU. One
// command buffer is recorded per chunk size: the token count and first position
// come from a small step buffer.
//
// Memory: weights (resident, but for a token embedding that is not also the
// classifier; imported in place on unified-memory devices),
// the key/value cache (fp16 by default, float32 or int8) and a few activation vectors, all through one
// allocation accountant under the budget. The cache holds as many positions
// as the budget leaves room for, up to the model's context.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <vector>

#include "graph/graph.h"
#include "llm/config.h"
#include "vulkan/allocator.h"
#include "vulkan/context.h"
#include "vulkan/weight_store.h"

namespace fennec::llm {

struct DecoderOptions {
  uint64_t memory_budget_bytes = 0;  // 0: the device's budget less a margin
  int max_context = 0;               // 0: the model's context
  KvCache kv_cache = KvCache::kF16;  // how keys and values are stored
};

struct DecoderStats {
  vulkan::MemoryStats memory;
  uint64_t budget_bytes = 0;
  std::string budget_source;
  uint64_t weight_bytes = 0;
  uint64_t imported_weight_bytes = 0;
  uint64_t kv_cache_bytes = 0;
  uint64_t activation_bytes = 0;
  int context = 0;         // positions the cache holds
  KvCache kv_cache = KvCache::kF16;
  bool context_limited = false;  // shorter than asked because of the budget
};

class Decoder {
 public:
  // `graph` and its constants must outlive the decoder.
  static Result<std::unique_ptr<Decoder>> create(vulkan::Context& context, const graph::Graph& graph,
                                                 const LlmConfig& config, const DecoderOptions& options);
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Feeds `tokens` at positions start, start + 1, ... (all below
  // context()) and returns the logits that follow the last one (valid until
  // the next call).
  Result<std::span<const float>> forward(std::span<const int> tokens, int start);
  Result<std::span<const float>> forward(int token, int pos) { return forward(std::span<const int>(&token, 1), pos); }
  // Tokens per prefill submission.
  int prefill_rows() const { return rows_; }

  int context() const { return stats_.context; }
  const LlmConfig& config() const { return config_; }
  DecoderStats stats() const {
    DecoderStats s = stats_;
    s.memory = allocator_->stats();
    return s;
  }

 private:
  Decoder(vulkan::Context& context, const graph::Graph& graph, const LlmConfig& config)
      : context_(context), graph_(graph), config_(config) {}
  Status plan_memory(const DecoderOptions& options);
  // The command buffer for chunks of `rows` tokens, recorded on first use.
  Result<VkCommandBuffer> command_buffer(int rows);
  Status record(int rows, VkCommandBuffer cb);
  // Writes the embedding rows of `tokens` into the embedding buffer.
  void embed(std::span<const int> tokens);

  vulkan::Context& context_;
  const graph::Graph& graph_;
  LlmConfig config_;
  LlmWeights weights_;
  std::unique_ptr<vulkan::Allocator> allocator_;
  std::unique_ptr<vulkan::WeightStore> store_;
  vulkan::Buffer dummy_, step_, embed_, activations_, key_cache_, value_cache_, readback_;
  int rows_ = 1;  // largest chunk the activation buffer holds
  std::map<int, VkCommandBuffer> command_buffers_;
  std::vector<VkDescriptorPool> pools_;
  std::vector<float> logits_;
  DecoderStats stats_;
};

}  // namespace fennec::llm
