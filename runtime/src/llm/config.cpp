#include "llm/config.h"

#include <cstdlib>

#include "base/log.h"

namespace fennec::llm {

Status LlmConfig::validate() const {
  if (dim <= 0 || hidden_dim <= 0 || n_layers <= 0 || n_heads <= 0 || n_kv_heads <= 0 || vocab_size <= 0 ||
      context <= 0)
    return make_error(StatusCode::kInvalidModel,
                      "LLM shape must be positive: dim {}, hidden {}, layers {}, heads {}, kv heads {}, vocab {}, "
                      "context {}",
                      dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, context);
  if (dim % n_heads != 0 || n_heads % n_kv_heads != 0 || head_dim() % 2 != 0)
    return make_error(StatusCode::kInvalidModel,
                      "LLM heads do not divide: dim {} over {} heads ({} kv heads) must give an even head size",
                      dim, n_heads, n_kv_heads);
  if (head_dim() > 256)
    return make_error(StatusCode::kUnsupported, "LLM head size {} is above 256", head_dim());
  if (bos_token < 0 || bos_token >= vocab_size || eos_token < 0 || eos_token >= vocab_size)
    return make_error(StatusCode::kInvalidModel, "LLM BOS/EOS tokens {}/{} outside the vocabulary of {}",
                      bos_token, eos_token, vocab_size);
  return ok_status();
}

std::vector<std::pair<std::string, std::string>> to_metadata(const LlmConfig& c) {
  return {{kKindKey, kKindLlm},
          {"llm.arch", c.arch},
          {"llm.dim", std::to_string(c.dim)},
          {"llm.hidden_dim", std::to_string(c.hidden_dim)},
          {"llm.n_layers", std::to_string(c.n_layers)},
          {"llm.n_heads", std::to_string(c.n_heads)},
          {"llm.n_kv_heads", std::to_string(c.n_kv_heads)},
          {"llm.vocab_size", std::to_string(c.vocab_size)},
          {"llm.context", std::to_string(c.context)},
          {"llm.norm_eps", fmt::format("{:.9g}", c.norm_eps)},
          {"llm.rope_theta", fmt::format("{:.9g}", c.rope_theta)},
          {"llm.rope_neox", c.rope_neox ? "1" : "0"},
          {"llm.bos_token", std::to_string(c.bos_token)},
          {"llm.eos_token", std::to_string(c.eos_token)},
          {"llm.add_bos", c.add_bos ? "1" : "0"}};
}

Result<LlmConfig> from_metadata(const std::function<const char*(const char*)>& lookup) {
  const char* kind = lookup(kKindKey);
  if (!kind || std::string(kind) != kKindLlm)
    return make_error(StatusCode::kInvalidArgument, "the model is not an LLM (metadata {} is not '{}')", kKindKey,
                      kKindLlm);
  LlmConfig c;
  Status status = ok_status();
  auto integer = [&](const char* key, int& out) {
    const char* v = lookup(key);
    char* end = nullptr;
    const long value = v ? std::strtol(v, &end, 10) : 0;
    if (!v || *end != '\0') status = make_error(StatusCode::kInvalidModel, "LLM metadata {} is missing or bad", key);
    else out = static_cast<int>(value);
  };
  auto real = [&](const char* key, float& out) {
    const char* v = lookup(key);
    char* end = nullptr;
    const float value = v ? std::strtof(v, &end) : 0.0f;
    if (!v || *end != '\0') status = make_error(StatusCode::kInvalidModel, "LLM metadata {} is missing or bad", key);
    else out = value;
  };
  if (const char* arch = lookup("llm.arch")) c.arch = arch;
  integer("llm.dim", c.dim);
  integer("llm.hidden_dim", c.hidden_dim);
  integer("llm.n_layers", c.n_layers);
  integer("llm.n_heads", c.n_heads);
  integer("llm.n_kv_heads", c.n_kv_heads);
  integer("llm.vocab_size", c.vocab_size);
  integer("llm.context", c.context);
  real("llm.norm_eps", c.norm_eps);
  real("llm.rope_theta", c.rope_theta);
  int neox = 0;
  integer("llm.rope_neox", neox);
  c.rope_neox = neox != 0;
  integer("llm.bos_token", c.bos_token);
  integer("llm.eos_token", c.eos_token);
  if (const char* add_bos = lookup("llm.add_bos")) c.add_bos = std::string(add_bos) != "0";  // older files: 1
  FENNEC_RETURN_IF_ERROR(status);
  FENNEC_RETURN_IF_ERROR(c.validate());
  return c;
}

const char* kv_cache_name(KvCache type) {
  switch (type) {
    case KvCache::kF32: return "f32";
    case KvCache::kF16: return "f16";
    case KvCache::kInt8: return "int8";
  }
  return "unknown";
}

bool parse_kv_cache(const std::string& text, KvCache& type) {
  for (KvCache t : {KvCache::kF32, KvCache::kF16, KvCache::kInt8})
    if (text == kv_cache_name(t)) {
      type = t;
      return true;
    }
  return false;
}

std::string layer_tensor(int layer, const char* name) { return fmt::format("blk.{}.{}", layer, name); }

Result<LlmWeights> find_weights(const graph::Graph& graph, const LlmConfig& c) {
  auto find = [&](const std::string& name, const Shape& shape, bool optional, int& out) -> Status {
    out = graph.find_tensor(name);
    if (out < 0) {
      if (optional) return ok_status();
      return make_error(StatusCode::kInvalidModel, "LLM weight '{}' is missing", name);
    }
    const graph::TensorInfo& t = graph.tensors[static_cast<size_t>(out)];
    if (!t.is_constant() || t.shape != shape)
      return make_error(StatusCode::kInvalidModel, "LLM weight '{}' has shape {}, expected a constant {}", name,
                        shape_to_string(t.shape), shape_to_string(shape));
    if (t.dtype != DataType::FLOAT32)
      return make_error(StatusCode::kInvalidModel, "LLM weight '{}' has dtype {}, expected float32", name,
                        dtype_name(t.dtype));
    if (t.is_quantized() && (shape.size() != 2 || t.quant.transposed))
      return make_error(StatusCode::kInvalidModel, "LLM weight '{}' is quantized in a layout the decoder cannot read",
                        name);
    return ok_status();
  };
  const int64_t dim = c.dim, hidden = c.hidden_dim, kv = c.kv_dim(), vocab = c.vocab_size;
  LlmWeights w;
  FENNEC_RETURN_IF_ERROR(find("token_embd", {vocab, dim}, false, w.token_embedding));
  FENNEC_RETURN_IF_ERROR(find("output_norm", {dim}, false, w.output_norm));
  FENNEC_RETURN_IF_ERROR(find("output", {vocab, dim}, true, w.output));
  for (int l = 0; l < c.n_layers; ++l) {
    LlmWeights::Layer layer;
    FENNEC_RETURN_IF_ERROR(find(layer_tensor(l, "attn_norm"), {dim}, false, layer.attn_norm));
    FENNEC_RETURN_IF_ERROR(find(layer_tensor(l, "attn_q"), {dim, dim}, false, layer.wq));
    FENNEC_RETURN_IF_ERROR(find(layer_tensor(l, "attn_k"), {kv, dim}, false, layer.wk));
    FENNEC_RETURN_IF_ERROR(find(layer_tensor(l, "attn_v"), {kv, dim}, false, layer.wv));
    FENNEC_RETURN_IF_ERROR(find(layer_tensor(l, "attn_q.bias"), {dim}, true, layer.bq));
    FENNEC_RETURN_IF_ERROR(find(layer_tensor(l, "attn_k.bias"), {kv}, true, layer.bk));
    FENNEC_RETURN_IF_ERROR(find(layer_tensor(l, "attn_v.bias"), {kv}, true, layer.bv));
    FENNEC_RETURN_IF_ERROR(find(layer_tensor(l, "attn_output"), {dim, dim}, false, layer.wo));
    FENNEC_RETURN_IF_ERROR(find(layer_tensor(l, "ffn_norm"), {dim}, false, layer.ffn_norm));
    FENNEC_RETURN_IF_ERROR(find(layer_tensor(l, "ffn_gate"), {hidden, dim}, false, layer.w_gate));
    FENNEC_RETURN_IF_ERROR(find(layer_tensor(l, "ffn_up"), {hidden, dim}, false, layer.w_up));
    FENNEC_RETURN_IF_ERROR(find(layer_tensor(l, "ffn_down"), {dim, hidden}, false, layer.w_down));
    w.layers.push_back(layer);
  }
  return w;
}

}  // namespace fennec::llm
