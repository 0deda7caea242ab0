#include "vulkan/allocator.h"

#include <algorithm>

#include "base/log.h"
#include "vulkan/vk_check.h"

namespace fennec::vulkan {

const char* memory_category_name(MemoryCategory category) {
  switch (category) {
    case MemoryCategory::kWeights: return "weights";
    case MemoryCategory::kArena: return "arena";
    case MemoryCategory::kStaging: return "staging";
    case MemoryCategory::kKvCache: return "kv cache";
    default: return "other";
  }
}

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    reset();
    owner_ = other.owner_;
    category_ = other.category_;
    buffer_ = other.buffer_;
    memory_ = other.memory_;
    size_ = other.size_;
    allocated_ = other.allocated_;
    mapped_ = other.mapped_;
    other.owner_ = nullptr;
    other.buffer_ = VK_NULL_HANDLE;
    other.memory_ = VK_NULL_HANDLE;
    other.mapped_ = nullptr;
    other.size_ = other.allocated_ = 0;
  }
  return *this;
}

void Buffer::reset() {
  if (owner_) owner_->release(*this);
  owner_ = nullptr;
}

Allocator::~Allocator() {
  if (stats_.current_bytes != 0)
    FENNEC_LOG_ERROR("allocator destroyed with {} bytes still allocated", stats_.current_bytes);
}

Result<uint32_t> Allocator::find_memory_type(uint32_t type_bits, MemoryUsage usage) const {
  const auto& props = context_.memory_properties();
  // Preferred flags first, then the minimum acceptable.
  VkMemoryPropertyFlags preferred = 0, required = 0;
  switch (usage) {
    case MemoryUsage::kDeviceLocal:
      preferred = required = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
      break;
    case MemoryUsage::kHostUpload:
      required = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
      preferred = required;
      break;
    case MemoryUsage::kHostReadback:
      required = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
      preferred = required | VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
      break;
  }
  for (VkMemoryPropertyFlags want : {preferred, required}) {
    for (uint32_t i = 0; i < props.memoryTypeCount; ++i) {
      if ((type_bits & (1u << i)) && (props.memoryTypes[i].propertyFlags & want) == want) return i;
    }
  }
  if (usage == MemoryUsage::kDeviceLocal) {
    // Some drivers expose no device-local type for buffers; any type works.
    for (uint32_t i = 0; i < props.memoryTypeCount; ++i)
      if (type_bits & (1u << i)) return i;
  }
  return make_error(StatusCode::kDeviceError, "device '{}' has no suitable memory type",
                    context_.caps().name);
}

