// `fennec bench`: repeatable timing and memory figures, as text or JSON.
//
//   fennec bench model.fennec [--input-shape x=1x3x224x224] [--repeat 20] [--json]
//     runs a converted model on seeded random inputs;
//   fennec bench --linear 4096x4096 [--batch 1] [--schemes fp32,fp16,int8,int4,fp8,w8a8,w8a8-plain]
//     builds one linear layer (y = x W, W random) per weight scheme and runs
//     them side by side, round-robin, so that the ratios against fp32 come
//     from one run on one device.
// Latency is the device time from timestamps when the device has them (the
// wall time of a run otherwise), median over the repeats after the warm-up.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/bench_llm.h"
#include "cli/byte_size.h"
#include "cli/memory_report.h"
#include "fennec/fennec.hpp"
#include "ops/matmul.h"
#include "passes/quantization.h"
#include "writer/writer.h"

namespace fennec::cli {
namespace {

struct BenchArgs {
  std::string model;
  std::vector<std::string> input_shapes;  // NAME=D0xD1x...
  std::string linear;                     // KxN
  int64_t batch = 1;
  std::string schemes = "fp32,fp16,int8,int4,fp8";
  int repeat = 20;
  int warmup = 2;
  int device = -1;
  std::string memory_budget;
  bool json = false;
  int prompt_tokens = 64;  // LLM files
  int gen_tokens = 32;
};

std::vector<int64_t> parse_dims(const std::string& text, const std::string& what) {
  std::vector<int64_t> dims;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, 'x')) {
    size_t used = 0;
    long long v = -1;
    try {
      v = std::stoll(part, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != part.size() || v <= 0) throw std::runtime_error(what + ": '" + text + "' is not DxDx... of positive sizes");
    dims.push_back(v);
  }
  if (dims.empty()) throw std::runtime_error(what + ": empty shape");
  return dims;
}

// Seeded uniform inputs in [-1, 1) that stay alive for the session's runs.
struct Feeds {
  std::vector<std::vector<float>> data;
  std::vector<std::string> names;
  std::vector<fennec_tensor_t> tensors;
};

Feeds make_feeds(const fennec::Model& model, const std::map<std::string, std::vector<int64_t>>& shapes) {
  Feeds feeds;
  const auto inputs = model.inputs();
  feeds.data.reserve(inputs.size());
  feeds.names.reserve(inputs.size());
  std::mt19937 rng(1234);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (const auto& in : inputs) {
    std::vector<int64_t> dims(in.dims, in.dims + in.rank);
    if (auto it = shapes.find(in.name); it != shapes.end()) dims = it->second;
    for (int64_t d : dims)
      if (d < 0)
        throw std::runtime_error(std::string("input '") + in.name +
                                 "' has symbolic dimensions; give its shape with --input-shape " + in.name + "=...");
    // A FLOAT16 input (binary16 activations) takes float32 data too: the session converts it.
    if (in.dtype != FENNEC_FLOAT32 && in.dtype != FENNEC_FLOAT16)
      throw std::runtime_error(std::string("input '") + in.name + "' is not a float tensor; bench feeds random floats only");
    size_t count = 1;
    for (int64_t d : dims) count *= static_cast<size_t>(d);
    feeds.data.emplace_back(count);
    for (float& v : feeds.data.back()) v = dist(rng);
    feeds.names.emplace_back(in.name);
    fennec_tensor_t t{};
    t.name = feeds.names.back().c_str();
    t.dtype = FENNEC_FLOAT32;
    t.rank = static_cast<int32_t>(dims.size());
    for (size_t i = 0; i < dims.size(); ++i) t.dims[i] = dims[i];
    t.data = feeds.data.back().data();
    t.size_bytes = count * sizeof(float);
    feeds.tensors.push_back(t);
  }
  return feeds;
}

fennec_session_options_t session_options(const BenchArgs& args) {
  fennec_session_options_t options;
  fennec_session_options_init(&options);
  options.device_index = args.device;
  if (!args.memory_budget.empty()) options.memory_budget_bytes = parse_byte_size(args.memory_budget, "--memory-budget");
  return options;
}

// One benchmarked session: its timings and the stats after the last run.
struct Measured {
  std::string label;
  std::vector<double> ms;  // after warm-up
  fennec_session_stats_t stats{};
  uint64_t file_weight_bytes = 0;

