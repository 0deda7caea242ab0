#include "llm/decoder.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "base/align.h"
#include "llm/tokenizer.h"
#include "ops/binary.h"
#include "ops/matmul.h"
#include "quant/weight_format.h"
#include "vulkan/plan_recorder.h"
#include "vulkan/session.h"
#include "vulkan/vk_check.h"

namespace fennec::llm {
namespace {

using vulkan::Buffer;
using vulkan::BufferSlice;
using vulkan::MemoryCategory;
using vulkan::MemoryUsage;
using vulkan::TensorBinding;

// The activation vectors of one token, in the order they sit in the buffer.
enum Vector { kX, kXb, kXb2, kQ, kK, kV, kHb, kHb2, kLogits, kVectorCount };

struct Layout {
  VkDeviceSize offsets[kVectorCount] = {};
  VkDeviceSize sizes[kVectorCount] = {};
  VkDeviceSize total = 0;
};

// The step buffer: the chunk's token count and first position (the
// embedding rows of its tokens come from the host).
constexpr uint64_t kStepBytes = 2 * sizeof(uint32_t);

// The embedding rows of `rows` tokens, looked up on the host.
uint64_t embed_bytes(const LlmConfig& c, int rows) {
  return static_cast<uint64_t>(c.dim) * static_cast<uint64_t>(rows) * sizeof(float);
}

// Tokens per prefill chunk, at most.
constexpr int kPrefillRows = 64;

// Room for `rows` tokens (the logits of one).
Layout layout(const LlmConfig& c, VkDeviceSize alignment, int rows) {
  const int64_t counts[kVectorCount] = {c.dim * rows,      c.dim * rows,        c.dim * rows,
                                        c.dim * rows,      c.kv_dim() * rows,   c.kv_dim() * rows,
                                        c.hidden_dim * rows, c.hidden_dim * rows, c.vocab_size};
  Layout l;
  for (int v = 0; v < kVectorCount; ++v) {
    l.offsets[v] = l.total;
    l.sizes[v] = static_cast<VkDeviceSize>(counts[v]) * sizeof(float);
    l.total = align_up(l.total + l.sizes[v], alignment);
  }
  return l;
}

struct NormPush {
  uint32_t dim;
  float eps;
};
struct RopePush {
  uint32_t n_heads, n_kv_heads, head_dim, neox, cache_offset;
  float theta;
  uint32_t rows, scale_offset;
};
struct AttentionPush {
  uint32_t n_heads, n_kv_heads, head_dim, cache_offset;
  float scale;
  uint32_t scale_offset;
};

// Bytes of the keys (or the values) of `positions` in every layer: int8
// codes (then, 16-byte aligned, a float32 scale per position and head), or
// one fp16 / float32 element each.
uint64_t cache_bytes(const LlmConfig& c, KvCache type, int positions) {
  const uint64_t elements = static_cast<uint64_t>(c.n_layers) * static_cast<uint64_t>(positions) *
                            static_cast<uint64_t>(c.kv_dim());
  if (type == KvCache::kInt8)
    return align_up(elements, 16) + static_cast<uint64_t>(c.n_layers) * static_cast<uint64_t>(positions) *
                                        static_cast<uint64_t>(c.n_kv_heads) * sizeof(float);
  return elements * (type == KvCache::kF16 ? 2 : sizeof(float));
}
struct CountPush {
  uint32_t count;
};

}  // namespace

Decoder::~Decoder() {
  VkDevice device = context_.device();
  for (auto& [rows, cb] : command_buffers_) vkFreeCommandBuffers(device, context_.command_pool(), 1, &cb);
  for (VkDescriptorPool pool : pools_) vkDestroyDescriptorPool(device, pool, nullptr);
}

Result<std::unique_ptr<Decoder>> Decoder::create(vulkan::Context& context, const graph::Graph& graph,
                                                 const LlmConfig& config, const DecoderOptions& options) {
  FENNEC_RETURN_IF_ERROR(config.validate());
  std::unique_ptr<Decoder> d(new Decoder(context, graph, config));
  FENNEC_ASSIGN_OR_RETURN(d->weights_, find_weights(graph, config));
  FENNEC_RETURN_IF_ERROR(d->plan_memory(options));
  FENNEC_RETURN_IF_ERROR(d->command_buffer(1).status());
  d->logits_.resize(static_cast<size_t>(config.vocab_size));
  return d;
}

Status Decoder::plan_memory(const DecoderOptions& options) {
  const vulkan::DeviceCaps& caps = context_.caps();
  uint64_t budget = options.memory_budget_bytes;
  stats_.budget_source = "given";
  if (budget == 0) budget = vulkan::default_memory_budget(caps, &stats_.budget_source);
  stats_.budget_bytes = budget;
  allocator_ = std::make_unique<vulkan::Allocator>(context_, budget);
  const VkDeviceSize alignment = std::max<VkDeviceSize>(kWeightAlignment, caps.min_storage_buffer_offset_alignment);
  store_ = std::make_unique<vulkan::WeightStore>(context_, *allocator_, graph_, alignment,
                                                 std::min<uint64_t>(1ull << 30, caps.max_memory_allocation_size));
  // Every weight resident but the vocabulary and the token embedding, which
  // stay on the host (the host looks up the embedding rows), unless the
  // embedding is also the classifier.
  graph::ResidencyPlan everything;
  everything.resident.assign(graph_.tensors.size(), false);
  const int embedding = weights_.token_embedding;
  for (size_t i = 0; i < graph_.tensors.size(); ++i)
    if (graph_.tensors[i].is_constant() && !is_vocabulary_tensor(graph_.tensors[i].name) &&
        (static_cast<int>(i) != embedding || weights_.classifier() == embedding)) {
      everything.resident[i] = true;
      everything.resident_bytes += store_->request().constant_bytes[i];
    }

  const uint64_t logits_bytes = static_cast<uint64_t>(config_.vocab_size) * sizeof(float);
  const uint64_t weights = store_->device_bytes(everything);
  // Everything but the cache, for chunks of `rows` tokens.
  auto fixed_for = [&](int rows) {
    return allocator_->allocation_size(16) + allocator_->allocation_size(kStepBytes) +
           allocator_->allocation_size(embed_bytes(config_, rows)) +
           allocator_->allocation_size(layout(config_, alignment, rows).total) +
           allocator_->allocation_size(logits_bytes);
  };
  stats_.kv_cache = options.kv_cache;
  if (options.kv_cache == KvCache::kInt8 && config_.head_dim() % 4 != 0)
    return make_error(StatusCode::kUnsupported, "an int8 key/value cache needs a head size that is a multiple of 4, "
                      "this model's is {}; use --kv-cache f16", config_.head_dim());
  // Keys and values of one position in every layer.
  const uint64_t per_position = 2 * cache_bytes(config_, options.kv_cache, 1);
  const int wanted = options.max_context > 0 ? std::min(options.max_context, config_.context) : config_.context;
  // The keys (or values) of `positions`, as allocated.
  auto cache_allocation = [&](int positions) {
    return allocator_->allocation_size(cache_bytes(config_, options.kv_cache, positions));
  };
  // Prefill chunks as large as the budget allows room for, down to one token.
  rows_ = std::min(kPrefillRows, wanted);
  uint64_t fixed = fixed_for(rows_);
  auto fits_budget = [&](int positions) { return fixed + weights + 2 * cache_allocation(positions) <= budget; };
  while (rows_ > 1 && !fits_budget(1)) {
    rows_ = std::max(1, rows_ / 4);
    fixed = fixed_for(rows_);
  }
  if (!fits_budget(1)) {
    const uint64_t minimum = fixed + weights + 2 * cache_allocation(1);
    return make_error(StatusCode::kOutOfMemory,
                      "the memory budget of {} bytes is too small for this LLM: the smallest budget that works is "
                      "{} bytes (weights {} + key/value cache {} per position + activations {}); "
                      "raise the budget (--memory-budget)",
                      budget, minimum, weights, per_position, fixed);
  }
  // The longest context that fits (binary search: allocations round up).
  int fits = 1;
  for (int lo = 1, hi = wanted; lo <= hi;) {
    const int mid = lo + (hi - lo) / 2;
    if (fits_budget(mid)) {
      fits = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  stats_.context = fits;
  stats_.context_limited = fits < wanted;

  FENNEC_ASSIGN_OR_RETURN(dummy_, allocator_->create_buffer(16, MemoryUsage::kDeviceLocal, MemoryCategory::kOther));
  FENNEC_RETURN_IF_ERROR(store_->apply(everything));
  FENNEC_ASSIGN_OR_RETURN(step_, allocator_->create_buffer(kStepBytes, MemoryUsage::kHostUpload,
                                                           MemoryCategory::kStaging));
  FENNEC_ASSIGN_OR_RETURN(embed_, allocator_->create_buffer(embed_bytes(config_, rows_), MemoryUsage::kHostUpload,
                                                            MemoryCategory::kStaging));
  const Layout acts = layout(config_, alignment, rows_);
  FENNEC_ASSIGN_OR_RETURN(activations_,
                          allocator_->create_buffer(acts.total, MemoryUsage::kDeviceLocal, MemoryCategory::kArena));
  const uint64_t cache = cache_bytes(config_, options.kv_cache, fits);
  FENNEC_ASSIGN_OR_RETURN(key_cache_,
                          allocator_->create_buffer(cache, MemoryUsage::kDeviceLocal, MemoryCategory::kKvCache));
  FENNEC_ASSIGN_OR_RETURN(value_cache_,
                          allocator_->create_buffer(cache, MemoryUsage::kDeviceLocal, MemoryCategory::kKvCache));
  FENNEC_ASSIGN_OR_RETURN(readback_,
                          allocator_->create_buffer(logits_bytes, MemoryUsage::kHostReadback, MemoryCategory::kStaging));
  stats_.weight_bytes = store_->resident_device_bytes();
  stats_.imported_weight_bytes = store_->imported_bytes();
  stats_.kv_cache_bytes = 2 * cache;
  stats_.activation_bytes = acts.total;
  return ok_status();
}

Result<VkCommandBuffer> Decoder::command_buffer(int rows) {
  if (auto it = command_buffers_.find(rows); it != command_buffers_.end()) return it->second;
  VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  alloc.commandPool = context_.command_pool();
  alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  alloc.commandBufferCount = 1;
  VkCommandBuffer cb = VK_NULL_HANDLE;
  FENNEC_VK_RETURN_IF_ERROR(vkAllocateCommandBuffers(context_.device(), &alloc, &cb));
  command_buffers_[rows] = cb;
  FENNEC_RETURN_IF_ERROR(record(rows, cb));
  return cb;
}

Status Decoder::record(int rows, VkCommandBuffer command_buffer) {
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  FENNEC_VK_RETURN_IF_ERROR(vkBeginCommandBuffer(command_buffer, &begin));
  vulkan::PlanRecorder recorder(context_, context_.pipelines(), pools_, {dummy_.handle(), 0, dummy_.size()});
  recorder.set_command_buffer(command_buffer);

  const LlmConfig& c = config_;
  const VkDeviceSize alignment =
      std::max<VkDeviceSize>(kWeightAlignment, context_.caps().min_storage_buffer_offset_alignment);
  const Layout acts = layout(c, alignment, rows_);
  auto vec = [&](Vector v) -> BufferSlice { return {activations_.handle(), acts.offsets[v], acts.sizes[v]}; };
  const BufferSlice step{step_.handle(), 0, step_.size()};
  const BufferSlice keys{key_cache_.handle(), 0, key_cache_.size()};
  const BufferSlice values{value_cache_.handle(), 0, value_cache_.size()};
  const int64_t dim = c.dim, kv = c.kv_dim(), hidden = c.hidden_dim, m = rows;

  ops::MatMulParams matmul_params;
  matmul_params.transpose_b = true;
  const ops::MatMulOp matmul(matmul_params);
  const vulkan::RecordFn record_matmul = vulkan::find_kernel(ops::OpType::MATMUL);
  // out [m, n] = in [m, k] x W^T for W [n, k].
  // `bias` (a tensor index, -1 for none) is added to every row.
  auto linear = [&](Vector in, int weight, Vector out, int64_t tokens, int bias = -1) -> Status {
    const graph::TensorInfo& w = graph_.tensors[static_cast<size_t>(weight)];
    const int64_t n = w.shape[0], k = w.shape[1];
    const std::array<TensorBinding, 3> inputs = {
        TensorBinding{{tokens, k}, vec(in), {}}, TensorBinding{w.shape, store_->resident_slice(weight), w.quant},
        bias >= 0 ? TensorBinding{{n}, store_->resident_slice(bias), {}} : TensorBinding{}};
    const std::array<TensorBinding, 1> outputs = {TensorBinding{{tokens, n}, vec(out), {}}};
    return record_matmul(matmul, recorder, inputs, outputs);
  };
  const ops::BinaryOp add(ops::OpType::ADD);
  const vulkan::RecordFn record_add = vulkan::find_kernel(ops::OpType::ADD);
  auto residual = [&](Vector delta) -> Status {
    const std::array<TensorBinding, 2> inputs = {TensorBinding{{m * dim}, vec(kX), {}},
                                                 TensorBinding{{m * dim}, vec(delta), {}}};
    const std::array<TensorBinding, 1> outputs = {TensorBinding{{m * dim}, vec(kX), {}}};
    return record_add(add, recorder, inputs, outputs);
  };
  auto rmsnorm = [&](Vector in, int weight, Vector out, int64_t tokens) -> Status {
    return recorder.dispatch(vulkan::ShaderId::llm_rmsnorm, {vec(in), store_->resident_slice(weight), vec(out)},
                             NormPush{static_cast<uint32_t>(dim), c.norm_eps},
                             static_cast<uint64_t>(tokens) * vulkan::kDefaultWorkgroupSize);
  };

  // X = the embedding rows the host wrote.
  const VkBufferCopy rows_in{0, acts.offsets[kX], embed_bytes(c, rows)};
  vkCmdCopyBuffer(command_buffer, embed_.handle(), activations_.handle(), 1, &rows_in);
  vulkan::full_barrier(command_buffer);
  for (int l = 0; l < c.n_layers; ++l) {
    const LlmWeights::Layer& w = weights_.layers[static_cast<size_t>(l)];
    const uint32_t cache_offset = static_cast<uint32_t>(static_cast<int64_t>(l) * stats_.context * kv);
    // int8: the word where this layer's scales start, after every layer's codes.
    const auto scale_offset = static_cast<uint32_t>(
        (align_up(static_cast<uint64_t>(c.n_layers) * static_cast<uint64_t>(stats_.context) * static_cast<uint64_t>(kv), 16) +
         static_cast<uint64_t>(l) * static_cast<uint64_t>(stats_.context) * static_cast<uint64_t>(c.n_kv_heads) * 4) /
        4);
    FENNEC_RETURN_IF_ERROR(rmsnorm(kX, w.attn_norm, kXb, m));
    FENNEC_RETURN_IF_ERROR(linear(kXb, w.wq, kQ, m, w.bq));
    FENNEC_RETURN_IF_ERROR(linear(kXb, w.wk, kK, m, w.bk));
    FENNEC_RETURN_IF_ERROR(linear(kXb, w.wv, kV, m, w.bv));
    const RopePush rope{static_cast<uint32_t>(c.n_heads), static_cast<uint32_t>(c.n_kv_heads),
                        static_cast<uint32_t>(c.head_dim()), c.rope_neox ? 1u : 0u, cache_offset, c.rope_theta,
                        static_cast<uint32_t>(m), scale_offset};
    const KvCache type = stats_.kv_cache;
    // int8: one invocation per key/value head writes it whole (its scale).
    const int64_t kv_items = type == KvCache::kInt8 ? c.n_kv_heads : c.n_kv_heads * c.head_dim() / 2;
    FENNEC_RETURN_IF_ERROR(recorder.dispatch(type == KvCache::kInt8  ? vulkan::ShaderId::llm_rope_kv_i8
                                             : type == KvCache::kF16 ? vulkan::ShaderId::llm_rope_kv_f16
                                                                     : vulkan::ShaderId::llm_rope_kv,
                                             {step, vec(kQ), vec(kK), vec(kV), keys, values},
                                             rope,
                                             static_cast<uint64_t>(m * (c.n_heads * c.head_dim() / 2 + kv_items))));
    const AttentionPush attention{static_cast<uint32_t>(c.n_heads), static_cast<uint32_t>(c.n_kv_heads),
                                  static_cast<uint32_t>(c.head_dim()), cache_offset,
                                  1.0f / std::sqrt(static_cast<float>(c.head_dim())), scale_offset};
    FENNEC_RETURN_IF_ERROR(recorder.dispatch(type == KvCache::kInt8  ? vulkan::ShaderId::llm_attention_i8
                                             : type == KvCache::kF16 ? vulkan::ShaderId::llm_attention_f16
                                                                     : vulkan::ShaderId::llm_attention,
                                             {step, vec(kQ), keys, values, vec(kXb)},
                                             attention,
                                             static_cast<uint64_t>(m * c.n_heads) * vulkan::kDefaultWorkgroupSize));
    FENNEC_RETURN_IF_ERROR(linear(kXb, w.wo, kXb2, m));
    FENNEC_RETURN_IF_ERROR(residual(kXb2));
    FENNEC_RETURN_IF_ERROR(rmsnorm(kX, w.ffn_norm, kXb, m));
    FENNEC_RETURN_IF_ERROR(linear(kXb, w.w_gate, kHb, m));
    FENNEC_RETURN_IF_ERROR(linear(kXb, w.w_up, kHb2, m));
    FENNEC_RETURN_IF_ERROR(recorder.dispatch(vulkan::ShaderId::llm_swiglu, {vec(kHb), vec(kHb2)},
                                             CountPush{static_cast<uint32_t>(m * hidden)},
                                             static_cast<uint64_t>(m * hidden)));
    FENNEC_RETURN_IF_ERROR(linear(kHb, w.w_down, kXb, m));
    FENNEC_RETURN_IF_ERROR(residual(kXb));
  }
  // Logits for the last token only: its row of X first moves to row 0 of Xb2.
  Vector last = kX;
  if (m > 1) {
    const VkDeviceSize row_bytes = static_cast<VkDeviceSize>(dim) * sizeof(float);
    VkBufferCopy row{acts.offsets[kX] + static_cast<VkDeviceSize>(m - 1) * row_bytes, acts.offsets[kXb2], row_bytes};
    vkCmdCopyBuffer(command_buffer, activations_.handle(), activations_.handle(), 1, &row);
    vulkan::full_barrier(command_buffer);
    last = kXb2;
  }
  FENNEC_RETURN_IF_ERROR(rmsnorm(last, weights_.output_norm, kXb, 1));
  FENNEC_RETURN_IF_ERROR(linear(kXb, weights_.classifier(), kLogits, 1));
  VkBufferCopy region{acts.offsets[kLogits], 0, acts.sizes[kLogits]};
  vkCmdCopyBuffer(command_buffer, activations_.handle(), readback_.handle(), 1, &region);
  VkMemoryBarrier to_host{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  to_host.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
  to_host.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  vkCmdPipelineBarrier(command_buffer, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &to_host, 0,
                       nullptr, 0, nullptr);
  FENNEC_VK_RETURN_IF_ERROR(vkEndCommandBuffer(command_buffer));
  return ok_status();
}

void Decoder::embed(std::span<const int> tokens) {
  const graph::TensorInfo& table = graph_.tensors[static_cast<size_t>(weights_.token_embedding)];
  const size_t dim = static_cast<size_t>(config_.dim);
  auto* out = static_cast<float*>(embed_.mapped());
  for (size_t r = 0; r < tokens.size(); ++r) {
    const auto token = static_cast<size_t>(tokens[r]);
    if (table.is_quantized())
      quant::decode_weight_row(table.quant, table.shape, {table.data, table.data_bytes}, token, {out + r * dim, dim});
    else
      std::memcpy(out + r * dim, table.data + token * dim * sizeof(float), dim * sizeof(float));
  }
}

Result<std::span<const float>> Decoder::forward(std::span<const int> tokens, int start) {
  if (tokens.empty()) return make_error(StatusCode::kInvalidArgument, "no tokens to feed");
  for (int token : tokens)
    if (token < 0 || token >= config_.vocab_size)
      return make_error(StatusCode::kInvalidArgument, "token {} is outside the vocabulary of {}", token,
                        config_.vocab_size);
  const int64_t end = static_cast<int64_t>(start) + static_cast<int64_t>(tokens.size());
  if (start < 0 || end > stats_.context)
    return make_error(StatusCode::kInvalidArgument, "position {} is beyond the context of {} tokens{}", end - 1,
                      stats_.context, stats_.context_limited ? " that the memory budget leaves room for" : "");
  for (size_t done = 0; done < tokens.size();) {
    const int rows = static_cast<int>(std::min<size_t>(static_cast<size_t>(rows_), tokens.size() - done));
    FENNEC_ASSIGN_OR_RETURN(VkCommandBuffer cb, command_buffer(rows));
    auto* step = static_cast<uint32_t*>(step_.mapped());
    step[0] = static_cast<uint32_t>(rows);
    step[1] = static_cast<uint32_t>(start) + static_cast<uint32_t>(done);
    embed(tokens.subspan(done, static_cast<size_t>(rows)));
    FENNEC_RETURN_IF_ERROR(context_.submit_and_wait(cb));
    done += static_cast<size_t>(rows);
  }
  std::memcpy(logits_.data(), readback_.mapped(), logits_.size() * sizeof(float));
  return std::span<const float>(logits_);
}

}  // namespace fennec::llm
