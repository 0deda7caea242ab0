// An LLM file opened by `fennec generate` and `fennec bench`: the mapped
// file, its shape and weights, a Vulkan context and a decoder on it.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "llm/decoder.h"
#include "model/model_file.h"
#include "vulkan/context.h"

namespace fennec::cli {

// The value, or a std::runtime_error with the status message (main() prints
// it as "fennec: error: ...").
template <typename T>
T unwrap(Result<T> result) {
  if (!result.ok()) throw std::runtime_error(result.status().message());
  return std::move(result).value();
}

// Members in the order they must outlive each other (the decoder uses the
// graph and the context; the graph points into the file).
struct LlmSession {
  std::unique_ptr<model::ModelFile> file;
  llm::LlmConfig config;
  graph::Graph graph;
  std::unique_ptr<vulkan::Context> context;
  std::unique_ptr<llm::Decoder> decoder;
  uint64_t peak(vulkan::MemoryCategory category) const {
    return decoder->stats().memory.peak_by_category[static_cast<size_t>(category)];
  }
};

// `memory_budget`: empty for the device default, else a size such as 256M
// (it overrides options.memory_budget_bytes).
std::unique_ptr<LlmSession> open_llm(const std::string& path, int device, const std::string& memory_budget,
                                     llm::DecoderOptions options);

// The decoder's memory figures as JSON: peak by category, imported weights,
// the budget and where it came from.
nlohmann::json llm_memory_json(const LlmSession& session);

}  // namespace fennec::cli
