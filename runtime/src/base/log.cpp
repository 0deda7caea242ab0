#include "base/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace fennec {

spdlog::logger& logger() {
  // Logs go to stderr so that stdout stays clean for results and --json.
  static std::shared_ptr<spdlog::logger> instance = [] {
    auto existing = spdlog::get("fennec");
    if (existing) return existing;
    auto created = spdlog::stderr_color_mt("fennec");
    created->set_pattern("[%n %^%l%$] %v");
    created->set_level(spdlog::level::warn);
    return created;
  }();
  return *instance;
}

void set_log_verbosity(int verbosity) {
  spdlog::level::level_enum level = spdlog::level::warn;
  if (verbosity == 1) level = spdlog::level::info;
  if (verbosity == 2) level = spdlog::level::debug;
  if (verbosity >= 3) level = spdlog::level::trace;
  logger().set_level(level);
}

}  // namespace fennec
