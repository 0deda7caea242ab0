// fennec_chat: talk to an LLM (.fennec from `fennec convert` of a GGUF or
// Hugging Face checkpoint with a tokenizer) in the terminal, through the
// public C++ wrapper.
//
//   fennec_chat model.fennec [--system TEXT] [--template NAME] [-n 256]
//               [--temperature 0.7] [--top-p 0.9] [--seed N] [--context N]
//               [--memory-budget BYTES] [--device N]
//
// Each line read from standard input is a user message; the reply streams to
// standard output as it is generated. The whole conversation is laid out by
// the model's chat template (or --template: chatml, llama3, llama2,
// llama2-sys, phi3, zephyr, gemma) and generated from; when it no longer
// fits the context, the oldest turns are dropped (the system message stays).
// "/reset" forgets the conversation, "/quit" or the end of input ends it.
// After each reply, one line of figures goes to standard error.
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "fennec/fennec.hpp"

namespace {

struct Options {
  std::string model, system, chat_template;
  int max_tokens = 256;
  float temperature = 0.7f, top_p = 0.9f;
  uint64_t seed = 0;
  int context = 0, device = -1;
  uint64_t memory_budget = 0;
};

void chat(const Options& o) {
  const fennec::Model model(o.model);
  fennec_llm_options_t llm_options;
  fennec_llm_options_init(&llm_options);
  llm_options.device_index = o.device;
  llm_options.memory_budget_bytes = o.memory_budget;
  llm_options.max_context = o.context;
  if (!o.chat_template.empty()) llm_options.chat_template = o.chat_template.c_str();
  fennec::Llm llm(model, &llm_options);
  llm.format_chat({}, false);  // fails now, not at the first message, without a chat layout
  llm.tokenize("", true);      // or without a tokenizer
  const auto context = static_cast<size_t>(llm.context());
  std::fprintf(stderr, "fennec_chat: context %zu tokens; /reset forgets, /quit ends\n", context);

  std::vector<fennec::Llm::Message> history;
  if (!o.system.empty()) history.push_back({"system", o.system});
  const size_t first = history.size();  // the system message always stays
  fennec_generate_options_t options;
  fennec_generate_options_init(&options);
  options.max_tokens = o.max_tokens;
  options.temperature = o.temperature;
  options.top_p = o.top_p;
  options.chat = 1;
  std::string line;
  for (int turn = 1;; ++turn) {
    std::fputs("> ", stdout);
    std::fflush(stdout);
    if (!std::getline(std::cin, line) || line == "/quit") break;
    if (line == "/reset") {
      history.resize(first);
      continue;
    }
    if (line.empty()) continue;
    history.push_back({"user", line});
    // Oldest turns out until the prompt (and a BOS) leaves room for a reply.
    std::string prompt = llm.format_chat(history);
    while (llm.tokenize(prompt, true).size() + static_cast<size_t>(o.max_tokens) + 1 > context &&
           history.size() > first + 1) {
      history.erase(history.begin() + static_cast<long>(first), history.begin() + static_cast<long>(first) + 2);
      prompt = llm.format_chat(history);
    }
    std::string reply;
    options.seed = o.seed + static_cast<uint64_t>(turn);
    const fennec_generation_stats_t stats = llm.generate(prompt, &options, [&](int32_t, std::string_view text) {
      reply += text;
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
      return true;
    });
    std::fputs("\n", stdout);
    std::fflush(stdout);
    std::fprintf(stderr, "[turn %d: %llu prompt tokens at %.1f tokens/s, %llu generated at %.1f tokens/s, stop: %s]\n",
                 turn, static_cast<unsigned long long>(stats.prompt_tokens), stats.prefill_tokens_per_s,
                 static_cast<unsigned long long>(stats.generated_tokens), stats.decode_tokens_per_s,
                 stats.stop_reason);
    history.push_back({"assistant", reply});
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Chat with an LLM file in the terminal"};
  app.add_option("model", o.model, "LLM file (.fennec) with a tokenizer")->required();
  app.add_option("--system", o.system, "system message");
  app.add_option("--template", o.chat_template, "chat layout instead of the model's own template");
  app.add_option("-n,--max-tokens", o.max_tokens, "longest reply in tokens");
  app.add_option("--temperature", o.temperature, "sampling temperature (0: greedy)");
  app.add_option("--top-p", o.top_p, "nucleus sampling threshold");
  app.add_option("--seed", o.seed, "sampling seed");
  app.add_option("--context", o.context, "positions to hold (0: the model's context)");
  app.add_option("--memory-budget", o.memory_budget, "device memory budget in bytes (0: the device's)");
  app.add_option("--device", o.device, "device index");
  CLI11_PARSE(app, argc, argv);
  try {
    chat(o);
  } catch (const fennec::Error& e) {
    std::fprintf(stderr, "fennec_chat: %s\n", e.what());
    return 1;
  }
  return 0;
}
