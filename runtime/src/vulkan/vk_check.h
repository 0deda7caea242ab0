// VkResult -> Status.
#pragma once

#include <vulkan/vulkan.h>

#include "base/status.h"

namespace fennec::vulkan {

const char* vk_result_name(VkResult result);

// A failed VkResult as a status naming the call. Out-of-memory results map to
// kOutOfMemory, everything else to kDeviceError.
Status vk_status(VkResult result, const char* what);

}  // namespace fennec::vulkan

#define FENNEC_VK_RETURN_IF_ERROR(call)                                           \
  do {                                                                            \
    VkResult fennec_vk_result_ = (call);                                          \
    if (fennec_vk_result_ != VK_SUCCESS)                                          \
      return ::fennec::vulkan::vk_status(fennec_vk_result_, #call);               \
  } while (0)
