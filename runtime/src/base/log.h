// The runtime's one named spdlog logger ("fennec").
#pragma once

#include <spdlog/spdlog.h>

namespace fennec {

// Returns the shared logger, created on first use (thread-safe).
spdlog::logger& logger();

// 0 = warnings and errors, 1 = info, 2 = debug, 3+ = trace.
void set_log_verbosity(int verbosity);

}  // namespace fennec

#define FENNEC_LOG_TRACE(...) ::fennec::logger().trace(__VA_ARGS__)
#define FENNEC_LOG_DEBUG(...) ::fennec::logger().debug(__VA_ARGS__)
#define FENNEC_LOG_INFO(...) ::fennec::logger().info(__VA_ARGS__)
#define FENNEC_LOG_WARN(...) ::fennec::logger().warn(__VA_ARGS__)
#define FENNEC_LOG_ERROR(...) ::fennec::logger().error(__VA_ARGS__)
