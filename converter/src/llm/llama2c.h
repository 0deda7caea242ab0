// Imports a llama2.c checkpoint (.bin): a header of seven int32 (dim,
// hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len; a negative
// vocab_size means the classifier is stored separately) followed by float32
// weights in llama2.c's order. The result is the LLM form of llm/config.h:
// named constants of a graph without nodes, and the shape as metadata.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "llm/config.h"
#include "llm/tokenizer.h"
#include "passes/calibration.h"

namespace fennec::llm_import {

// Weights of one source type that the import re-quantized into another
// format, and the error that cost.
struct RequantizedType {
  std::string type;    // the source's, e.g. "Q4_K"
  std::string format;  // Fennec's, e.g. "int8 g32"
  int tensors = 0;
  uint64_t values = 0;
  passes::ErrorSums error;  // source values against their new form
  double nmse() const { return error.nmse(); }
};

struct ImportedLlm {
  graph::Graph graph;
  llm::LlmConfig config;
  llm::Vocabulary vocabulary;  // empty when the checkpoint carries none
  std::vector<RequantizedType> requantized;
  std::vector<std::string> notes;  // what the import left out, for the summary
  std::string chat_template;       // the model's (Jinja) chat template, if it carries one
};

// Whether `path` starts like a llama2.c checkpoint of a plausible shape.
bool looks_like_llama2c(const std::filesystem::path& path);

// Throws converter::ConvertError naming the file and what is wrong.
ImportedLlm import_llama2c(const std::filesystem::path& path);

}  // namespace fennec::llm_import
