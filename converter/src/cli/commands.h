// Subcommands of the `fennec` tool. Each add_* registers its subcommand and
// its callback on `app`; main() runs the parse.
#pragma once

#include <CLI/CLI.hpp>

namespace fennec::cli {

void add_convert_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_inspect_command(CLI::App& app);
void add_devices_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_generate_command(CLI::App& app);

}  // namespace fennec::cli
