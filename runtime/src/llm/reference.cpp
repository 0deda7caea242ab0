#include "llm/reference.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "quant/formats.h"

namespace fennec::llm {
namespace {

void rmsnorm(float* out, const float* x, const float* w, int n, float eps) {
  float ss = 0.0f;
  for (int i = 0; i < n; ++i) ss += x[i] * x[i];
  const float scale = 1.0f / std::sqrt(ss / static_cast<float>(n) + eps);
  for (int i = 0; i < n; ++i) out[i] = x[i] * scale * w[i];
}

// out[r] = sum_c w[r, c] x[c] for w [rows, cols].
void matvec(float* out, const float* x, const float* w, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    float sum = 0.0f;
    const float* row = w + static_cast<size_t>(r) * static_cast<size_t>(cols);
    for (int c = 0; c < cols; ++c) sum += row[c] * x[c];
    out[r] = sum;
  }
}

void add_bias(std::vector<float>& v, const float* bias) {
  if (bias)
    for (size_t i = 0; i < v.size(); ++i) v[i] += bias[i];
}

void rope(float* v, int heads, int head_dim, int pos, float theta, bool neox) {
  for (int h = 0; h < heads; ++h)
    for (int i = 0; i < head_dim / 2; ++i) {
      const int a = neox ? i : 2 * i, b = neox ? i + head_dim / 2 : 2 * i + 1;
      const float freq = std::pow(theta, -static_cast<float>(2 * i) / static_cast<float>(head_dim));
      const float angle = static_cast<float>(pos) * freq;
      const float c = std::cos(angle), s = std::sin(angle);
      float* head = v + h * head_dim;
      const float x0 = head[a], x1 = head[b];
      head[a] = x0 * c - x1 * s;
      head[b] = x0 * s + x1 * c;
    }
}

// The values one head of an int8 cache holds for `x` (config.h, KvCache).
void round_int8(float* x, int n) {
  float amax = 0.0f;
  for (int i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
  const float scale = amax > 0.0f ? amax / 127.0f : 1.0f, inverse = 1.0f / scale;
  for (int i = 0; i < n; ++i) {
    const float v = x[i] * inverse;
    x[i] = std::clamp(std::trunc(v + (v < 0.0f ? -0.5f : 0.5f)), -127.0f, 127.0f) * scale;
  }
}

}  // namespace

Result<ReferenceDecoder> ReferenceDecoder::create(const graph::Graph& graph, const LlmConfig& config, KvCache kv) {
  FENNEC_RETURN_IF_ERROR(config.validate());
  ReferenceDecoder d;
  d.config_ = config;
  d.kv_ = kv;
  FENNEC_ASSIGN_OR_RETURN(d.weights_, find_weights(graph, config));
  d.values_.resize(graph.tensors.size());
  for (size_t i = 0; i < graph.tensors.size(); ++i) {
    if (!graph.tensors[i].is_constant()) continue;
    const HostTensor t = graph.constant_value(static_cast<int>(i));
    d.values_[i].resize(t.bytes.size() / sizeof(float));
    std::memcpy(d.values_[i].data(), t.bytes.data(), t.bytes.size());
  }
  const size_t cache = static_cast<size_t>(config.n_layers) * static_cast<size_t>(config.context) *
                       static_cast<size_t>(config.kv_dim());
  d.key_cache_.assign(cache, 0.0f);
  d.value_cache_.assign(cache, 0.0f);
  const size_t dim = static_cast<size_t>(config.dim), hidden = static_cast<size_t>(config.hidden_dim);
  d.x_.resize(dim);
  d.xb_.resize(dim);
  d.xb2_.resize(dim);
  d.q_.resize(dim);
  d.k_.resize(static_cast<size_t>(config.kv_dim()));
  d.v_.resize(static_cast<size_t>(config.kv_dim()));
  d.att_.resize(static_cast<size_t>(config.context));
  d.hb_.resize(hidden);
  d.hb2_.resize(hidden);
  d.logits_.resize(static_cast<size_t>(config.vocab_size));
  return d;
}

const std::vector<float>& ReferenceDecoder::forward(int token, int pos) {
  const LlmConfig& c = config_;
  const int dim = c.dim, hd = c.head_dim(), kv_dim = c.kv_dim(), group = c.n_heads / c.n_kv_heads;
  auto w = [&](int tensor) { return values_[static_cast<size_t>(tensor)].data(); };
  std::memcpy(x_.data(), w(weights_.token_embedding) + static_cast<size_t>(token) * static_cast<size_t>(dim),
              static_cast<size_t>(dim) * sizeof(float));
  for (int l = 0; l < c.n_layers; ++l) {
    const LlmWeights::Layer& layer = weights_.layers[static_cast<size_t>(l)];
    rmsnorm(xb_.data(), x_.data(), w(layer.attn_norm), dim, c.norm_eps);
    matvec(q_.data(), xb_.data(), w(layer.wq), dim, dim);
    matvec(k_.data(), xb_.data(), w(layer.wk), kv_dim, dim);
    matvec(v_.data(), xb_.data(), w(layer.wv), kv_dim, dim);
    add_bias(q_, layer.bq >= 0 ? w(layer.bq) : nullptr);
    add_bias(k_, layer.bk >= 0 ? w(layer.bk) : nullptr);
    add_bias(v_, layer.bv >= 0 ? w(layer.bv) : nullptr);
    rope(q_.data(), c.n_heads, hd, pos, c.rope_theta, c.rope_neox);
    rope(k_.data(), c.n_kv_heads, hd, pos, c.rope_theta, c.rope_neox);
    if (kv_ == KvCache::kF16)
      for (size_t i = 0; i < k_.size(); ++i) {
        k_[i] = quant::fp16_to_float(quant::float_to_fp16(k_[i]));
        v_[i] = quant::fp16_to_float(quant::float_to_fp16(v_[i]));
      }
    if (kv_ == KvCache::kInt8)
      for (int h = 0; h < c.n_kv_heads; ++h) {
        round_int8(k_.data() + h * hd, hd);
        round_int8(v_.data() + h * hd, hd);
      }
    const size_t layer_base = static_cast<size_t>(l) * static_cast<size_t>(c.context) * static_cast<size_t>(kv_dim);
    std::memcpy(&key_cache_[layer_base + static_cast<size_t>(pos) * kv_dim], k_.data(), kv_dim * sizeof(float));
    std::memcpy(&value_cache_[layer_base + static_cast<size_t>(pos) * kv_dim], v_.data(), kv_dim * sizeof(float));
    for (int h = 0; h < c.n_heads; ++h) {
      const float* q = q_.data() + h * hd;
      const int kv_head = h / group;
      float max_score = -INFINITY;
      for (int t = 0; t <= pos; ++t) {
        const float* k = &key_cache_[layer_base + static_cast<size_t>(t) * kv_dim + kv_head * hd];
        float score = 0.0f;
        for (int i = 0; i < hd; ++i) score += q[i] * k[i];
        att_[static_cast<size_t>(t)] = score / std::sqrt(static_cast<float>(hd));
        max_score = std::max(max_score, att_[static_cast<size_t>(t)]);
      }
      float sum = 0.0f;
      for (int t = 0; t <= pos; ++t) {
        att_[static_cast<size_t>(t)] = std::exp(att_[static_cast<size_t>(t)] - max_score);
        sum += att_[static_cast<size_t>(t)];
      }
      float* out = xb_.data() + h * hd;
      std::fill(out, out + hd, 0.0f);
      for (int t = 0; t <= pos; ++t) {
        const float* v = &value_cache_[layer_base + static_cast<size_t>(t) * kv_dim + kv_head * hd];
        const float a = att_[static_cast<size_t>(t)] / sum;
        for (int i = 0; i < hd; ++i) out[i] += a * v[i];
      }
    }
    matvec(xb2_.data(), xb_.data(), w(layer.wo), dim, dim);
    for (int i = 0; i < dim; ++i) x_[static_cast<size_t>(i)] += xb2_[static_cast<size_t>(i)];
    rmsnorm(xb_.data(), x_.data(), w(layer.ffn_norm), dim, c.norm_eps);
    matvec(hb_.data(), xb_.data(), w(layer.w_gate), c.hidden_dim, dim);
    matvec(hb2_.data(), xb_.data(), w(layer.w_up), c.hidden_dim, dim);
    for (size_t i = 0; i < hb_.size(); ++i) {
      const float g = hb_[i];
      hb_[i] = g / (1.0f + std::exp(-g)) * hb2_[i];
    }
    matvec(xb_.data(), hb_.data(), w(layer.w_down), dim, c.hidden_dim);
    for (int i = 0; i < dim; ++i) x_[static_cast<size_t>(i)] += xb_[static_cast<size_t>(i)];
  }
  rmsnorm(x_.data(), x_.data(), w(weights_.output_norm), dim, c.norm_eps);
  matvec(logits_.data(), x_.data(), w(weights_.classifier()), c.vocab_size, dim);
  return logits_;
}

}  // namespace fennec::llm
