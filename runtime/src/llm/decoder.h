// Runs a decoder-only LLM (llm/config.h) on a Vulkan device, one token per
// forward(): RMSNorm, the q/k/v/output and feed-forward matrix-vector
// products (the MATMUL kernels, so quantized weights work as elsewhere),
// RoPE with the key/value cache write, one attention kernel per layer
// (online softmax over the cached positions) and SwiGLU. The command buffer
// is recorded once: the token and position come from a small step buffer.
//
// Memory: weights (resident; imported in place on unified-memory devices),
// the key/value cache (fp16 by default, or float32) and a few activation vectors, all through one
// allocation accountant under the budget. The cache holds as many positions
// as the budget leaves room for, up to the model's context.
#pragma once

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
  bool kv_cache_f16 = true;          // keys and values stored as halves (else float32)
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
  bool kv_cache_f16 = false;
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

  // Feeds `token` at position `pos` (0 <= pos < context()) and returns the
  // logits for the next token (valid until the next call).
  Result<std::span<const float>> forward(int token, int pos);

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
  Status record();

  vulkan::Context& context_;
  const graph::Graph& graph_;
  LlmConfig config_;
  LlmWeights weights_;
  std::unique_ptr<vulkan::Allocator> allocator_;
  std::unique_ptr<vulkan::WeightStore> store_;
  vulkan::Buffer dummy_, step_, activations_, key_cache_, value_cache_, readback_;
  VkCommandBuffer command_buffer_ = VK_NULL_HANDLE;
  std::vector<VkDescriptorPool> pools_;
  std::vector<float> logits_;
  DecoderStats stats_;
};

}  // namespace fennec::llm
