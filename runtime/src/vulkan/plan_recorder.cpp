#include "vulkan/plan_recorder.h"

#include <algorithm>

#include "base/align.h"
#include "vulkan/vk_check.h"

namespace fennec::vulkan {
namespace {

constexpr uint32_t kSetsPerPool = 256;
constexpr uint32_t kMaxBindings = 16;

}  // namespace

void full_barrier(VkCommandBuffer cb) {
  VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  barrier.dstAccessMask =
      VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT;
  vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                       VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1,
                       &barrier, 0, nullptr, 0, nullptr);
}

void host_barrier(VkCommandBuffer cb) {
  VkMemoryBarrier to_host{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  to_host.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_SHADER_WRITE_BIT;
  to_host.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &to_host, 0, nullptr,
                       0, nullptr);
}

Status PlanRecorder::dispatch(ShaderId shader, std::span<const BufferSlice> buffers,
                              std::span<const std::byte> push_constants, uint64_t invocations) {
  if (invocations == 0) return ok_status();
  if (act16_) {
    const ShaderId variant = shader_blob(shader).act16;
    if (variant == ShaderId::kCount)
      return make_error(StatusCode::kUnsupported, "shader {} has no variant for binary16 activations",
                        shader_blob(shader).name);
    shader = variant;
  }
  if (buffers.size() > kMaxBindings)
    return make_error(StatusCode::kInternal, "too many bindings ({})", buffers.size());
  const uint32_t binding_count = static_cast<uint32_t>(buffers.size());
  FENNEC_ASSIGN_OR_RETURN(const Pipeline* pipeline, pipelines_.get(shader, binding_count));
  FENNEC_ASSIGN_OR_RETURN(VkDescriptorSet set, allocate_set(pipeline->set_layout));
  std::vector<VkDescriptorBufferInfo> infos(binding_count);
  std::vector<VkWriteDescriptorSet> writes(binding_count);
  const uint64_t max_range = context_.caps().max_storage_buffer_range;
  for (uint32_t i = 0; i < binding_count; ++i) {
    const BufferSlice& slice = buffers[i].valid() ? buffers[i] : dummy_;
    if (slice.size > max_range)
      return make_error(StatusCode::kUnsupported,
                        "shader {} binding {} needs {} bytes, above the device's "
                        "maxStorageBufferRange of {} bytes; use a smaller input",
                        shader_blob(shader).name, i, slice.size, max_range);
    infos[i] = {slice.buffer, slice.offset, std::max<VkDeviceSize>(slice.size, 4)};
    writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    writes[i].dstSet = set;
    writes[i].dstBinding = i;
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[i].pBufferInfo = &infos[i];
  }
  vkUpdateDescriptorSets(context_.device(), binding_count, writes.data(), 0, nullptr);
  vkCmdBindPipeline(cb_, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline->pipeline);
  vkCmdBindDescriptorSets(cb_, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline->layout, 0, 1, &set, 0,
                          nullptr);
  if (!push_constants.empty())
    vkCmdPushConstants(cb_, pipeline->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
                       static_cast<uint32_t>(push_constants.size()), push_constants.data());
  const uint64_t groups = ceil_div(invocations, kDefaultWorkgroupSize);
  const uint64_t max_x = std::min<uint64_t>(context_.caps().max_workgroup_count_x, 65535);
  const uint64_t gx = std::min(groups, max_x);
  const uint64_t gy = ceil_div(groups, gx);
  if (gy > 65535)
    return make_error(StatusCode::kUnsupported, "dispatch of {} invocations is too large",
                      invocations);
  vkCmdDispatch(cb_, static_cast<uint32_t>(gx), static_cast<uint32_t>(gy), 1);
  full_barrier(cb_);
  ++dispatches_;
  return ok_status();
}

Result<VkDescriptorSet> PlanRecorder::allocate_set(VkDescriptorSetLayout layout) {
  if (pools_.empty() || sets_in_pool_ == kSetsPerPool) {
    VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kSetsPerPool * kMaxBindings};
    VkDescriptorPoolCreateInfo info{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    info.maxSets = kSetsPerPool;
    info.poolSizeCount = 1;
    info.pPoolSizes = &size;
    VkDescriptorPool pool = VK_NULL_HANDLE;
    FENNEC_VK_RETURN_IF_ERROR(vkCreateDescriptorPool(context_.device(), &info, nullptr, &pool));
    pools_.push_back(pool);
    sets_in_pool_ = 0;
  }
  VkDescriptorSetAllocateInfo alloc{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  alloc.descriptorPool = pools_.back();
  alloc.descriptorSetCount = 1;
  alloc.pSetLayouts = &layout;
  VkDescriptorSet set = VK_NULL_HANDLE;
  FENNEC_VK_RETURN_IF_ERROR(vkAllocateDescriptorSets(context_.device(), &alloc, &set));
  ++sets_in_pool_;
  return set;
}

}  // namespace fennec::vulkan
