// Imports a llama2.c checkpoint (.bin): a header of seven int32 (dim,
// hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len; a negative
// vocab_size means the classifier is stored separately) followed by float32
// weights in llama2.c's order. The result is the LLM form of llm/config.h:
// named constants of a graph without nodes, and the shape as metadata.
#pragma once

#include <filesystem>

#include "graph/graph.h"
#include "llm/config.h"
#include "llm/tokenizer.h"

namespace fennec::llm_import {

struct ImportedLlm {
  graph::Graph graph;
  llm::LlmConfig config;
  llm::Vocabulary vocabulary;  // empty when the checkpoint carries none
};

// Whether `path` starts like a llama2.c checkpoint of a plausible shape.
bool looks_like_llama2c(const std::filesystem::path& path);

// Throws converter::ConvertError naming the file and what is wrong.
ImportedLlm import_llama2c(const std::filesystem::path& path);

}  // namespace fennec::llm_import
