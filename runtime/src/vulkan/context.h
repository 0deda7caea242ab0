// The Vulkan instance, the chosen physical device, its logical device and
// compute queue, and what the device can do.
//
// A Context is created once and shared by the sessions that run on it; it
// must outlive them. Its methods are not thread-safe: callers serialize
// queue submission.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <vulkan/vulkan.h>

#include "base/status.h"

namespace fennec::vulkan {

struct DeviceCaps {
  std::string name;
  VkPhysicalDeviceType type = VK_PHYSICAL_DEVICE_TYPE_OTHER;
  uint32_t vendor_id = 0;
  uint32_t device_id = 0;
  uint32_t api_version = 0;
  std::string driver_info;
  uint64_t device_local_bytes = 0;
  uint32_t subgroup_size = 0;
  // Subgroup arithmetic (subgroupAdd) in compute shaders (Vulkan 1.1); off
  // with FENNEC_SUBGROUP_KERNELS=0.
  bool subgroup_arithmetic = false;
  // A CPU device (VK_PHYSICAL_DEVICE_TYPE_CPU, such as lavapipe): kernels
  // prefer few invocations with long loops; off with FENNEC_CPU_KERNELS=0.
  bool cpu_kernels = false;
  uint64_t max_storage_buffer_range = 0;
  uint64_t max_memory_allocation_size = 0;
  uint32_t max_shared_memory_bytes = 0;
  uint64_t min_storage_buffer_offset_alignment = 0;
  uint32_t max_workgroup_count_x = 0;
  float timestamp_period_ns = 0.0f;
  bool timestamps = false;
  bool shader_float16 = false;
  // storageBuffer16BitAccess; after Context::create, whether the context
  // enabled it (off with FENNEC_FP16_STORAGE=0).
  bool storage_16bit = false;
  bool storage_8bit = false;
  // VK_KHR_shader_integer_dot_product with the shaderIntegerDotProduct
  // feature; after Context::create, whether the
  // context enabled it.
  bool integer_dot_product = false;
  bool memory_budget_ext = false;
  // VK_EXT_external_memory_host; after Context::create, whether the context
  // enabled it.
  bool external_memory_host = false;
  uint64_t min_imported_host_pointer_alignment = 0;
  // After Context::create: whether device-local buffers are mapped where
  // their memory is host-visible (false under ContextOptions::map_device_memory
  // = false, so that the runtime copies as it does on a discrete GPU).
  bool map_device_memory = true;
  // What VK_EXT_memory_budget says this process may use of the largest
  // device-local heap (0 when the extension is missing).
  uint64_t device_budget_bytes = 0;
};

struct ContextOptions {
  int device_index = -1;         // -1: choose (discrete GPU first, CPU driver last)
  bool enable_validation = false;  // also enabled by FENNEC_VALIDATION=1
  // Use VK_KHR_shader_integer_dot_product (w8a8 kernels) when the device has
  // it; false, or FENNEC_INTEGER_DOT=0, keeps the plain integer path.
  bool integer_dot_product = true;
  // Import host memory (VK_EXT_external_memory_host) so that weights on
  // unified-memory devices are used where the model file is mapped instead
  // of copied; false, or FENNEC_IMPORT_HOST_MEMORY=0, always copies.
  bool import_host_memory = true;
  // Map device-local memory where it is host-visible (unified memory: host
  // copies go straight into it). false, or FENNEC_DISCRETE_MEMORY=1, leaves
  // it unmapped, so inputs, outputs, spills and weights move through staging
  // buffers and transfer commands exactly as on a discrete GPU: the discrete
  // path, testable on lavapipe. Implies import_host_memory = false.
  bool map_device_memory = true;
};

// Probes every physical device without creating a logical device.
// `default_index` receives the index that ContextOptions{-1} would choose.
Result<std::vector<DeviceCaps>> enumerate_devices(int* default_index);

// Number of validation-layer messages of error severity seen by any Context
// in this process (0 when validation is off).
uint64_t validation_error_count();

class Pipelines;

class Context {
 public:
  static Result<std::unique_ptr<Context>> create(const ContextOptions& options);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  VkDevice device() const { return device_; }
  VkPhysicalDevice physical_device() const { return physical_device_; }
  VkQueue queue() const { return queue_; }
  uint32_t queue_family() const { return queue_family_; }
  const DeviceCaps& caps() const { return caps_; }
  const VkPhysicalDeviceMemoryProperties& memory_properties() const { return memory_properties_; }

  // Records with `record` into a one-time command buffer, submits it and
  // waits for completion.
  template <typename Fn>
  Status submit_and_wait(Fn&& record);
  // Submits a recorded command buffer and waits for completion.
  Status submit_and_wait(VkCommandBuffer command_buffer);

  VkCommandPool command_pool() const { return command_pool_; }

  // The compute pipelines of this device, shared by every session on it:
  // a second session of a model compiles nothing.
  Pipelines& pipelines();

 private:
  Context() = default;
  Status init(const ContextOptions& options);

  VkInstance instance_ = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
  VkPhysicalDevice physical_device_ = VK_NULL_HANDLE;
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  uint32_t queue_family_ = 0;
  VkCommandPool command_pool_ = VK_NULL_HANDLE;
  VkFence fence_ = VK_NULL_HANDLE;
  std::unique_ptr<Pipelines> pipelines_;
  std::once_flag pipelines_once_;
  DeviceCaps caps_;
  VkPhysicalDeviceMemoryProperties memory_properties_{};
};

template <typename Fn>
Status Context::submit_and_wait(Fn&& record) {
  VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  alloc.commandPool = command_pool_;
  alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  alloc.commandBufferCount = 1;
  VkCommandBuffer cb = VK_NULL_HANDLE;
  VkResult r = vkAllocateCommandBuffers(device_, &alloc, &cb);
  if (r != VK_SUCCESS) return make_error(StatusCode::kDeviceError, "vkAllocateCommandBuffers failed ({})", static_cast<int>(r));
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  vkBeginCommandBuffer(cb, &begin);
  record(cb);
  vkEndCommandBuffer(cb);
  Status status = submit_and_wait(cb);
  vkFreeCommandBuffers(device_, command_pool_, 1, &cb);
  return status;
}

}  // namespace fennec::vulkan
