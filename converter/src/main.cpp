// `fennec`: convert, run, inspect, list devices and benchmark.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "fennec/fennec.h"

int main(int argc, char** argv) {
  CLI::App app{"Fennec: convert models and run them on Vulkan GPUs"};
  app.require_subcommand(1);
  int verbosity = 0;
  app.add_flag("-v,--verbose", verbosity, "More log output (repeat for debug/trace)");
  app.parse_complete_callback([&] { fennec_set_log_verbosity(verbosity); });
  fennec::cli::add_convert_command(app);
  fennec::cli::add_run_command(app);
  fennec::cli::add_inspect_command(app);
  fennec::cli::add_devices_command(app);
  fennec::cli::add_bench_command(app);
  fennec::cli::add_generate_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fennec: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
