// Memory figures that `fennec run` and `fennec bench` print: the session's
// accountant, and the process's resident memory for comparison.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "fennec/fennec.h"

namespace fennec::cli {

// The accountant's figures as JSON (peak by category, arena, residency).
nlohmann::json memory_json(const fennec_session_stats_t& stats);

// The process's resident set now and its high-water mark (Linux
// /proc/self/status VmRSS and VmHWM); zeros where unavailable.
struct ResidentMemory {
  uint64_t current_bytes = 0;
  uint64_t peak_bytes = 0;
  uint64_t anonymous_bytes = 0;  // RssAnon: not file pages such as the mapped model
};
ResidentMemory resident_memory();

// Resident memory before the session and now, as JSON.
nlohmann::json resident_json(const ResidentMemory& before, const ResidentMemory& after);

// One line for text output: streamed weights, when any.
void print_residency(const fennec_session_stats_t& stats);

}  // namespace fennec::cli
