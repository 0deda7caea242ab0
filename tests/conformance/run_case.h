// Runs one ONNX node test through the real Fennec path: import with the
// test's inputs (non-FLOAT inputs fixed as constants, FLOAT input shapes made
// static) -> converter passes -> .fennec file -> ModelFile load -> Vulkan
// Session -> outputs compared with the reference outputs.
#pragma once

#include <filesystem>
#include <string>

#include "vulkan/context.h"

namespace fennec::conformance {

enum class Outcome { kPassed, kRejected, kFailed };

const char* outcome_name(Outcome outcome);

struct CaseResult {
  Outcome outcome = Outcome::kFailed;
  std::string reason;  // one line; empty when passed
};

// Runs the test in `test_dir`, writing its .fennec file into `scratch_dir`.
// Never throws: every error becomes a rejected or failed result.
CaseResult run_case(vulkan::Context& context, const std::filesystem::path& test_dir,
                    const std::filesystem::path& scratch_dir);

}  // namespace fennec::conformance