bool Allocator::device_local_is_host_visible() const {
  if (!context_.caps().map_device_memory) return false;
  const auto& props = context_.memory_properties();
  for (uint32_t i = 0; i < props.memoryTypeCount; ++i) {
    const auto flags = props.memoryTypes[i].propertyFlags;
    if (flags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)
      return (flags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) &&
             (flags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
  }
  return false;
}

namespace {

VkBufferCreateInfo buffer_info(VkDeviceSize size) {
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = std::max<VkDeviceSize>(4, (size + 3) / 4 * 4);
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
               VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  return info;
}

}  // namespace

uint64_t Allocator::allocation_size(VkDeviceSize size) const {
  const VkBufferCreateInfo info = buffer_info(size);
  VkBuffer buffer = VK_NULL_HANDLE;
  // A buffer without memory is cheap; fall back to 64 KiB rounding if even
  // that fails.
  if (vkCreateBuffer(context_.device(), &info, nullptr, &buffer) != VK_SUCCESS)
    return (info.size + 65535) / 65536 * 65536;
  VkMemoryRequirements req;
  vkGetBufferMemoryRequirements(context_.device(), buffer, &req);
  vkDestroyBuffer(context_.device(), buffer, nullptr);
  return req.size;
}

Result<Buffer> Allocator::create_buffer(VkDeviceSize size, MemoryUsage usage,
                                        MemoryCategory category) {
  FENNEC_RETURN_IF_ERROR(injected_failure(size, category));
  const VkBufferCreateInfo info = buffer_info(size);
  size = info.size;
  if (size > context_.caps().max_memory_allocation_size)
    return make_error(StatusCode::kOutOfMemory,
                      "{} buffer of {} bytes exceeds the device's maxMemoryAllocationSize ({} bytes)",
                      memory_category_name(category), size, context_.caps().max_memory_allocation_size);
  VkMemoryRequirements req;
  FENNEC_ASSIGN_OR_RETURN(Buffer buffer, new_buffer(info, category, req));
  FENNEC_ASSIGN_OR_RETURN(uint32_t type, find_memory_type(req.memoryTypeBits, usage));
  FENNEC_RETURN_IF_ERROR(allocate_and_bind(buffer, req.size, type, category, nullptr));
  const auto flags = context_.memory_properties().memoryTypes[type].propertyFlags;
  if ((flags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) &&
      (usage != MemoryUsage::kDeviceLocal || context_.caps().map_device_memory))
    FENNEC_VK_RETURN_IF_ERROR(vkMapMemory(context_.device(), buffer.memory_, 0, VK_WHOLE_SIZE, 0, &buffer.mapped_));
  return buffer;
}

Result<Buffer> Allocator::new_buffer(const VkBufferCreateInfo& info, MemoryCategory category,
                                     VkMemoryRequirements& requirements) {
  Buffer buffer;
  FENNEC_VK_RETURN_IF_ERROR(vkCreateBuffer(context_.device(), &info, nullptr, &buffer.buffer_));
  buffer.owner_ = this;
  buffer.category_ = category;
  buffer.size_ = info.size;
  vkGetBufferMemoryRequirements(context_.device(), buffer.buffer_, &requirements);
  return buffer;
}

Status Allocator::injected_failure(VkDeviceSize size, MemoryCategory category) {
  if (fail_countdown_ > 0 && --fail_countdown_ == 0)
    return make_error(StatusCode::kOutOfMemory, "allocating {} bytes of {}: injected allocation failure", size,
                      memory_category_name(category));
  return ok_status();
}

Status Allocator::allocate_and_bind(Buffer& buffer, VkDeviceSize bytes, uint32_t type, MemoryCategory category,
                                    const void* next) {
  if (budget_bytes_ && stats_.current_bytes + bytes > budget_bytes_)
    return make_error(StatusCode::kOutOfMemory,
                      "allocating {} bytes of {} would exceed the memory budget of {} bytes "
                      "({} bytes in use); raise the budget",
                      bytes, memory_category_name(category), budget_bytes_, stats_.current_bytes);
  VkDevice device = context_.device();
  VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  alloc.pNext = next;
  alloc.allocationSize = bytes;
  alloc.memoryTypeIndex = type;
  VkResult r = vkAllocateMemory(device, &alloc, nullptr, &buffer.memory_);
  if (r != VK_SUCCESS)
    return vk_status(r, "vkAllocateMemory").with_context(
        fmt::format("allocating {} bytes of {}", bytes, memory_category_name(category)));
  buffer.allocated_ = bytes;
  const auto c = static_cast<size_t>(category);
  stats_.current_bytes += bytes;
  stats_.current_by_category[c] += bytes;
  stats_.peak_bytes = std::max(stats_.peak_bytes, stats_.current_bytes);
  stats_.peak_by_category[c] = std::max(stats_.peak_by_category[c], stats_.current_by_category[c]);
  FENNEC_VK_RETURN_IF_ERROR(vkBindBufferMemory(device, buffer.buffer_, buffer.memory_, 0));
  return ok_status();
}

Result<Buffer> Allocator::import_host(const void* host, VkDeviceSize size, MemoryCategory category) {
  FENNEC_RETURN_IF_ERROR(injected_failure(size, category));
  const uint64_t alignment = context_.caps().min_imported_host_pointer_alignment;
  if (!context_.caps().external_memory_host || alignment == 0 ||
      reinterpret_cast<uintptr_t>(host) % alignment != 0 || size % alignment != 0)
    return make_error(StatusCode::kUnsupported, "host memory cannot be imported on device '{}'",
                      context_.caps().name);
  VkDevice device = context_.device();
  auto host_properties = reinterpret_cast<PFN_vkGetMemoryHostPointerPropertiesEXT>(
      vkGetDeviceProcAddr(device, "vkGetMemoryHostPointerPropertiesEXT"));
  if (!host_properties) return make_error(StatusCode::kUnsupported, "vkGetMemoryHostPointerPropertiesEXT is missing");
  const auto handle = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT;
  VkMemoryHostPointerPropertiesEXT pointer{VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT};
  FENNEC_VK_RETURN_IF_ERROR(host_properties(device, handle, host, &pointer));

  VkExternalMemoryBufferCreateInfo external{VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO};
  external.handleTypes = handle;
  VkBufferCreateInfo info = buffer_info(size);
  info.pNext = &external;
  VkMemoryRequirements req;
  FENNEC_ASSIGN_OR_RETURN(Buffer buffer, new_buffer(info, category, req));
  const uint32_t bits = req.memoryTypeBits & pointer.memoryTypeBits;
  if (bits == 0 || req.size > size)
    return make_error(StatusCode::kUnsupported, "no memory type of device '{}' can hold imported host memory",
                      context_.caps().name);
  FENNEC_ASSIGN_OR_RETURN(uint32_t type, find_memory_type(bits, MemoryUsage::kDeviceLocal));
  VkImportMemoryHostPointerInfoEXT import{VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT};
  import.handleType = handle;
  import.pHostPointer = const_cast<void*>(host);
  FENNEC_RETURN_IF_ERROR(allocate_and_bind(buffer, size, type, category, &import));
  return buffer;
}

void Allocator::release(Buffer& buffer) {
  VkDevice device = context_.device();
  if (buffer.mapped_) vkUnmapMemory(device, buffer.memory_);
  if (buffer.buffer_) vkDestroyBuffer(device, buffer.buffer_, nullptr);
  if (buffer.memory_) {
    vkFreeMemory(device, buffer.memory_, nullptr);
    const auto c = static_cast<size_t>(buffer.category_);
    stats_.current_bytes -= buffer.allocated_;
    stats_.current_by_category[c] -= buffer.allocated_;
  }
  buffer.buffer_ = VK_NULL_HANDLE;
  buffer.memory_ = VK_NULL_HANDLE;
  buffer.mapped_ = nullptr;
  buffer.size_ = buffer.allocated_ = 0;
}

}  // namespace fennec::vulkan