  double median() const {
    std::vector<double> v = ms;
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  }
  double min() const { return ms.empty() ? 0.0 : *std::min_element(ms.begin(), ms.end()); }
};

void run_once(fennec::Session& session, const Feeds& feeds, Measured& m, bool record) {
  session.run(feeds.tensors);
  m.stats = session.stats();
  if (record) m.ms.push_back(m.stats.last_gpu_ms > 0.0 ? m.stats.last_gpu_ms : m.stats.last_run_ms);
}

void bench_model(const BenchArgs& args) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const std::string& spec : args.input_shapes) {
    const auto eq = spec.rfind('=');
    if (eq == std::string::npos) throw std::runtime_error("--input-shape expects NAME=D0xD1x..., got '" + spec + "'");
    shapes[spec.substr(0, eq)] = parse_dims(spec.substr(eq + 1), "--input-shape");
  }
  fennec::Model model(args.model);
  const Feeds feeds = make_feeds(model, shapes);
  const fennec_session_options_t options = session_options(args);
  fennec::Session session(model, &options);
  Measured m;
  m.label = args.model;
  for (int i = 0; i < args.warmup; ++i) run_once(session, feeds, m, false);
  for (int i = 0; i < args.repeat; ++i) {
    run_once(session, feeds, m, true);
    if (!args.json && isatty(fileno(stderr))) std::fprintf(stderr, "\r  run %d/%d", i + 1, args.repeat);
  }
  if (!args.json && isatty(fileno(stderr))) std::fprintf(stderr, "\r%20s\r", "");
  const bool gpu = m.stats.last_gpu_ms > 0.0;
  if (args.json) {
    nlohmann::json j = {{"model", args.model}, {"device", m.stats.device_name}, {"repeat", args.repeat},
                        {"warmup", args.warmup}, {"timer", gpu ? "device" : "wall"}, {"median_ms", m.median()},
                        {"min_ms", m.min()}, {"runs_ms", m.ms}, {"memory", memory_json(m.stats)}};
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("%s on %s: median %.3f ms, min %.3f ms (%s time, %d runs after %d warm-up)\n", args.model.c_str(),
              m.stats.device_name, m.median(), m.min(), gpu ? "device" : "wall", args.repeat, args.warmup);
  std::printf("peak device memory %.2f MiB (weights %.2f, arena %.2f, staging %.2f, other %.2f) of a %.1f MiB budget (%s)\n",
              m.stats.peak_device_bytes / 1048576.0, m.stats.peak_weight_bytes / 1048576.0,
              m.stats.peak_arena_bytes / 1048576.0, m.stats.peak_staging_bytes / 1048576.0,
              m.stats.peak_other_bytes / 1048576.0, m.stats.memory_budget_bytes / 1048576.0,
              m.stats.memory_budget_source);
  print_residency(m.stats);
}

// The linear layer y = x W with W [K, N], as a converter graph.
graph::Graph linear_graph(int64_t batch, int64_t k, int64_t n) {
  graph::Graph g;
  graph::TensorInfo x;
  x.name = "x";
  x.shape = {batch, k};
  x.dim_symbols = {"", ""};
  g.inputs.push_back(g.add_tensor(x));
  HostTensor w(DataType::FLOAT32, {k, n});
  std::mt19937 rng(99);
  // Uniform with the variance of a trained layer's default initialization.
  const float bound = 1.0f / std::sqrt(static_cast<float>(k));
  std::uniform_real_distribution<float> dist(-bound, bound);
  for (float& v : w.as<float>()) v = dist(rng);
  const int wi = g.add_constant("weight", w);
  graph::TensorInfo y;
  y.name = "y";
  y.shape = {batch, n};
  y.dim_symbols = {"", ""};
  const int yi = g.add_tensor(y);
  graph::Node node;
  node.name = "linear";
  node.op = std::make_unique<ops::MatMulOp>(ops::MatMulParams{});
  node.inputs = {g.inputs[0], wi};
  node.outputs = {yi};
  g.nodes.push_back(std::move(node));
  g.outputs.push_back(yi);
  return g;
}

