// Compute pipelines built from the embedded SPIR-V, one per (shader, binding
// count), created on first use and kept for the owner's lifetime. The
// Context owns one set that all its sessions share (Context::pipelines()).
#pragma once

#include <map>
#include <mutex>
#include <utility>

#include <vulkan/vulkan.h>

#include "base/status.h"
#include "fennec_shaders.h"
#include "vulkan/context.h"

namespace fennec::vulkan {

struct Pipeline {
  VkShaderModule module = VK_NULL_HANDLE;
  VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  VkPipeline pipeline = VK_NULL_HANDLE;
};

class Pipelines {
 public:
  explicit Pipelines(const Context& context);
  ~Pipelines();
  Pipelines(const Pipelines&) = delete;
  Pipelines& operator=(const Pipelines&) = delete;

  // The pipeline for `shader` with storage buffers at bindings 0..bindings-1,
  // 128 bytes of push constants and the workgroup size as spec constant 0.
  // Thread-safe; the pointer stays valid for the owner's lifetime.
  Result<const Pipeline*> get(ShaderId shader, uint32_t bindings);

 private:
  const Context& context_;
  VkPipelineCache cache_ = VK_NULL_HANDLE;
  std::mutex mutex_;
  std::map<std::pair<ShaderId, uint32_t>, Pipeline> pipelines_;
};

}  // namespace fennec::vulkan
