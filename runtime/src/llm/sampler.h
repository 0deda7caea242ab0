// Picks the next token from logits: greedy at temperature 0, otherwise
// temperature-scaled sampling restricted by top-k, top-p (nucleus) and min-p,
// after a repetition penalty on recent tokens. Seeded and reproducible.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace fennec::llm {

struct SamplerOptions {
  float temperature = 0.0f;  // <= 0: greedy
  int top_k = 0;             // 0: no limit
  float top_p = 1.0f;        // 1: no limit
  float min_p = 0.0f;        // drop tokens below min_p x the top probability
  float repetition_penalty = 1.0f;  // > 1 discourages tokens seen in the last window
  int repetition_window = 64;
  uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(const SamplerOptions& options) : options_(options), rng_(options.seed) {}
  // `history`: tokens so far (for the repetition penalty).
  int sample(std::span<const float> logits, std::span<const int> history);

 private:
  SamplerOptions options_;
  std::mt19937_64 rng_;
  std::vector<float> scratch_;
  std::vector<int> order_;
};

// The index of the largest logit (the first on ties).
int argmax(std::span<const float> logits);

}  // namespace fennec::llm
