// Greedy decoding on Vulkan checked step by step against the float32 CPU
// reference decoder on the same weights (quantized ones decoded).
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

#include "graph/graph.h"
#include "llm/decoder.h"
#include "llm/reference.h"
#include "llm/sampler.h"
#include "vulkan/context.h"

namespace fennec::testing {

// max |expected - actual| / max |expected|.
inline double relative_error(std::span<const float> expected, std::span<const float> actual) {
  double max_diff = 0.0, max_ref = 0.0;
  for (size_t i = 0; i < expected.size(); ++i) {
    max_diff = std::max(max_diff, static_cast<double>(std::fabs(expected[i] - actual[i])));
    max_ref = std::max(max_ref, static_cast<double>(std::fabs(expected[i])));
  }
  return max_ref > 0 ? max_diff / max_ref : max_diff;
}

// `steps` greedy tokens from BOS: logits within `bound` relative at every
// step and the same token ids; `kv` is the cache type (the reference rounds
// keys and values the same way). Returns the ids.
inline std::vector<int> check_greedy(const graph::Graph& graph, const llm::LlmConfig& config, int steps,
                                     double bound, llm::KvCache kv = llm::KvCache::kF32) {
  auto reference = llm::ReferenceDecoder::create(graph, config, kv);
  REQUIRE(reference.ok());
  auto context = vulkan::Context::create({});
  REQUIRE(context.ok());
  llm::DecoderOptions options;
  options.kv_cache = kv;
  auto decoder = llm::Decoder::create(*context.value(), graph, config, options);
  REQUIRE_MESSAGE(decoder.ok(), decoder.status().to_string());
  int token = config.bos_token;
  double worst = 0.0;
  std::vector<int> ids;
  for (int pos = 0; pos < steps; ++pos) {
    const std::vector<float>& expected = reference.value().forward(token, pos);
    auto actual = decoder.value()->forward(token, pos);
    REQUIRE(actual.ok());
    const double error = relative_error(expected, actual.value());
    worst = std::max(worst, error);
    CHECK_MESSAGE(error <= bound, "position " << pos);
    const int next = llm::argmax(expected);
    CHECK_MESSAGE(llm::argmax(actual.value()) == next, "position " << pos);
    ids.push_back(next);
    token = next;
  }
  MESSAGE(steps << " greedy tokens, worst logits error " << worst << " relative");
  return ids;
}

}  // namespace fennec::testing
