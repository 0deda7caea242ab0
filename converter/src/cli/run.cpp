// `fennec run`: run a converted model on .npy inputs, write .npy outputs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/byte_size.h"
#include "cli/memory_report.h"
#include "cli/npy.h"
#include "fennec/fennec.hpp"

namespace fennec::cli {
namespace {

struct RunArgs {
  std::string model;
  std::vector<std::string> inputs;
  std::string output_dir;
  bool json = false;
  int device = -1;
  int repeat = 1;
  bool validation = false;
  bool profile = false;
  std::string memory_budget;  // empty: the device default
};

std::string shape_string(const fennec_tensor_t& t) {
  std::string s = "[";
  for (int i = 0; i < t.rank; ++i) s += (i ? "," : "") + (t.dims[i] < 0 ? std::string("?") : std::to_string(t.dims[i]));
  return s + "]";
}

// Device time per node and per op type from the last run, slowest first.
void print_profile(const fennec::Model& model, const fennec::Session& session) {
  const auto nodes = model.nodes();
  std::vector<std::pair<double, size_t>> times;
  std::map<std::string, double> by_type;
  double total = 0.0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    double ms = 0.0;
    fennec::check(fennec_session_node_time(session.get(), i, &ms));
    times.emplace_back(ms, i);
    by_type[nodes[i].op_type] += ms;
    total += ms;
  }
  std::sort(times.rbegin(), times.rend());
  std::fprintf(stderr, "profile: %.2f ms over %zu nodes\n", total, nodes.size());
  for (const auto& [type, ms] : by_type)
    std::fprintf(stderr, "  %-20s %10.2f ms %5.1f%%\n", type.c_str(), ms, total > 0 ? 100.0 * ms / total : 0.0);
  for (size_t k = 0; k < std::min<size_t>(15, times.size()); ++k) {
    const auto& n = nodes[times[k].second];
    std::fprintf(stderr, "  #%-4zu %9.2f ms  %-14s %-28s %s\n", times[k].second, times[k].first, n.op_type, n.name,
                 n.details);
  }
}

void run(const RunArgs& args) {
  fennec::Model model(args.model);
  const auto model_inputs = model.inputs();
  std::map<std::string, NpyArray> arrays;
  std::vector<std::string> names;
  for (const std::string& spec : args.inputs) {
    const auto eq = spec.find('=');
    std::string name, path;
    if (eq == std::string::npos) {
      if (model_inputs.size() != 1)
        throw std::runtime_error("--input '" + spec + "' needs the form name=file.npy (the model has " +
                                 std::to_string(model_inputs.size()) + " inputs)");
      name = model_inputs[0].name;
      path = spec;
    } else {
      name = spec.substr(0, eq);
      path = spec.substr(eq + 1);
    }
    arrays[name] = read_npy(path);
  }
  std::vector<fennec_tensor_t> tensors;
  for (const auto& [name, array] : arrays) {
    fennec_tensor_t t{};
    t.name = name.c_str();
    t.dtype = array.dtype;
    t.rank = static_cast<int32_t>(array.shape.size());
    if (t.rank > FENNEC_MAX_RANK) throw std::runtime_error("input '" + name + "' has too many dimensions");
    for (int i = 0; i < t.rank; ++i) t.dims[i] = array.shape[static_cast<size_t>(i)];
    t.data = const_cast<std::byte*>(array.data.data());
    t.size_bytes = array.data.size();
    tensors.push_back(t);
  }

  fennec_session_options_t options;
  fennec_session_options_init(&options);
  options.device_index = args.device;
  options.enable_validation = args.validation;
  options.enable_profiling = args.profile;
  if (!args.memory_budget.empty()) options.memory_budget_bytes = parse_byte_size(args.memory_budget, "--memory-budget");
  const ResidentMemory before = resident_memory();
  fennec::Session session(model, &options);
  if (!args.json) {
    const auto start = session.stats();
    std::printf("memory budget %.1f MiB (%s)\n", static_cast<double>(start.memory_budget_bytes) / (1 << 20),
                start.memory_budget_source);
  }

  std::vector<double> latencies;
  std::vector<double> gpu;
  for (int r = 0; r < std::max(1, args.repeat); ++r) {
    session.run(tensors);
    const auto stats = session.stats();
    latencies.push_back(stats.last_run_ms);
    gpu.push_back(stats.last_gpu_ms);
  }
  const auto stats = session.stats();
  // The first run also plans memory and records the command buffer.
  double steady = 0.0, steady_gpu = 0.0;
  const size_t from = latencies.size() > 1 ? 1 : 0;
  for (size_t i = from; i < latencies.size(); ++i) {
    steady += latencies[i];
    steady_gpu += gpu[i];
  }
  steady /= static_cast<double>(latencies.size() - from);
  steady_gpu /= static_cast<double>(latencies.size() - from);

  if (!args.output_dir.empty()) std::filesystem::create_directories(args.output_dir);
  nlohmann::json outputs = nlohmann::json::array();
  for (size_t i = 0; i < session.output_count(); ++i) {
    fennec_tensor_t out = session.output(i);
    std::string file;
    if (!args.output_dir.empty()) {
      file = (std::filesystem::path(args.output_dir) / npy_file_name(out.name)).string();
      write_npy(file, out.dtype, out.dims, out.rank, out.data, out.size_bytes);
    }
    std::vector<int64_t> dims(out.dims, out.dims + out.rank);
    outputs.push_back({{"name", out.name}, {"shape", dims}, {"file", file}});
    if (!args.json) std::printf("output %s %s%s%s\n", out.name, shape_string(out).c_str(), file.empty() ? "" : " -> ", file.c_str());
  }
  if (args.json) {
    nlohmann::json j = {{"model", args.model},
                        {"device", stats.device_name},
                        {"runs", latencies.size()},
                        {"first_run_ms", latencies.front()},
                        {"latency_ms", steady},
                        {"gpu_ms", steady_gpu},
                        {"memory", memory_json(stats)},
                        {"resident", resident_json(before, resident_memory())},
                        {"validation_errors", stats.validation_errors},
                        {"outputs", outputs}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("device %s: latency %.2f ms (first run %.2f ms, gpu %.2f ms), peak device memory %.2f MiB "
                "(weights %.2f MiB, arena %.2f MiB vs %.2f MiB unplanned)\n",
                stats.device_name, steady, latencies.front(), steady_gpu,
                static_cast<double>(stats.peak_device_bytes) / (1 << 20),
                static_cast<double>(stats.weight_bytes) / (1 << 20),
                static_cast<double>(stats.arena_bytes) / (1 << 20),
                static_cast<double>(stats.naive_arena_bytes) / (1 << 20));
    print_residency(stats);
  }
  if (args.profile) print_profile(model, session);
  if (stats.validation_errors)
    throw std::runtime_error("the Vulkan validation layer reported " + std::to_string(stats.validation_errors) +
                             " error(s); see the log above");
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand("run", "Run a .fennec model on .npy inputs");
  cmd->add_option("model", args->model, "Converted model (.fennec)")->required();
  cmd->add_option("-i,--input", args->inputs, "Input as name=file.npy (repeatable)")->required();
  cmd->add_option("-o,--output-dir", args->output_dir, "Write each output as <name>.npy here");
  cmd->add_flag("--json", args->json, "Print latency, memory and outputs as JSON");
  cmd->add_option("--device", args->device, "Vulkan device index (see `fennec devices`)");
  cmd->add_option("--repeat", args->repeat, "Run this many times and report the mean of runs after the first")
      ->check(CLI::Range(1, 100000));
  cmd->add_flag("--validation", args->validation, "Enable the Vulkan validation layer");
  cmd->add_flag("--profile", args->profile, "Time every node and print the slowest (to stderr)");
  cmd->add_option("--memory-budget", args->memory_budget,
                  "Device memory cap, e.g. 256M or 1.5G (default: the device's budget less a margin)");
  cmd->callback([args] { run(*args); });
}

}  // namespace fennec::cli
