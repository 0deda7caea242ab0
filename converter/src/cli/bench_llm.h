// `fennec bench llm.fennec`: prefill and decode speed of an LLM file.
#pragma once

#include <string>

namespace fennec::cli {

struct LlmBenchArgs {
  std::string model;
  int prompt_tokens = 64;
  int gen_tokens = 32;
  int sequences = 3;
  int device = -1;
  std::string memory_budget;
  bool json = false;
};

// Whether `model` is an LLM file (metadata fennec.kind = llm).
bool is_llm_file(const std::string& model);

// Runs `sequences` sequences from position 0: a prompt of seeded random
// token ids in one prefill, then greedy decoding; prints the median tokens/s
// of each phase and the accountant's memory figures.
void bench_llm(const LlmBenchArgs& args);

}  // namespace fennec::cli
