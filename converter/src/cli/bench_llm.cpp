#include "cli/bench_llm.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/byte_size.h"
#include "llm/decoder.h"
#include "llm/sampler.h"
#include "model/model_file.h"
#include "vulkan/context.h"

namespace fennec::cli {
namespace {

template <typename T>
T check(Result<T> result) {
  if (!result.ok()) throw std::runtime_error(result.status().message());
  return std::move(result).value();
}

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
  auto file = check(model::ModelFile::open(args.model));
  const llm::LlmConfig config = check(llm::from_metadata([&](const char* key) { return file->metadata(key); }));
  const graph::Graph graph = check(file->to_graph());
  vulkan::ContextOptions context_options;
  context_options.device_index = args.device;
  auto context = check(vulkan::Context::create(context_options));
  llm::DecoderOptions options;
  options.max_context = args.prompt_tokens + args.gen_tokens;
  if (!args.memory_budget.empty()) options.memory_budget_bytes = parse_byte_size(args.memory_budget, "--memory-budget");
  auto decoder = check(llm::Decoder::create(*context, graph, config, options));
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
    std::span<const float> logits = check(decoder->forward(prompt, 0));
    prefill.push_back(args.prompt_tokens / std::chrono::duration<double>(clock::now() - start).count());
    start = clock::now();
    for (int i = 0; i < args.gen_tokens; ++i)
      logits = check(decoder->forward(llm::argmax(logits), args.prompt_tokens + i));
    decode.push_back(args.gen_tokens / std::chrono::duration<double>(clock::now() - start).count());
  }
  const llm::DecoderStats st = decoder->stats();
  auto peak = [&](vulkan::MemoryCategory c) { return st.memory.peak_by_category[static_cast<size_t>(c)]; };
  if (args.json) {
    nlohmann::json j = {{"model", args.model},
                        {"device", context->caps().name},
                        {"prompt_tokens", args.prompt_tokens},
                        {"gen_tokens", args.gen_tokens},
                        {"sequences", args.sequences},
                        {"prefill_chunk", decoder->prefill_rows()},
                        {"prefill_tokens_per_s", median(prefill)},
                        {"decode_tokens_per_s", median(decode)},
                        {"prefill_runs", prefill},
                        {"decode_runs", decode},
                        {"memory",
                         {{"peak_device_bytes", st.memory.peak_bytes},
                          {"peak_by_category",
                           {{"weights", peak(vulkan::MemoryCategory::kWeights)},
                            {"kv_cache", peak(vulkan::MemoryCategory::kKvCache)},
                            {"activations", peak(vulkan::MemoryCategory::kArena)},
                            {"staging", peak(vulkan::MemoryCategory::kStaging)},
                            {"other", peak(vulkan::MemoryCategory::kOther)}}},
                          {"imported_weight_bytes", st.imported_weight_bytes},
                          {"budget_bytes", st.budget_bytes}}}};
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("%s on %s: prefill %.1f tokens/s (%d-token prompts, chunks of %d), decode %.1f tokens/s "
              "(%d tokens), median of %d; peak device memory %.2f MiB (weights %.2f, kv cache %.2f)\n",
              args.model.c_str(), context->caps().name.c_str(), median(prefill), args.prompt_tokens,
              decoder->prefill_rows(), median(decode), args.gen_tokens, args.sequences,
              st.memory.peak_bytes / 1048576.0, peak(vulkan::MemoryCategory::kWeights) / 1048576.0,
              peak(vulkan::MemoryCategory::kKvCache) / 1048576.0);
}

}  // namespace fennec::cli
