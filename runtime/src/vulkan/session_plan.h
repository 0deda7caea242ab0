// The plan a Session records for one set of input shapes (private to the
// session's sources).
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include <vulkan/vulkan.h>

#include "graph/memory_planner.h"
#include "graph/spill_planner.h"
#include "graph/tensor.h"
#include "vulkan/bands.h"
#include "vulkan/schedule.h"
#include "vulkan/session.h"

namespace fennec::vulkan {

inline constexpr VkDeviceSize kNoOffset = ~VkDeviceSize{0};

// The streamed weights of consecutive nodes that share one slot fill.
struct StreamGroup {
  std::vector<std::pair<int, VkDeviceSize>> copies;  // streamed constant, offset in the slot
  std::vector<VkDeviceSize> slot_offsets;            // per tensor, kNoOffset unless copied
};

struct Session::Plan {
  std::vector<Shape> shapes;                // per tensor
  std::vector<size_t> buffer_of;            // per tensor: its arena buffer, SIZE_MAX if none
  std::vector<graph::ActivationUses> uses;  // per arena buffer
  std::vector<ArenaBuffer> buffers;         // per arena buffer, placed by `spill.memory`
  graph::SpillPlan spill;                   // the arena plan, with any spilled gaps
  std::vector<graph::ByteRange> arena_blocks;
  // The transfer buffer holds less than the copies around one submission:
  // they run in pieces, outside the recorded command buffers.
  bool copies_in_pieces = false;
  std::vector<StreamGroup> groups;
  // Nodes run in bands (empty unless the budget is below what spilling
  // reaches); per node its index there, SIZE_MAX when it runs whole.
  std::vector<BandedNode> banded;
  std::vector<size_t> band_of;
  uint64_t window_bytes = 0;  // the largest band window
  Schedule schedule;
  std::vector<VkCommandBuffer> command_buffers;  // per segment (none for a banded one)
  std::vector<std::vector<VkCommandBuffer>> band_buffers;  // per segment: per band of a banded one
  std::vector<VkFence> fences;                   // per segment
  std::vector<std::vector<std::byte>> stores;    // host memory of spilled activations
  std::vector<VkDescriptorPool> pools;
  size_t dispatches = 0;
};

}  // namespace fennec::vulkan
