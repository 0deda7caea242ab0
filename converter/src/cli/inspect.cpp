// `fennec inspect`: summary of a converted model.
#include <cstdio>
#include <map>

#include "cli/commands.h"
#include "fennec/fennec.hpp"

namespace fennec::cli {
namespace {

std::string describe(const fennec_tensor_t& t) {
  std::string s = std::string(t.name) + " [";
  for (int i = 0; i < t.rank; ++i) s += (i ? "," : "") + (t.dims[i] < 0 ? std::string("?") : std::to_string(t.dims[i]));
  return s + "]";
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  auto nodes = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("inspect", "Summarize a .fennec model");
  cmd->add_option("model", *path, "Converted model (.fennec)")->required();
  cmd->add_flag("--nodes", *nodes, "List every node");
  cmd->callback([path, nodes] {
    fennec::Model model(*path);
    const auto info = model.info();
    std::printf("model      %s\n", path->c_str());
    std::printf("producer   %s (schema %u)\n", info.producer, info.schema_version);
    if (const char* source = fennec_model_metadata(model.get(), "source")) std::printf("source     %s\n", source);
    std::printf("file       %.2f MiB (weights %.2f MiB, %llu parameters in %zu constants)\n",
                static_cast<double>(info.file_bytes) / (1 << 20), static_cast<double>(info.weight_bytes) / (1 << 20),
                static_cast<unsigned long long>(info.parameter_count), info.constant_count);
    for (const auto& t : model.inputs()) std::printf("input      %s\n", describe(t).c_str());
    for (const auto& t : model.outputs()) std::printf("output     %s\n", describe(t).c_str());
    std::map<std::string, int> by_type;
    const auto list = model.nodes();
    for (const auto& n : list) by_type[n.op_type]++;
    std::printf("nodes      %zu\n", list.size());
    for (const auto& [type, count] : by_type) std::printf("  %-22s %d\n", type.c_str(), count);
    if (*nodes)
      for (size_t i = 0; i < list.size(); ++i)
        std::printf("  #%-4zu %-20s %-32s %s\n", i, list[i].op_type, list[i].name, list[i].details);
  });
}

}  // namespace fennec::cli
