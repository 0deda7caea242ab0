// `fennec generate model.fennec -n 128 [--tokens 1,2,3] [--temperature 0]
// [--seed S] [--json]`: runs an LLM file (llm/config.h) on Vulkan and
// prints the generated text (token ids for models without a tokenizer) as it
// comes, then prefill and decode speeds and the accountant's memory figures.
// `-p TEXT` goes through the model's tokenizer.
#include <cstdio>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/llm_session.h"
#include "cli/commands.h"
#include "llm/generator.h"
#include "llm/tokenizer.h"

namespace fennec::cli {
namespace {

struct GenerateArgs {
  std::string model;
  std::string tokens;  // comma-separated prompt ids; empty: BOS
  std::string prompt;  // text, through the model's tokenizer
  int count = 128;
  int context = 0;
  float temperature = 0.0f;
  int top_k = 40;
  float top_p = 0.95f;
  float min_p = 0.05f;
  float repetition_penalty = 1.0f;
  uint64_t seed = 0;
  bool json = false;
  bool stop_at_eos = true;
  int device = -1;
  std::string memory_budget;
  std::string kv_cache = "f16";
  std::vector<std::string> stop;
};

std::vector<int> parse_tokens(const std::string& text, int bos) {
  if (text.empty()) return {bos};
  std::vector<int> ids;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t used = 0;
    int id = -1;
    try {
      id = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || item.empty())
      throw std::runtime_error("--tokens expects comma-separated token ids, got '" + item + "'");
    ids.push_back(id);
  }
  return ids;
}

void run_generate(const GenerateArgs& args) {
  llm::DecoderOptions options;
  options.max_context = args.context;
  if (!llm::parse_kv_cache(args.kv_cache, options.kv_cache))
    throw std::runtime_error("--kv-cache: expected f16, f32 or int8, got '" + args.kv_cache + "'");
  const auto session = open_llm(args.model, args.device, args.memory_budget, options);
  const llm::LlmConfig& config = session->config;
  llm::Decoder* decoder = session->decoder.get();
  const llm::DecoderStats start = decoder->stats();
  if (!args.json) {
    std::fprintf(stderr, "memory budget %.1f MiB (%s); context %d tokens%s\n",
                 static_cast<double>(start.budget_bytes) / (1 << 20), start.budget_source.c_str(), start.context,
                 start.context_limited ? " (limited by the budget)" : "");
  }

  const llm::Vocabulary vocabulary =
      unwrap(llm::read_vocabulary(session->graph, [&](const char* key) { return session->file->metadata(key); }));
  std::unique_ptr<llm::Tokenizer> tokenizer;
  if (!vocabulary.tokens.empty()) tokenizer = std::make_unique<llm::Tokenizer>(unwrap(llm::Tokenizer::create(vocabulary)));
  if (!args.prompt.empty() && !args.tokens.empty()) throw std::runtime_error("give --prompt or --tokens, not both");
  if (!args.prompt.empty() && !tokenizer)
    throw std::runtime_error("the model carries no tokenizer (a llama2.c checkpoint): give the prompt as --tokens");
  // A text prompt starts with BOS when the model's tokenizer does (a
  // SentencePiece vocabulary, or the file says so).
  std::vector<int> prompt = !args.prompt.empty() && args.tokens.empty() && !config.add_bos
                                ? std::vector<int>{}
                                : parse_tokens(args.tokens, config.bos_token);
  if (!args.prompt.empty()) {
    const std::vector<int> ids = tokenizer->encode(args.prompt);
    prompt.insert(prompt.end(), ids.begin(), ids.end());
  }
  for (int id : prompt)
    if (id < 0 || id >= config.vocab_size)
      throw std::runtime_error("--tokens: id " + std::to_string(id) + " is outside the vocabulary of " +
                               std::to_string(config.vocab_size));
  llm::GenerateOptions generation;
  llm::SamplerOptions& sampling = generation.sampling;
  sampling.temperature = args.temperature;
  sampling.top_k = args.top_k;
  sampling.top_p = args.top_p;
  sampling.min_p = args.min_p;
  sampling.repetition_penalty = args.repetition_penalty;
  sampling.seed = args.seed;
  generation.max_tokens = args.count;
  generation.stop_at_eos = args.stop_at_eos;
  generation.stop_strings = args.stop;
  const llm::Generation g = unwrap(llm::generate(*decoder, tokenizer.get(), prompt, generation,
                                                 [&](int token, std::string_view text) {
                                                   if (args.json) return true;
                                                   if (tokenizer) std::fwrite(text.data(), 1, text.size(), stdout);
                                                   else std::printf("%d ", token);
                                                   std::fflush(stdout);
                                                   return true;
                                                 }));
  const std::vector<int>& generated = g.tokens;
  const std::string& stop = g.stop;
  const double prefill_tps = g.prefill_tokens_per_s(prompt.size());
  const double decode_tps = g.decode_tokens_per_s();
  const llm::DecoderStats s = decoder->stats();
  auto peak = [&](vulkan::MemoryCategory c) { return session->peak(c); };
  if (args.json) {
    nlohmann::json j = {{"model", args.model},
                        {"device", session->context->caps().name},
                        {"prompt_tokens", prompt},
                        {"tokens", generated},
                        {"text", g.text},
                        {"stop", stop},
                        {"prefill_tokens_per_s", prefill_tps},
                        {"decode_tokens_per_s", decode_tps},
                        {"context", s.context},
                        {"context_limited", s.context_limited},
                        {"kv_cache", llm::kv_cache_name(s.kv_cache)},
                        {"memory", llm_memory_json(*session)}};
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("\n");
  std::fprintf(stderr,
               "%zu prompt tokens at %.1f tokens/s, %d generated at %.1f tokens/s (stop: %s); peak device memory "
               "%.2f MiB (weights %.2f, kv cache %.2f, activations %.2f)\n",
               prompt.size(), prefill_tps, static_cast<int>(generated.size()), decode_tps, stop.c_str(),
               s.memory.peak_bytes / 1048576.0, peak(vulkan::MemoryCategory::kWeights) / 1048576.0,
               peak(vulkan::MemoryCategory::kKvCache) / 1048576.0, peak(vulkan::MemoryCategory::kArena) / 1048576.0);
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  CLI::App* cmd = app.add_subcommand("generate", "Generate tokens with an LLM (.fennec from a llama2.c checkpoint)");
  cmd->add_option("model", args->model, "Converted LLM (.fennec)")->required();
  cmd->add_option("-n,--count", args->count, "Tokens to generate (default 128)")->check(CLI::Range(1, 1 << 20));
  cmd->add_option("-p,--prompt", args->prompt, "Prompt text, after BOS (models with a tokenizer: GGUF)");
  cmd->add_option("--tokens", args->tokens, "Prompt as comma-separated token ids (default: BOS)");
  cmd->add_option("--context", args->context, "Longest context to plan for (default: the model's)")
      ->check(CLI::Range(1, 1 << 24));
  cmd->add_option("--temperature", args->temperature, "0 (default): greedy; higher samples more freely")
      ->check(CLI::Range(0.0f, 100.0f));
  cmd->add_option("--top-k", args->top_k, "Sample among the k most likely tokens (default 40; 0: all)")
      ->check(CLI::Range(0, 1 << 24));
  cmd->add_option("--top-p", args->top_p, "Nucleus sampling mass (default 0.95)")->check(CLI::Range(0.0f, 1.0f));
  cmd->add_option("--min-p", args->min_p, "Drop tokens below this share of the top one (default 0.05)")
      ->check(CLI::Range(0.0f, 1.0f));
  cmd->add_option("--repetition-penalty", args->repetition_penalty, "Penalty on recent tokens (default 1: none)")
      ->check(CLI::Range(0.0f, 10.0f));
  cmd->add_option("--seed", args->seed, "Sampling seed (default 0)");
  cmd->add_flag("!--ignore-eos", args->stop_at_eos, "Keep generating past the end-of-sequence token");
  cmd->add_option("--stop", args->stop, "Stop before this text (repeatable; models with a tokenizer)");
  cmd->add_option("--kv-cache", args->kv_cache, "Key/value cache precision: f16 (default), f32 or int8");
  cmd->add_flag("--json", args->json, "Print tokens, speeds and memory as JSON");
  cmd->add_option("--device", args->device, "Vulkan device index (see `fennec devices`)");
  cmd->add_option("--memory-budget", args->memory_budget,
                  "Device memory cap, e.g. 256M (default: the device's budget less a margin)");
  cmd->callback([args]() { run_generate(*args); });
}

}  // namespace fennec::cli