void bench_linear(const BenchArgs& args) {
  const std::vector<int64_t> kn = parse_dims(args.linear, "--linear");
  if (kn.size() != 2) throw std::runtime_error("--linear expects KxN (input x output features), got '" + args.linear + "'");
  std::vector<std::string> schemes;
  std::stringstream ss(args.schemes);
  for (std::string s; std::getline(ss, s, ',');) schemes.push_back(s);
  if (schemes.empty()) throw std::runtime_error("--schemes is empty");

  const auto dir = std::filesystem::temp_directory_path() / ("fennec_bench_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  struct Entry {
    std::string scheme;
    std::unique_ptr<fennec::Model> model;
    std::unique_ptr<fennec::Session> session;
    Measured m;
  };
  std::vector<Entry> entries;
  const fennec_session_options_t options = session_options(args);
  try {
    for (const std::string& scheme : schemes) {
      graph::Graph g = linear_graph(args.batch, kn[0], kn[1]);
      passes::QuantizeOptions q;
      // w8a8-plain: w8a8 without the device's packed integer dot products.
      const bool plain = scheme == "w8a8-plain";
      if (scheme != "fp32") q.scheme = passes::parse_quant_scheme(plain ? "w8a8" : scheme);
      q.protect_ends = false;  // the one layer is the layer being measured
      q.activation_scales["linear"] = 1.0f / 127.0f;  // w8a8: the inputs lie in [-1, 1]
      passes::quantize_weights(g, q);
      const auto path = dir / (scheme + ".fennec");
      const writer::WriteStats written = writer::write_model_file(g, path, {});
      Entry e;
      e.scheme = scheme;
      e.m.label = scheme;
      e.m.file_weight_bytes = written.weights_bytes;
      e.model = std::make_unique<fennec::Model>(path.string());
      fennec_session_options_t scheme_options = options;
      scheme_options.disable_integer_dot_product = plain ? 1 : options.disable_integer_dot_product;
      e.session = std::make_unique<fennec::Session>(*e.model, &scheme_options);
      entries.push_back(std::move(e));
    }
  } catch (...) {
    std::filesystem::remove_all(dir);
    throw;
  }
  std::filesystem::remove_all(dir);  // the sessions hold the weights now

  std::vector<Feeds> feeds;
  for (const Entry& e : entries) feeds.push_back(make_feeds(*e.model, {}));
  // Round-robin: every round runs each scheme once, so that drift in the
  // machine's speed hits all of them alike.
  for (int round = 0; round < args.warmup + args.repeat; ++round)
    for (size_t i = 0; i < entries.size(); ++i) run_once(*entries[i].session, feeds[i], entries[i].m, round >= args.warmup);

  const Measured* base = nullptr;
  for (const Entry& e : entries)
    if (e.scheme == "fp32") base = &e.m;
  const bool gpu = !entries.empty() && entries[0].m.stats.last_gpu_ms > 0.0;
  const double activation_bytes = static_cast<double>(args.batch * (kn[0] + kn[1]) * 4);
  nlohmann::json results = nlohmann::json::array();
  if (!args.json)
    std::printf("linear %lldx%lld, batch %lld, on %s (%s time, median of %d rounds after %d warm-up):\n",
                static_cast<long long>(kn[0]), static_cast<long long>(kn[1]), static_cast<long long>(args.batch),
                entries.empty() ? "?" : entries[0].m.stats.device_name, gpu ? "device" : "wall", args.repeat,
                args.warmup);
  for (const Entry& e : entries) {
    const double bytes = static_cast<double>(e.m.file_weight_bytes) + activation_bytes;
    const double median = e.m.median();
    const double gbps = median > 0 ? bytes / (median * 1e-3) / 1e9 : 0.0;
    const double speedup = base && median > 0 ? base->median() / median : 0.0;
    const double bytes_ratio = base ? bytes / (static_cast<double>(base->file_weight_bytes) + activation_bytes) : 0.0;
    results.push_back({{"scheme", e.scheme}, {"median_ms", median}, {"min_ms", e.m.min()},
                       {"weight_bytes", e.m.file_weight_bytes}, {"bytes_per_run", bytes},
                       {"effective_gb_per_s", gbps}, {"speedup_vs_fp32", speedup},
                       {"bytes_vs_fp32", bytes_ratio}, {"memory", memory_json(e.m.stats)}});
    if (!args.json)
      std::printf("  %-5s median %9.3f ms  min %9.3f ms  weights %10llu B (%.3fx)  %7.2f GB/s  speedup vs fp32 %.2fx\n",
                  e.scheme.c_str(), median, e.m.min(), static_cast<unsigned long long>(e.m.file_weight_bytes),
                  bytes_ratio, gbps, speedup);
  }
  if (args.json) {
    nlohmann::json j = {{"benchmark", "linear"}, {"k", kn[0]}, {"n", kn[1]}, {"batch", args.batch},
                        {"device", entries.empty() ? "" : entries[0].m.stats.device_name},
                        {"timer", gpu ? "device" : "wall"}, {"repeat", args.repeat}, {"warmup", args.warmup},
                        {"results", results}};
    std::printf("%s\n", j.dump(2).c_str());
  }
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  auto* cmd = app.add_subcommand("bench", "Time a model, or quantized linear layers side by side");
  cmd->add_option("model", args->model, "Converted model (.fennec); omit with --linear");
  cmd->add_option("--input-shape", args->input_shapes, "Shape of an input with symbolic dims, NAME=1x3x224x224");
  cmd->add_option("--linear", args->linear, "Benchmark one KxN linear layer per scheme instead of a model");
  cmd->add_option("--batch", args->batch, "Rows of x for --linear (default 1)")->check(CLI::Range(1, 65536));
  cmd->add_option("--schemes", args->schemes, "Weight schemes for --linear (default fp32,fp16,int8,int4,fp8; also w8a8, and w8a8-plain: "
                  "w8a8 without integer dot products)");
  cmd->add_option("--repeat", args->repeat, "Timed runs (default 20; LLM files: sequences, default 3)")->check(CLI::Range(1, 100000));
  cmd->add_option("--warmup", args->warmup, "Untimed runs first (default 2)")->check(CLI::Range(0, 1000));
  cmd->add_option("--device", args->device, "Vulkan device index (see `fennec devices`)");
  cmd->add_option("--memory-budget", args->memory_budget, "Device memory cap, e.g. 256M");
  cmd->add_flag("--json", args->json, "Print the results as JSON");
  cmd->add_option("--prompt-tokens", args->prompt_tokens, "LLM files: prompt length to prefill (default 64)")
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--gen-tokens", args->gen_tokens, "LLM files: tokens to decode (default 32)")
      ->check(CLI::Range(1, 1 << 20));
  CLI::Option* repeat_option = cmd->get_option("--repeat");
  cmd->callback([args, repeat_option] {
    const bool repeat_given = repeat_option->count() > 0;
    if (args->linear.empty() == args->model.empty())
      throw std::runtime_error("bench: give a model file or --linear KxN (not both)");
    if (!args->linear.empty()) {
      bench_linear(*args);
    } else if (is_llm_file(args->model)) {
      LlmBenchArgs llm{args->model, args->prompt_tokens, args->gen_tokens, repeat_given ? args->repeat : 3,
                       args->device, args->memory_budget, args->json};
      bench_llm(llm);
    } else {
      bench_model(*args);
    }
  });
}

}  // namespace fennec::cli
