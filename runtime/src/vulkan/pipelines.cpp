#include "vulkan/pipelines.h"

#include <vector>

#include "vulkan/recorder.h"
#include "vulkan/vk_check.h"

namespace fennec::vulkan {

Pipelines::Pipelines(const Context& context) : context_(context) {
  VkPipelineCacheCreateInfo info{VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
  if (vkCreatePipelineCache(context_.device(), &info, nullptr, &cache_) != VK_SUCCESS)
    cache_ = VK_NULL_HANDLE;
}

Pipelines::~Pipelines() {
  VkDevice device = context_.device();
  for (auto& [key, p] : pipelines_) {
    if (p.pipeline) vkDestroyPipeline(device, p.pipeline, nullptr);
    if (p.layout) vkDestroyPipelineLayout(device, p.layout, nullptr);
    if (p.set_layout) vkDestroyDescriptorSetLayout(device, p.set_layout, nullptr);
    if (p.module) vkDestroyShaderModule(device, p.module, nullptr);
  }
  if (cache_) vkDestroyPipelineCache(device, cache_, nullptr);
}

Result<const Pipeline*> Pipelines::get(ShaderId shader, uint32_t bindings) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto key = std::make_pair(shader, bindings);
  if (auto it = pipelines_.find(key); it != pipelines_.end()) return &it->second;
  VkDevice device = context_.device();
  const ShaderBlob& blob = shader_blob(shader);
  // Insert first so that a partial failure is cleaned up by the destructor.
  Pipeline& p = pipelines_[key];

  VkShaderModuleCreateInfo module_info{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  module_info.codeSize = blob.word_count * sizeof(uint32_t);
  module_info.pCode = blob.words;
  FENNEC_VK_RETURN_IF_ERROR(vkCreateShaderModule(device, &module_info, nullptr, &p.module));

  std::vector<VkDescriptorSetLayoutBinding> layout_bindings(bindings);
  for (uint32_t i = 0; i < bindings; ++i) {
    layout_bindings[i].binding = i;
    layout_bindings[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    layout_bindings[i].descriptorCount = 1;
    layout_bindings[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
  }
  VkDescriptorSetLayoutCreateInfo set_info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  set_info.bindingCount = bindings;
  set_info.pBindings = layout_bindings.data();
  FENNEC_VK_RETURN_IF_ERROR(vkCreateDescriptorSetLayout(device, &set_info, nullptr, &p.set_layout));

  VkPushConstantRange push{VK_SHADER_STAGE_COMPUTE_BIT, 0, 128};
  VkPipelineLayoutCreateInfo layout_info{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  layout_info.setLayoutCount = 1;
  layout_info.pSetLayouts = &p.set_layout;
  layout_info.pushConstantRangeCount = 1;
  layout_info.pPushConstantRanges = &push;
  FENNEC_VK_RETURN_IF_ERROR(vkCreatePipelineLayout(device, &layout_info, nullptr, &p.layout));

  const uint32_t workgroup_size = kDefaultWorkgroupSize;
  // Id 0 sizes the workgroup (local_size_x_id); id 1 is the same value as a
  // plain constant for arithmetic (see shaders/include/index.glsl).
  const VkSpecializationMapEntry entries[2] = {{0, 0, sizeof(uint32_t)}, {1, 0, sizeof(uint32_t)}};
  VkSpecializationInfo spec{2, entries, sizeof(uint32_t), &workgroup_size};
  VkComputePipelineCreateInfo info{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  info.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
  info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  info.stage.module = p.module;
  info.stage.pName = "main";
  info.stage.pSpecializationInfo = &spec;
  info.layout = p.layout;
  VkResult r = vkCreateComputePipelines(device, cache_, 1, &info, nullptr, &p.pipeline);
  if (r != VK_SUCCESS)
    return vk_status(r, "vkCreateComputePipelines").with_context(
        std::string("building shader ") + blob.name);
  return &p;
}

}  // namespace fennec::vulkan
