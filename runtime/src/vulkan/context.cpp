#include "vulkan/context.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "base/log.h"
#include "vulkan/pipelines.h"
#include "vulkan/vk_check.h"

namespace fennec::vulkan {
namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

std::atomic<uint64_t> g_validation_errors{0};

VKAPI_ATTR VkBool32 VKAPI_CALL on_validation_message(
    VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT,
    const VkDebugUtilsMessengerCallbackDataEXT* data, void*) {
  const char* message = data && data->pMessage ? data->pMessage : "";
  if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
    g_validation_errors.fetch_add(1);
    FENNEC_LOG_ERROR("vulkan validation: {}", message);
  } else if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
    FENNEC_LOG_WARN("vulkan validation: {}", message);
  } else {
    FENNEC_LOG_DEBUG("vulkan validation: {}", message);
  }
  return VK_FALSE;
}

bool env_flag(const char* name) {
  const char* value = std::getenv(name);
  return value && *value && std::strcmp(value, "0") != 0;
}

bool has_layer(const char* name) {
  uint32_t count = 0;
  vkEnumerateInstanceLayerProperties(&count, nullptr);
  std::vector<VkLayerProperties> layers(count);
  vkEnumerateInstanceLayerProperties(&count, layers.data());
  for (const auto& layer : layers)
    if (std::strcmp(layer.layerName, name) == 0) return true;
  return false;
}

bool has_device_extension(VkPhysicalDevice device, const char* name) {
  uint32_t count = 0;
  vkEnumerateDeviceExtensionProperties(device, nullptr, &count, nullptr);
  std::vector<VkExtensionProperties> extensions(count);
  vkEnumerateDeviceExtensionProperties(device, nullptr, &count, extensions.data());
  for (const auto& e : extensions)
    if (std::strcmp(e.extensionName, name) == 0) return true;
  return false;
}

// Lower is preferred: discrete, integrated, virtual, other, CPU.
int type_rank(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 0;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 1;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return 4;
    default: return 3;
  }
}

