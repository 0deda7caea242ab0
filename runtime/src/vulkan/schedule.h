// How one session plan's run is cut into submissions, and what is copied
// between host memory and the arena around each: inputs before the first,
// outputs after the last (or after their last use when spilled early), and
// spilled activations out after one use and back before the next.
//
// When the arena is host-visible (unified memory) the host copies straight
// from and to it; otherwise each submission copies through one transfer
// buffer, at `staging_offset`.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/spill_planner.h"

namespace fennec::vulkan {

enum class HostCopyKind {
  kInput,     // graph input `index` into the arena, before the submission
  kRestore,   // spill store `index` into the arena, before the submission
  kOutput,    // the arena into graph output `index`, after the submission
  kSpillOut,  // the arena into spill store `index`, after the submission
};

struct HostCopy {
  HostCopyKind kind = HostCopyKind::kInput;
  size_t index = 0;
  uint64_t arena_offset = 0;
  uint64_t bytes = 0;
  uint64_t staging_offset = 0;
};

struct Segment {
  int first_node = 0;
  int end_node = 0;
  bool banded = false;      // one node, run in bands through host memory (vulkan/bands.h)
  size_t group = 0;         // weight stream group; its slot is group % 2
  bool fills_slot = false;  // the group's first segment copies its streamed weights
  std::vector<HostCopy> before;
  std::vector<HostCopy> after;
};

// An arena buffer as the schedule sees it.
struct ArenaBuffer {
  uint64_t bytes = 0;
  int input = -1;               // the graph input it is uploaded from
  std::vector<size_t> outputs;  // the graph outputs downloaded from it
};

struct Schedule {
  std::vector<Segment> segments;
  std::vector<uint64_t> store_bytes;  // per spill store (host memory)
  std::vector<size_t> store_of;       // per activation: its store, SIZE_MAX if none
  uint64_t staging_bytes = 0;         // the transfer buffer a submission needs at most
};

// `buffers` and `spills` index the same activations, placed where
// spills.memory says, and `uses` says which steps use them in host memory;
// `group_starts` is the first node of each weight stream group (the first
// is 0). Every activation that is spilled or used in host memory has one
// store; each host step is a banded segment of its own.
Schedule make_schedule(const std::vector<ArenaBuffer>& buffers, const std::vector<graph::ActivationUses>& uses,
                       const graph::SpillPlan& spills, int step_count, const std::vector<int>& group_starts);

}  // namespace fennec::vulkan
