#include "cli/bench_llm.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/llm_session.h"
#include "llm/sampler.h"

namespace fennec::cli {
namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

}  // namespace

bool is_llm_file(const std::string& model) {
  auto file = model::ModelFile::open(model);
  if (!file.ok()) return false;
  const char* kind = file.value()->metadata(llm::kKindKey);
  return kind && std::string(kind) == llm::kKindLlm;
}

void bench_llm(const LlmBenchArgs& args) {
  llm::DecoderOptions options;
  options.max_context = args.prompt_tokens + args.gen_tokens;
  const auto session = open_llm(args.model, args.device, args.memory_budget, options);
  const llm::LlmConfig& config = session->config;
  llm::Decoder* decoder = session->decoder.get();
  if (decoder->context() < args.prompt_tokens + args.gen_tokens)
    throw std::runtime_error("bench: the context holds " + std::to_string(decoder->context()) +
                             " tokens, fewer than --prompt-tokens + --gen-tokens");

  using clock = std::chrono::steady_clock;
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> token(0, config.vocab_size - 1);
  std::vector<double> prefill, decode;
  for (int s = 0; s < args.sequences; ++s) {
    std::vector<int> prompt(static_cast<size_t>(args.prompt_tokens));
    for (int& t : prompt) t = token(rng);
    auto start = clock::now();
    std::span<const float> logits = unwrap(decoder->forward(prompt, 0));
    prefill.push_back(args.prompt_tokens / std::chrono::duration<double>(clock::now() - start).count());
    start = clock::now();
    for (int i = 0; i < args.gen_tokens; ++i)
      logits = unwrap(decoder->forward(llm::argmax(logits), args.prompt_tokens + i));
    decode.push_back(args.gen_tokens / std::chrono::duration<double>(clock::now() - start).count());
  }
  const llm::DecoderStats st = decoder->stats();
  if (args.json) {
    nlohmann::json j = {{"model", args.model},
                        {"device", session->context->caps().name},
                        {"prompt_tokens", args.prompt_tokens},
                        {"gen_tokens", args.gen_tokens},
                        {"sequences", args.sequences},
                        {"prefill_chunk", decoder->prefill_rows()},
                        {"prefill_tokens_per_s", median(prefill)},
                        {"decode_tokens_per_s", median(decode)},
                        {"prefill_runs", prefill},
                        {"decode_runs", decode},
                        {"memory", llm_memory_json(*session)}};
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("%s on %s: prefill %.1f tokens/s (%d-token prompts, chunks of %d), decode %.1f tokens/s "
              "(%d tokens), median of %d; peak device memory %.2f MiB (weights %.2f, kv cache %.2f)\n",
              args.model.c_str(), session->context->caps().name.c_str(), median(prefill), args.prompt_tokens,
              decoder->prefill_rows(), median(decode), args.gen_tokens, args.sequences,
              st.memory.peak_bytes / 1048576.0, session->peak(vulkan::MemoryCategory::kWeights) / 1048576.0,
              session->peak(vulkan::MemoryCategory::kKvCache) / 1048576.0);
}

}  // namespace fennec::cli
