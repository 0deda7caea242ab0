// Device buffers and the allocation accountant.
//
// Every device allocation of a session goes through one Allocator, which
// tracks current and peak bytes per category and refuses an allocation that
// would cross the memory budget. Figures reported to users come from here.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include <vulkan/vulkan.h>

#include "base/status.h"
#include "vulkan/context.h"

namespace fennec::vulkan {

enum class MemoryCategory : int { kWeights = 0, kArena = 1, kStaging = 2, kOther = 3, kKvCache = 4, kCount = 5 };
const char* memory_category_name(MemoryCategory category);

enum class MemoryUsage {
  kDeviceLocal,   // fastest for the GPU; may or may not be host-visible
  kHostUpload,    // host-visible, coherent: CPU writes, GPU reads
  kHostReadback,  // host-visible, preferably cached: GPU writes, CPU reads
};

class Allocator;

// A VkBuffer with its own memory. Move-only; frees on destruction.
class Buffer {
 public:
  Buffer() = default;
  ~Buffer() { reset(); }
  Buffer(Buffer&& other) noexcept { *this = std::move(other); }
  Buffer& operator=(Buffer&& other) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  VkBuffer handle() const { return buffer_; }
  VkDeviceSize size() const { return size_; }
  // Host pointer when the memory is host-visible (persistently mapped).
  void* mapped() const { return mapped_; }
  bool valid() const { return buffer_ != VK_NULL_HANDLE; }
  void reset();

 private:
  friend class Allocator;
  Allocator* owner_ = nullptr;
  MemoryCategory category_ = MemoryCategory::kOther;
  VkBuffer buffer_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  VkDeviceSize size_ = 0;
  VkDeviceSize allocated_ = 0;
  void* mapped_ = nullptr;
};

struct MemoryStats {
  uint64_t current_bytes = 0;
  uint64_t peak_bytes = 0;
  std::array<uint64_t, static_cast<size_t>(MemoryCategory::kCount)> current_by_category{};
  std::array<uint64_t, static_cast<size_t>(MemoryCategory::kCount)> peak_by_category{};
};

class Allocator {
 public:
  // budget_bytes == 0: no budget beyond what the device grants.
  Allocator(const Context& context, uint64_t budget_bytes)
      : context_(context), budget_bytes_(budget_bytes) {}
  ~Allocator();

  // Creates a storage/transfer buffer of `size` bytes (rounded up to 4).
  Result<Buffer> create_buffer(VkDeviceSize size, MemoryUsage usage, MemoryCategory category);

  // Device memory over `size` bytes of the caller's host memory at `host`
  // (VK_EXT_external_memory_host, enabled on the context), used in place:
  // nothing is copied. Both must be multiples of the device's
  // minImportedHostPointerAlignment, and the memory must outlive the buffer.
  // Counted like any allocation.
  Result<Buffer> import_host(const void* host, VkDeviceSize size, MemoryCategory category);

  // The device bytes an allocation of a `size`-byte buffer really takes
  // (the driver's memory requirements), without allocating.
  uint64_t allocation_size(VkDeviceSize size) const;

  // Failure injection for tests: the `n`th create_buffer() from now (1 =
  // the next) fails as if the device were out of memory; 0 turns it off.
  void fail_allocation(uint64_t n) { fail_countdown_ = n; }

  const MemoryStats& stats() const { return stats_; }
  uint64_t budget_bytes() const { return budget_bytes_; }
  // True when the device-local memory chosen for kDeviceLocal is also
  // host-visible (unified memory: CPU drivers, integrated GPUs).
  bool device_local_is_host_visible() const;

 private:
  friend class Buffer;
  void release(Buffer& buffer);
  Result<uint32_t> find_memory_type(uint32_t type_bits, MemoryUsage usage) const;
  // A VkBuffer from `info`, owned and counted under `category` once memory
  // is bound; `requirements` receives its memory requirements.
  Result<Buffer> new_buffer(const VkBufferCreateInfo& info, MemoryCategory category,
                            VkMemoryRequirements& requirements);
  // The failure that fail_allocation() asked for, on its turn.
  Status injected_failure(VkDeviceSize size, MemoryCategory category);
  // Checks the budget, allocates, counts and binds `buffer` (created, not
  // yet bound); `next` chains import information.
  Status allocate_and_bind(Buffer& buffer, VkDeviceSize bytes, uint32_t type, MemoryCategory category,
                           const void* next);

  const Context& context_;
  uint64_t budget_bytes_;
  uint64_t fail_countdown_ = 0;
  MemoryStats stats_;
};

}  // namespace fennec::vulkan
