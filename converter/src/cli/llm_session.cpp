#include "cli/llm_session.h"

#include "cli/byte_size.h"

namespace fennec::cli {

std::unique_ptr<LlmSession> open_llm(const std::string& path, int device, const std::string& memory_budget,
                                     llm::DecoderOptions options) {
  auto s = std::make_unique<LlmSession>();
  s->file = unwrap(model::ModelFile::open(path));
  s->config = unwrap(llm::from_metadata([&](const char* key) { return s->file->metadata(key); }));
  s->graph = unwrap(s->file->to_graph());
  vulkan::ContextOptions context_options;
  context_options.device_index = device;
  s->context = unwrap(vulkan::Context::create(context_options));
  if (!memory_budget.empty()) options.memory_budget_bytes = parse_byte_size(memory_budget, "--memory-budget");
  s->decoder = unwrap(llm::Decoder::create(*s->context, s->graph, s->config, options));
  return s;
}

nlohmann::json llm_memory_json(const LlmSession& session) {
  const llm::DecoderStats s = session.decoder->stats();
  using vulkan::MemoryCategory;
  return {{"peak_device_bytes", s.memory.peak_bytes},
          {"peak_by_category",
           {{"weights", session.peak(MemoryCategory::kWeights)},
            {"kv_cache", session.peak(MemoryCategory::kKvCache)},
            {"activations", session.peak(MemoryCategory::kArena)},
            {"staging", session.peak(MemoryCategory::kStaging)},
            {"other", session.peak(MemoryCategory::kOther)}}},
          {"imported_weight_bytes", s.imported_weight_bytes},
          {"budget_bytes", s.budget_bytes},
          {"budget_source", s.budget_source}};
}

}  // namespace fennec::cli
