// Device copies of a graph's constants.
//
// The residency plan (graph/residency.h) says which constants stay on the
// device: those are packed into blocks of at most `block_bytes` each. The
// others are streamed: before a group of nodes runs, the session copies
// their constants into one of two slots (see Session::run). Where device
// memory is host-visible the slots are written in place. Otherwise, when the
// budget has room for it (request().slot_buffers == 4), the host writes a
// staging buffer per slot and the submission copies it into the device-local
// slot, so kernels read weights from device memory; without that room the
// slots are host memory that kernels read in place.
// On unified-memory devices with VK_EXT_external_memory_host, a plan that
// keeps everything resident imports the model's mapped weight section
// instead of copying it, so the weights are not held twice.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "graph/graph.h"
#include "graph/memory_planner.h"
#include "graph/residency.h"
#include "vulkan/allocator.h"
#include "vulkan/recorder.h"

namespace fennec::vulkan {

class WeightStore {
 public:
  WeightStore(Context& context, Allocator& allocator, const graph::Graph& graph,
              VkDeviceSize alignment, uint64_t block_bytes);

  // Per tensor, the device bytes a constant takes (whole 32-bit words that
  // shaders may read, aligned); per node, the constants it reads.
  const graph::ResidencyRequest& request() const { return request_; }
  // The device bytes `plan` takes: resident blocks and both slots.
  uint64_t device_bytes(const graph::ResidencyPlan& plan) const;

  // Releases what is held and makes `plan` current: allocates the blocks and
  // slots and uploads the resident constants.
  Status apply(const graph::ResidencyPlan& plan);
  void release();
  bool applied() const { return applied_; }
  const graph::ResidencyPlan& plan() const { return plan_; }

  bool resident(int tensor) const { return plan_.resident[static_cast<size_t>(tensor)]; }
  BufferSlice resident_slice(int tensor) const;
  const Buffer& slot(int index) const { return slots_[static_cast<size_t>(index)]; }
  // Whether slot `index` is filled through a staging buffer (copied into
  // the slot by the submission), and the host-visible buffer the host
  // writes the streamed constants of the slot to.
  bool slots_staged() const { return plan_.slot_buffers > 2; }
  const Buffer& slot_source(int index) const {
    return (slots_staged() ? staging_ : slots_)[static_cast<size_t>(index)];
  }
  // Room to leave in the budget for uploading `weight_bytes` of resident
  // weights: its staging pieces where device memory is not host-visible.
  uint64_t upload_reserve(uint64_t weight_bytes) const;
  // Where a constant's bytes are on the host (the model's weight section).
  const void* host_data(int tensor) const;
  uint64_t resident_device_bytes() const;  // blocks only
  // Device bytes used in place from host memory (no copy), 0 if none.
  uint64_t imported_bytes() const { return imported_bytes_; }
  size_t block_count() const { return blocks_.size(); }

 private:
  struct Placement {
    int block = -1;
    VkDeviceSize offset = 0;
  };
  // Packs the resident constants of `plan` and cuts them into blocks.
  std::vector<graph::ByteRange> layout(const graph::ResidencyPlan& plan,
                                       std::vector<Placement>* placements) const;
  Status upload(const std::vector<graph::ByteRange>& blocks);
  // Whether every constant can be used in place from graph.constant_storage
  // on this device; `blocks` receives the host ranges to import.
  bool importable(std::vector<graph::ByteRange>* blocks) const;
  Status import(const std::vector<graph::ByteRange>& blocks);

  Context& context_;
  Allocator& allocator_;
  const graph::Graph& graph_;
  VkDeviceSize alignment_;
  uint64_t block_bytes_;
  graph::ResidencyRequest request_;
  graph::ResidencyPlan plan_;
  bool applied_ = false;
  std::vector<Placement> placements_;  // per tensor
  std::vector<Buffer> blocks_;
  uint64_t imported_bytes_ = 0;
  bool import_failed_ = false;  // the driver refused once: copy from then on
  std::array<Buffer, 2> slots_;
  std::array<Buffer, 2> staging_;  // when the slots are not host-visible
};

}  // namespace fennec::vulkan