DeviceCaps probe(VkPhysicalDevice device) {
  DeviceCaps caps;
  VkPhysicalDeviceSubgroupProperties subgroup{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
  VkPhysicalDeviceProperties2 props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  props.pNext = &subgroup;
  vkGetPhysicalDeviceProperties2(device, &props);
  const VkPhysicalDeviceLimits& limits = props.properties.limits;
  caps.name = props.properties.deviceName;
  caps.type = props.properties.deviceType;
  caps.vendor_id = props.properties.vendorID;
  caps.device_id = props.properties.deviceID;
  caps.api_version = props.properties.apiVersion;
  caps.subgroup_size = subgroup.subgroupSize;
  caps.subgroup_arithmetic = (subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) != 0 &&
                             (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT) != 0;
  caps.max_storage_buffer_range = limits.maxStorageBufferRange;
  caps.max_shared_memory_bytes = limits.maxComputeSharedMemorySize;
  caps.min_storage_buffer_offset_alignment = limits.minStorageBufferOffsetAlignment;
  caps.max_workgroup_count_x = limits.maxComputeWorkGroupCount[0];
  caps.timestamp_period_ns = limits.timestampPeriod;
  caps.max_memory_allocation_size = 1ull << 30;

  if (VK_API_VERSION_MINOR(caps.api_version) >= 2 || VK_API_VERSION_MAJOR(caps.api_version) > 1) {
    VkPhysicalDeviceDriverProperties driver{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
    VkPhysicalDeviceMaintenance3Properties m3{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
    driver.pNext = &m3;
    VkPhysicalDeviceProperties2 p2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
    p2.pNext = &driver;
    vkGetPhysicalDeviceProperties2(device, &p2);
    caps.driver_info = std::string(driver.driverName) + " " + driver.driverInfo;
    caps.max_memory_allocation_size = m3.maxMemoryAllocationSize;

    VkPhysicalDeviceShaderFloat16Int8Features f16{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES};
    VkPhysicalDevice16BitStorageFeatures s16{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES};
    VkPhysicalDevice8BitStorageFeatures s8{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES};
    VkPhysicalDeviceShaderIntegerDotProductFeatures dot{
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_FEATURES};
    const bool dot_ext = has_device_extension(device, VK_KHR_SHADER_INTEGER_DOT_PRODUCT_EXTENSION_NAME);
    f16.pNext = &s16;
    s16.pNext = &s8;
    if (dot_ext) s8.pNext = &dot;
    VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
    features.pNext = &f16;
    vkGetPhysicalDeviceFeatures2(device, &features);
    caps.shader_float16 = f16.shaderFloat16;
    caps.storage_16bit = s16.storageBuffer16BitAccess;
    caps.storage_8bit = s8.storageBuffer8BitAccess;
    caps.integer_dot_product = dot_ext && dot.shaderIntegerDotProduct == VK_TRUE;
  }
  caps.memory_budget_ext = has_device_extension(device, VK_EXT_MEMORY_BUDGET_EXTENSION_NAME);
  if (has_device_extension(device, VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME)) {
    VkPhysicalDeviceExternalMemoryHostPropertiesEXT host{
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT};
    VkPhysicalDeviceProperties2 p2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
    p2.pNext = &host;
    vkGetPhysicalDeviceProperties2(device, &p2);
    caps.external_memory_host = true;
    caps.min_imported_host_pointer_alignment = host.minImportedHostPointerAlignment;
  }

  VkPhysicalDeviceMemoryBudgetPropertiesEXT budget{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT};
  VkPhysicalDeviceMemoryProperties2 memory2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2};
  if (caps.memory_budget_ext) memory2.pNext = &budget;
  vkGetPhysicalDeviceMemoryProperties2(device, &memory2);
  const VkPhysicalDeviceMemoryProperties& memory = memory2.memoryProperties;
  for (uint32_t i = 0; i < memory.memoryHeapCount; ++i)
    if ((memory.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) &&
        memory.memoryHeaps[i].size > caps.device_local_bytes) {
      caps.device_local_bytes = memory.memoryHeaps[i].size;
      caps.device_budget_bytes = caps.memory_budget_ext ? budget.heapBudget[i] : 0;
    }

  uint32_t family_count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(device, &family_count, nullptr);
  std::vector<VkQueueFamilyProperties> families(family_count);
  vkGetPhysicalDeviceQueueFamilyProperties(device, &family_count, families.data());
  for (const auto& family : families)
    if ((family.queueFlags & VK_QUEUE_COMPUTE_BIT) && family.timestampValidBits > 0)
      caps.timestamps = true;
  return caps;
}

Result<VkInstance> create_instance(bool validation) {
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "fennec";
  app.pEngineName = "fennec";
  app.apiVersion = VK_API_VERSION_1_2;
  std::vector<const char*> layers;
  std::vector<const char*> extensions;
  if (validation) {
    if (!has_layer(kValidationLayer))
      return make_error(StatusCode::kUnsupported,
                        "validation requested but {} is not installed "
                        "(Debian: apt-get install vulkan-validationlayers)",
                        kValidationLayer);
    layers.push_back(kValidationLayer);
    extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
  }
  VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  info.pApplicationInfo = &app;
  info.enabledLayerCount = static_cast<uint32_t>(layers.size());
  info.ppEnabledLayerNames = layers.data();
  info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
  info.ppEnabledExtensionNames = extensions.data();
  VkInstance instance = VK_NULL_HANDLE;
  VkResult r = vkCreateInstance(&info, nullptr, &instance);
  if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
    return make_error(StatusCode::kDeviceError,
                      "no Vulkan driver found; install a GPU driver or Mesa's CPU driver "
                      "(Debian: apt-get install mesa-vulkan-drivers)");
  if (r != VK_SUCCESS) return vk_status(r, "vkCreateInstance");
  return instance;
}

Result<std::vector<VkPhysicalDevice>> physical_devices(VkInstance instance) {
  uint32_t count = 0;
  FENNEC_VK_RETURN_IF_ERROR(vkEnumeratePhysicalDevices(instance, &count, nullptr));
  std::vector<VkPhysicalDevice> devices(count);
  FENNEC_VK_RETURN_IF_ERROR(vkEnumeratePhysicalDevices(instance, &count, devices.data()));
  if (devices.empty())
    return make_error(StatusCode::kDeviceError,
                      "no Vulkan device found; install a GPU driver or Mesa's CPU driver "
                      "(Debian: apt-get install mesa-vulkan-drivers)");
  return devices;
}

int choose_default(const std::vector<DeviceCaps>& caps) {
  int best = 0;
  for (size_t i = 1; i < caps.size(); ++i)
    if (type_rank(caps[i].type) < type_rank(caps[static_cast<size_t>(best)].type))
      best = static_cast<int>(i);
  return best;
}

}  // namespace

uint64_t validation_error_count() { return g_validation_errors.load(); }

Result<std::vector<DeviceCaps>> enumerate_devices(int* default_index) {
  FENNEC_ASSIGN_OR_RETURN(VkInstance instance, create_instance(false));
  auto devices = physical_devices(instance);
  if (!devices.ok()) {
    vkDestroyInstance(instance, nullptr);
    return devices.status();
  }
  std::vector<DeviceCaps> caps;
  for (VkPhysicalDevice device : devices.value()) caps.push_back(probe(device));
  vkDestroyInstance(instance, nullptr);
  if (default_index) *default_index = choose_default(caps);
  return caps;
}

Result<std::unique_ptr<Context>> Context::create(const ContextOptions& options) {
  std::unique_ptr<Context> context(new Context());
  FENNEC_RETURN_IF_ERROR(context->init(options));
  return context;
}

Status Context::init(const ContextOptions& options) {
  const bool validation = options.enable_validation || env_flag("FENNEC_VALIDATION");
  FENNEC_ASSIGN_OR_RETURN(instance_, create_instance(validation));
  if (validation) {
    auto create_messenger = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkCreateDebugUtilsMessengerEXT"));
    if (create_messenger) {
      VkDebugUtilsMessengerCreateInfoEXT info{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
      info.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                             VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
      info.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                         VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                         VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
      info.pfnUserCallback = on_validation_message;
      FENNEC_VK_RETURN_IF_ERROR(create_messenger(instance_, &info, nullptr, &messenger_));
    }
  }

  FENNEC_ASSIGN_OR_RETURN(std::vector<VkPhysicalDevice> devices, physical_devices(instance_));
  std::vector<DeviceCaps> all_caps;
  for (VkPhysicalDevice device : devices) all_caps.push_back(probe(device));
  int index = options.device_index;
  if (index < 0) {
    if (const char* env = std::getenv("FENNEC_DEVICE")) index = std::atoi(env);
    else index = choose_default(all_caps);
  }
  if (index < 0 || static_cast<size_t>(index) >= devices.size())
    return make_error(StatusCode::kInvalidArgument,
                      "device index {} out of range: {} Vulkan device(s) found "
                      "(list them with `fennec devices`)",
                      index, devices.size());
  physical_device_ = devices[static_cast<size_t>(index)];
  caps_ = all_caps[static_cast<size_t>(index)];
  vkGetPhysicalDeviceMemoryProperties(physical_device_, &memory_properties_);

  uint32_t family_count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(physical_device_, &family_count, nullptr);
  std::vector<VkQueueFamilyProperties> families(family_count);
  vkGetPhysicalDeviceQueueFamilyProperties(physical_device_, &family_count, families.data());
  // Prefer a compute family without graphics (dedicated compute queue).
  int chosen = -1;
  for (uint32_t i = 0; i < family_count; ++i) {
    if (!(families[i].queueFlags & VK_QUEUE_COMPUTE_BIT)) continue;
    if (chosen < 0 || !(families[i].queueFlags & VK_QUEUE_GRAPHICS_BIT)) chosen = static_cast<int>(i);
  }
  if (chosen < 0)
    return make_error(StatusCode::kUnsupported, "device '{}' has no compute queue", caps_.name);
  queue_family_ = static_cast<uint32_t>(chosen);
  caps_.timestamps = families[queue_family_].timestampValidBits > 0;

  float priority = 1.0f;
  VkDeviceQueueCreateInfo queue_info{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  queue_info.queueFamilyIndex = queue_family_;
  queue_info.queueCount = 1;
  queue_info.pQueuePriorities = &priority;
  VkDeviceCreateInfo device_info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  device_info.queueCreateInfoCount = 1;
  device_info.pQueueCreateInfos = &queue_info;
  const char* subgroup_env = std::getenv("FENNEC_SUBGROUP_KERNELS");
  if (subgroup_env && std::string(subgroup_env) == "0") caps_.subgroup_arithmetic = false;
  const char* cpu_env = std::getenv("FENNEC_CPU_KERNELS");
  caps_.cpu_kernels = caps_.type == VK_PHYSICAL_DEVICE_TYPE_CPU && !(cpu_env && std::string(cpu_env) == "0");
  // Integer dot products for the w8a8 kernels, unless turned off.
  const char* dot_env = std::getenv("FENNEC_INTEGER_DOT");
  if (!options.integer_dot_product || (dot_env && std::string(dot_env) == "0")) caps_.integer_dot_product = false;
  VkPhysicalDeviceShaderIntegerDotProductFeatures dot{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_FEATURES};
  std::vector<const char*> device_extensions;
  if (caps_.integer_dot_product) {
    dot.shaderIntegerDotProduct = VK_TRUE;
    dot.pNext = const_cast<void*>(device_info.pNext);
    device_info.pNext = &dot;
    device_extensions.push_back(VK_KHR_SHADER_INTEGER_DOT_PRODUCT_EXTENSION_NAME);
  }
  // 16-bit storage for the binary16-activation kernels (core in Vulkan 1.1),
  // unless turned off: the session then widens FLOAT16 activations.
  const char* storage16_env = std::getenv("FENNEC_FP16_STORAGE");
  if (storage16_env && std::string(storage16_env) == "0") caps_.storage_16bit = false;
  VkPhysicalDevice16BitStorageFeatures storage16{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES};
  if (caps_.storage_16bit) {
    storage16.storageBuffer16BitAccess = VK_TRUE;
    storage16.pNext = const_cast<void*>(device_info.pNext);
    device_info.pNext = &storage16;
  }
  // Weights used in place from host memory on unified-memory devices.
  const char* import_env = std::getenv("FENNEC_IMPORT_HOST_MEMORY");
  const char* discrete_env = std::getenv("FENNEC_DISCRETE_MEMORY");
  caps_.map_device_memory = options.map_device_memory && !(discrete_env && std::string(discrete_env) == "1");
  if (!options.import_host_memory || !caps_.map_device_memory || (import_env && std::string(import_env) == "0"))
    caps_.external_memory_host = false;
  if (caps_.external_memory_host) device_extensions.push_back(VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);
  device_info.enabledExtensionCount = static_cast<uint32_t>(device_extensions.size());
  device_info.ppEnabledExtensionNames = device_extensions.data();
  FENNEC_VK_RETURN_IF_ERROR(vkCreateDevice(physical_device_, &device_info, nullptr, &device_));
  vkGetDeviceQueue(device_, queue_family_, 0, &queue_);

  VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pool_info.queueFamilyIndex = queue_family_;
  FENNEC_VK_RETURN_IF_ERROR(vkCreateCommandPool(device_, &pool_info, nullptr, &command_pool_));
  VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  FENNEC_VK_RETURN_IF_ERROR(vkCreateFence(device_, &fence_info, nullptr, &fence_));
  FENNEC_LOG_INFO("device {}: {} ({})", index, caps_.name, caps_.driver_info);
  return ok_status();
}

Status Context::submit_and_wait(VkCommandBuffer command_buffer) {
  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &command_buffer;
  FENNEC_VK_RETURN_IF_ERROR(vkResetFences(device_, 1, &fence_));
  FENNEC_VK_RETURN_IF_ERROR(vkQueueSubmit(queue_, 1, &submit, fence_));
  FENNEC_VK_RETURN_IF_ERROR(vkWaitForFences(device_, 1, &fence_, VK_TRUE, UINT64_MAX));
  return ok_status();
}

Pipelines& Context::pipelines() {
  std::call_once(pipelines_once_, [this] { pipelines_ = std::make_unique<Pipelines>(*this); });
  return *pipelines_;
}

Context::~Context() {
  if (device_) {
    vkDeviceWaitIdle(device_);
    pipelines_.reset();
    if (fence_) vkDestroyFence(device_, fence_, nullptr);
    if (command_pool_) vkDestroyCommandPool(device_, command_pool_, nullptr);
    vkDestroyDevice(device_, nullptr);
  }
  if (messenger_) {
    auto destroy_messenger = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
    if (destroy_messenger) destroy_messenger(instance_, messenger_, nullptr);
  }
  if (instance_) vkDestroyInstance(instance_, nullptr);
}

}  // namespace fennec::vulkan
