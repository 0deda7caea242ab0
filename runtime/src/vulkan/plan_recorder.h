// The Recorder that records a session plan's dispatches into a command
// buffer, with descriptor sets from pools that the plan owns.
#pragma once

#include <vector>

#include "vulkan/context.h"
#include "vulkan/pipelines.h"
#include "vulkan/recorder.h"

namespace fennec::vulkan {

// Makes every earlier shader and transfer write visible to later shader and
// transfer access.
void full_barrier(VkCommandBuffer cb);
// Device writes made visible to the host once the submission's fence signals.
void host_barrier(VkCommandBuffer cb);

class PlanRecorder final : public Recorder {
 public:
  PlanRecorder(const Context& context, Pipelines& pipelines, std::vector<VkDescriptorPool>& pools,
               BufferSlice dummy)
      : context_(context), pipelines_(pipelines), pools_(pools), dummy_(dummy) {}

  // Where the next dispatches go.
  void set_command_buffer(VkCommandBuffer cb) { cb_ = cb; }
  // Whether the next dispatches belong to a node with binary16 activations:
  // each shader is then replaced by its _a16 variant (ShaderBlob::act16).
  void set_activation16(bool on) { act16_ = on; }

  bool integer_dot_product() const override { return context_.caps().integer_dot_product; }
  bool subgroup_arithmetic() const override { return context_.caps().subgroup_arithmetic; }
  bool cpu_device() const override { return context_.caps().cpu_kernels; }
  using Recorder::dispatch;
  Status dispatch(ShaderId shader, std::span<const BufferSlice> buffers,
                  std::span<const std::byte> push_constants, uint64_t invocations) override;
  BufferSlice dummy_buffer() const override { return dummy_; }
  size_t dispatches() const { return dispatches_; }

 private:
  Result<VkDescriptorSet> allocate_set(VkDescriptorSetLayout layout);

  const Context& context_;
  Pipelines& pipelines_;
  VkCommandBuffer cb_ = VK_NULL_HANDLE;
  std::vector<VkDescriptorPool>& pools_;
  BufferSlice dummy_;
  uint32_t sets_in_pool_ = 0;
  size_t dispatches_ = 0;
  bool act16_ = false;
};

}  // namespace fennec::vulkan
