#include "cli/memory_report.h"

#include <cstdio>
#include <fstream>
#include <string>

namespace fennec::cli {

nlohmann::json memory_json(const fennec_session_stats_t& s) {
  return {{"peak_device_bytes", s.peak_device_bytes},
          {"peak_by_category",
           {{"weights", s.peak_weight_bytes}, {"arena", s.peak_arena_bytes}, {"staging", s.peak_staging_bytes},
            {"other", s.peak_other_bytes}}},
          {"weight_bytes", s.weight_bytes},
          {"streamed_weight_bytes", s.streamed_weight_bytes},
          {"imported_weight_bytes", s.imported_weight_bytes},
          {"weight_slot_bytes", s.weight_slot_bytes},
          {"weight_slots_staged", s.weight_slots_staged != 0},
          {"stream_groups", s.stream_groups},
          {"spills", s.spills},
          {"spill_copy_bytes", s.spill_copy_bytes},
          {"banded_nodes", s.banded_nodes},
          {"bands", s.bands},
          {"binary16_nodes", s.binary16_nodes},
          {"model_binary16_nodes", s.model_binary16_nodes},
          {"arena_bytes", s.arena_bytes},
          {"naive_arena_bytes", s.naive_arena_bytes},
          {"staging_bytes", s.staging_bytes},
          {"budget_bytes", s.memory_budget_bytes},
          {"budget_source", s.memory_budget_source}};
}

ResidentMemory resident_memory() {
  ResidentMemory memory;
  std::ifstream status("/proc/self/status");
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (status >> key) {
    if (key == "VmRSS:" && status >> kib >> unit) memory.current_bytes = kib * 1024;
    else if (key == "VmHWM:" && status >> kib >> unit) memory.peak_bytes = kib * 1024;
    else if (key == "RssAnon:" && status >> kib >> unit) memory.anonymous_bytes = kib * 1024;
  }
  return memory;
}

nlohmann::json resident_json(const ResidentMemory& before, const ResidentMemory& after) {
  return {{"before_session_bytes", before.current_bytes},
          {"before_session_anonymous_bytes", before.anonymous_bytes},
          {"after_bytes", after.current_bytes},
          {"after_anonymous_bytes", after.anonymous_bytes},
          {"peak_bytes", after.peak_bytes}};
}

void print_residency(const fennec_session_stats_t& s) {
  if (s.streamed_weight_bytes > 0)
    std::printf("weights streamed: %.2f MiB of them through two %.2f MiB slots (%s), %llu submissions per run\n",
                static_cast<double>(s.streamed_weight_bytes) / (1 << 20),
                static_cast<double>(s.weight_slot_bytes) / (1 << 20),
                s.weight_slots_staged ? "device memory, copied from staging" : "read in place",
                static_cast<unsigned long long>(s.stream_groups));
  if (s.spills > 0)
    std::printf("activations spilled: %llu idle stretches in host memory, %.2f MiB copied out and back per run\n",
                static_cast<unsigned long long>(s.spills), static_cast<double>(s.spill_copy_bytes) / (1 << 20));
  if (s.banded_nodes > 0)
    std::printf("nodes run in bands: %llu, in %llu submissions per run\n",
                static_cast<unsigned long long>(s.banded_nodes), static_cast<unsigned long long>(s.bands));
  if (s.model_binary16_nodes > 0)
    std::printf("activations: binary16 in %llu of the model's %llu FLOAT16 nodes%s\n",
                static_cast<unsigned long long>(s.binary16_nodes),
                static_cast<unsigned long long>(s.model_binary16_nodes),
                s.binary16_nodes == 0 ? " (the device has no 16-bit storage: float32 instead)" : "");
}

}  // namespace fennec::cli
