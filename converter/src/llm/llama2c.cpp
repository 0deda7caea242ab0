#include "llm/llama2c.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "passes/convert_error.h"

namespace fennec::llm_import {
namespace {

struct Header {
  int32_t dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
};

bool read_header(std::ifstream& in, Header& h) {
  return static_cast<bool>(in.read(reinterpret_cast<char*>(&h), sizeof(h)));
}

bool plausible(const Header& h) {
  auto in_range = [](int64_t v, int64_t hi) { return v > 0 && v <= hi; };
  return in_range(h.dim, 1 << 16) && in_range(h.hidden_dim, 1 << 18) && in_range(h.n_layers, 1024) &&
         in_range(h.n_heads, 1024) && in_range(h.n_kv_heads, 1024) && h.vocab_size != 0 &&
         in_range(h.vocab_size < 0 ? -int64_t{h.vocab_size} : h.vocab_size, 1 << 22) && in_range(h.seq_len, 1 << 22);
}

}  // namespace

bool looks_like_llama2c(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  Header h{};
  return in && read_header(in, h) && plausible(h);
}

ImportedLlm import_llama2c(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw converter::ConvertError("cannot open '" + name + "'");
  Header h{};
  if (!read_header(in, h) || !plausible(h))
    throw converter::ConvertError("'" + name + "' is not a llama2.c checkpoint (its 28-byte header is not a "
                                  "plausible model shape)");
  ImportedLlm out;
  llm::LlmConfig& c = out.config;
  c.arch = "llama";
  c.dim = h.dim;
  c.hidden_dim = h.hidden_dim;
  c.n_layers = h.n_layers;
  c.n_heads = h.n_heads;
  c.n_kv_heads = h.n_kv_heads;
  c.vocab_size = h.vocab_size < 0 ? -h.vocab_size : h.vocab_size;
  c.context = h.seq_len;
  const bool shared_classifier = h.vocab_size > 0;
  Status valid = c.validate();
  if (!valid.ok()) throw converter::ConvertError("'" + name + "': " + valid.message());

  const int64_t dim = c.dim, hidden = c.hidden_dim, layers = c.n_layers, kv = c.kv_dim(), vocab = c.vocab_size;
  const int64_t head = c.head_dim();
  // Reads `count` floats of the stream into a tensor of `shape`.
  auto read = [&](const char* what, const Shape& shape) {
    HostTensor t(DataType::FLOAT32, shape);
    if (!in.read(reinterpret_cast<char*>(t.bytes.data()), static_cast<std::streamsize>(t.bytes.size())))
      throw converter::ConvertError("'" + name + "' is truncated: it ends inside " + what);
    return t;
  };
  // Stacked per-layer tensors become one constant per layer.
  auto per_layer = [&](const char* tensor, const Shape& shape) {
    const HostTensor all = read(tensor, [&] {
      Shape s{layers};
      s.insert(s.end(), shape.begin(), shape.end());
      return s;
    }());
    const size_t bytes = all.bytes.size() / static_cast<size_t>(layers);
    for (int64_t l = 0; l < layers; ++l) {
      HostTensor one(DataType::FLOAT32, shape);
      std::memcpy(one.bytes.data(), all.bytes.data() + static_cast<size_t>(l) * bytes, bytes);
      out.graph.add_constant(llm::layer_tensor(static_cast<int>(l), tensor), one);
    }
  };
  out.graph.add_constant("token_embd", read("the token embedding", {vocab, dim}));
  per_layer("attn_norm", {dim});
  per_layer("attn_q", {dim, dim});
  per_layer("attn_k", {kv, dim});
  per_layer("attn_v", {kv, dim});
  per_layer("attn_output", {dim, dim});
  per_layer("ffn_norm", {dim});
  per_layer("ffn_gate", {hidden, dim});
  per_layer("ffn_down", {dim, hidden});
  per_layer("ffn_up", {hidden, dim});
  out.graph.add_constant("output_norm", read("the final norm", {dim}));
  // Precomputed RoPE tables (real and imaginary parts) that the decoder
  // computes itself: skipped.
  read("the RoPE tables", {2, c.context, head / 2});
  if (!shared_classifier) out.graph.add_constant("output", read("the classifier", {vocab, dim}));
  in.peek();
  if (!in.eof())
    throw converter::ConvertError("'" + name + "' has bytes after the last weight; the header (" +
                                  std::to_string(c.dim) + " dim, " + std::to_string(c.n_layers) +
                                  " layers) may not match the weights");
  return out;
}

}  // namespace fennec::llm_import
