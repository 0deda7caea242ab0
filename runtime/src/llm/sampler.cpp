#include "llm/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace fennec::llm {

int argmax(std::span<const float> logits) {
  return static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

int Sampler::sample(std::span<const float> logits, std::span<const int> history) {
  scratch_.assign(logits.begin(), logits.end());
  if (options_.repetition_penalty != 1.0f) {
    const size_t from = history.size() > static_cast<size_t>(options_.repetition_window)
                            ? history.size() - static_cast<size_t>(options_.repetition_window)
                            : 0;
    std::vector<bool> seen(scratch_.size(), false);
    for (size_t i = from; i < history.size(); ++i)
      if (history[i] >= 0 && static_cast<size_t>(history[i]) < seen.size()) seen[static_cast<size_t>(history[i])] = true;
    for (size_t t = 0; t < scratch_.size(); ++t)
      if (seen[t]) scratch_[t] = scratch_[t] > 0 ? scratch_[t] / options_.repetition_penalty
                                                 : scratch_[t] * options_.repetition_penalty;
  }
  if (options_.temperature <= 0.0f) return argmax(scratch_);

  // Candidates by descending logit; softmax at the temperature.
  order_.resize(scratch_.size());
  std::iota(order_.begin(), order_.end(), 0);
  const size_t keep = options_.top_k > 0 ? std::min(order_.size(), static_cast<size_t>(options_.top_k)) : order_.size();
  std::partial_sort(order_.begin(), order_.begin() + static_cast<std::ptrdiff_t>(keep), order_.end(),
                    [&](int a, int b) { return scratch_[static_cast<size_t>(a)] > scratch_[static_cast<size_t>(b)]; });
  order_.resize(keep);
  const float top = scratch_[static_cast<size_t>(order_[0])];
  std::vector<double> p(keep);
  double sum = 0.0;
  for (size_t i = 0; i < keep; ++i) {
    p[i] = std::exp((scratch_[static_cast<size_t>(order_[i])] - top) / options_.temperature);
    sum += p[i];
  }
  size_t cut = keep;
  double mass = 0.0;
  for (size_t i = 0; i < keep; ++i) {
    p[i] /= sum;
    if (p[i] < options_.min_p * p[0]) {
      cut = std::max<size_t>(1, i);
      break;
    }
    mass += p[i];
    if (mass >= options_.top_p) {
      cut = i + 1;
      break;
    }
  }
  double total = 0.0;
  for (size_t i = 0; i < cut; ++i) total += p[i];
  std::uniform_real_distribution<double> uniform(0.0, total);
  double r = uniform(rng_);
  for (size_t i = 0; i < cut; ++i) {
    r -= p[i];
    if (r <= 0.0) return order_[i];
  }
  return order_[cut - 1];
}

}  // namespace fennec::llm
