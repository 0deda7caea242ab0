// `fennec devices`: the Vulkan devices and what they support.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "fennec/fennec.hpp"

namespace fennec::cli {
namespace {

const char* type_name(fennec_device_type_t type) {
  switch (type) {
    case FENNEC_DEVICE_INTEGRATED_GPU: return "integrated GPU";
    case FENNEC_DEVICE_DISCRETE_GPU: return "discrete GPU";
    case FENNEC_DEVICE_VIRTUAL_GPU: return "virtual GPU";
    case FENNEC_DEVICE_CPU: return "CPU";
    default: return "other";
  }
}

}  // namespace

void add_devices_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("devices", "List Vulkan devices and their features");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print JSON");
  cmd->callback([json] {
    const auto list = fennec::devices();
    nlohmann::json out = nlohmann::json::array();
    for (size_t i = 0; i < list.size(); ++i) {
      const auto& d = list[i];
      const unsigned api = d.api_version;
      if (*json) {
        out.push_back({{"index", i}, {"name", d.name}, {"type", type_name(d.type)},
                       {"vendor_id", d.vendor_id}, {"device_id", d.device_id},
                       {"api_version", std::to_string(api >> 22 & 0x7f) + "." + std::to_string(api >> 12 & 0x3ff) + "." + std::to_string(api & 0xfff)},
                       {"driver", d.driver_info}, {"device_local_bytes", d.device_local_bytes},
                       {"subgroup_size", d.subgroup_size},
                       {"max_storage_buffer_range", d.max_storage_buffer_range},
                       {"max_shared_memory_bytes", d.max_shared_memory_bytes},
                       {"shader_float16", d.shader_float16 != 0}, {"storage_16bit", d.storage_16bit != 0},
                       {"storage_8bit", d.storage_8bit != 0},
                       {"integer_dot_product", d.integer_dot_product != 0},
                       {"memory_budget_ext", d.memory_budget_ext != 0}, {"default", d.is_default != 0}});
        continue;
      }
      std::printf("[%zu]%s %s (%s, vendor 0x%04x device 0x%04x)\n", i, d.is_default ? "*" : " ", d.name,
                  type_name(d.type), d.vendor_id, d.device_id);
      std::printf("     Vulkan %u.%u.%u, driver %s\n", api >> 22 & 0x7f, api >> 12 & 0x3ff, api & 0xfff,
                  d.driver_info);
      std::printf("     device-local memory %.1f GiB, subgroup %u, max storage buffer %.0f MiB, shared memory %u KiB\n",
                  static_cast<double>(d.device_local_bytes) / (1u << 30), d.subgroup_size,
                  static_cast<double>(d.max_storage_buffer_range) / (1u << 20), d.max_shared_memory_bytes / 1024);
      std::printf("     fp16 arithmetic %s, 16-bit storage %s, 8-bit storage %s, integer dot product %s, memory budget %s\n",
                  d.shader_float16 ? "yes" : "no", d.storage_16bit ? "yes" : "no", d.storage_8bit ? "yes" : "no",
                  d.integer_dot_product ? "yes" : "no", d.memory_budget_ext ? "yes" : "no");
    }
    if (*json) std::printf("%s\n", out.dump(2).c_str());
    else std::printf("(* = default device)\n");
  });
}

}  // namespace fennec::cli
