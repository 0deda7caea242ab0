// fennec_random_gguf: writes a llama- or qwen2-architecture GGUF file of a
// given shape with random weights (uniform, standard deviation 0.02; norms 1;
// qwen2's Q, K and V biases F32) in F32,
// F16, Q8_0 or Q4_0 blocks, and a placeholder SentencePiece vocabulary
// (<unk>, <s>, </s>, the 256 byte tokens, then numbered pieces), so that
// engines can be compared on a real model shape without a real model. The
// default shape is TinyLlama-1.1B's.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "common/ggml_blocks.h"
#include "common/gguf_writer.h"

namespace {

using fennec::testing::GgmlType;

struct Shape {
  int dim = 2048, hidden = 5632, layers = 22, heads = 32, kv_heads = 4, vocab = 32000, context = 2048;
};

// xorshift64*: fast, reproducible from the seed.
struct Random {
  uint64_t state;
  float uniform() {  // in [-1, 1)
    state ^= state >> 12, state ^= state << 25, state ^= state >> 27;
    return static_cast<float>((state * 2685821657736338717ull) >> 40) / static_cast<float>(1ull << 23) - 1.0f;
  }
};

int usage() {
  std::fprintf(stderr,
               "usage: fennec_random_gguf OUT.gguf [--type q4_0|q8_0|f16|f32] [--arch llama|qwen2] [--seed N]\n"
               "         [--dim N] [--hidden N] [--layers N] [--heads N] [--kv-heads N] [--vocab N] [--context N]\n"
               "  defaults: q4_0, seed 1, the TinyLlama-1.1B shape (2048, 5632, 22, 32, 4, 32000, 2048)\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return usage();
  const std::string out = argv[1];
  Shape s;
  GgmlType type = fennec::testing::kQ4_0;
  uint64_t seed = 1;
  std::string arch = "llama";
  for (int i = 2; i < argc; i += 2) {
    if (i + 1 >= argc) return usage();
    const std::string flag = argv[i], value = argv[i + 1];
    const int n = std::atoi(value.c_str());
    if (flag == "--type") {
      if (value == "q4_0") type = fennec::testing::kQ4_0;
      else if (value == "q8_0") type = fennec::testing::kQ8_0;
      else if (value == "f16") type = fennec::testing::kF16;
      else if (value == "f32") type = fennec::testing::kF32;
      else return usage();
    } else if (flag == "--arch") {
      if (value != "llama" && value != "qwen2") return usage();
      arch = value;
    } else if (flag == "--seed") seed = std::strtoull(value.c_str(), nullptr, 10);
    else if (n <= 0) return usage();
    else if (flag == "--dim") s.dim = n;
    else if (flag == "--hidden") s.hidden = n;
    else if (flag == "--layers") s.layers = n;
    else if (flag == "--heads") s.heads = n;
    else if (flag == "--kv-heads") s.kv_heads = n;
    else if (flag == "--vocab") s.vocab = n;
    else if (flag == "--context") s.context = n;
    else return usage();
  }
  if (s.dim % s.heads != 0 || s.heads % s.kv_heads != 0 || s.vocab < 259 ||
      ((type == fennec::testing::kQ4_0 || type == fennec::testing::kQ8_0) && (s.dim % 32 || s.hidden % 32))) {
    std::fprintf(stderr, "fennec_random_gguf: inconsistent shape (heads must divide dim, kv-heads heads; "
                         "vocab >= 259; block types need dim and hidden multiples of 32)\n");
    return 2;
  }
  const auto started = std::chrono::steady_clock::now();
  fennec::testing::GgufWriter w;
  w.decoder_shape(arch, static_cast<uint32_t>(s.dim), static_cast<uint32_t>(s.hidden), static_cast<uint32_t>(s.layers),
                  static_cast<uint32_t>(s.heads), static_cast<uint32_t>(s.kv_heads), static_cast<uint32_t>(s.context));
  w.str("general.name", "random");
  w.u32(arch + ".rope.dimension_count", static_cast<uint32_t>(s.dim / s.heads));
  w.f32(arch + ".attention.layer_norm_rms_epsilon", 1e-5f);
  w.f32(arch + ".rope.freq_base", 10000.0f);
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<float> scores(3, 0.0f);
  std::vector<int32_t> kinds = {2, 3, 3};  // unknown, control, control
  for (int b = 0; b < 256; ++b) {
    char piece[8];
    std::snprintf(piece, sizeof piece, "<0x%02X>", b);
    tokens.push_back(piece), scores.push_back(0.0f), kinds.push_back(6);  // byte
  }
  while (tokens.size() < static_cast<size_t>(s.vocab)) {
    scores.push_back(-static_cast<float>(tokens.size()));
    tokens.push_back("\xE2\x96\x81t" + std::to_string(tokens.size())), kinds.push_back(1);
  }
  w.str("tokenizer.ggml.model", "llama");
  w.strings("tokenizer.ggml.tokens", tokens);
  w.floats("tokenizer.ggml.scores", scores);
  w.ints("tokenizer.ggml.token_type", kinds);
  w.u32("tokenizer.ggml.bos_token_id", 1);
  w.u32("tokenizer.ggml.eos_token_id", 2);
  w.u32("tokenizer.ggml.unknown_token_id", 0);

  Random random{seed * 0x9E3779B97F4A7C15ull + 1};
  const float spread = 0.02f * 1.7320508f;  // uniform on [-a, a] has deviation a / sqrt(3)
  std::vector<float> expected;
  uint64_t parameters = 0;
  auto matrix = [&](const std::string& name, int rows, int cols) {
    std::vector<float> v(static_cast<size_t>(rows) * static_cast<size_t>(cols));
    for (float& x : v) x = random.uniform() * spread;
    w.tensor(name, {static_cast<uint64_t>(cols), static_cast<uint64_t>(rows)}, type,
             fennec::testing::encode_ggml(type, v, expected));
    parameters += v.size();
  };
  auto norm = [&](const std::string& name) {
    std::vector<float> v(static_cast<size_t>(s.dim), 1.0f);
    w.tensor(name, {static_cast<uint64_t>(s.dim)}, fennec::testing::kF32,
             fennec::testing::encode_ggml(fennec::testing::kF32, v, expected));
  };
  auto bias = [&](const std::string& name, int n) {
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = random.uniform() * spread;
    w.tensor(name, {static_cast<uint64_t>(n)}, fennec::testing::kF32,
             fennec::testing::encode_ggml(fennec::testing::kF32, v, expected));
  };
  const int kv = s.dim / s.heads * s.kv_heads;
  matrix("token_embd.weight", s.vocab, s.dim);
  for (int l = 0; l < s.layers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    norm(p + "attn_norm.weight");
    matrix(p + "attn_q.weight", s.dim, s.dim);
    matrix(p + "attn_k.weight", kv, s.dim);
    matrix(p + "attn_v.weight", kv, s.dim);
    if (arch == "qwen2") {
      bias(p + "attn_q.bias", s.dim);
      bias(p + "attn_k.bias", kv);
      bias(p + "attn_v.bias", kv);
    }
    matrix(p + "attn_output.weight", s.dim, s.dim);
    norm(p + "ffn_norm.weight");
    matrix(p + "ffn_gate.weight", s.hidden, s.dim);
    matrix(p + "ffn_up.weight", s.hidden, s.dim);
    matrix(p + "ffn_down.weight", s.dim, s.hidden);
    std::fprintf(stderr, "\rfennec_random_gguf: layer %d/%d", l + 1, s.layers);
  }
  norm("output_norm.weight");
  matrix("output.weight", s.vocab, s.dim);
  w.write(out);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::fprintf(stderr, "\nfennec_random_gguf: wrote %s (%.2f B parameters) in %.1f s\n", out.c_str(),
               static_cast<double>(parameters) / 1e9, seconds);
  return 0;
}
