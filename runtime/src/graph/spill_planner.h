// Activation spilling: when the planned arena does not fit the budget, a
// tensor that sits idle between two uses is copied to host memory after the
// first and back before the second, so that its arena bytes serve other
// tensors in between. Copies happen between submissions, so each spill
// costs a wait for the device; the planner spills as little as it can.
//
// A step may also use a buffer in host memory instead (a node run in bands,
// see vulkan/bands.h): the buffer is then absent from the arena around that
// step, copied out before it and back after it where the arena holds it.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/memory_planner.h"

namespace fennec::graph {

// One arena buffer and the steps that touch it.
struct ActivationUses {
  uint64_t size = 0;
  // Ascending, distinct: the steps that write or read it; -1 first when it
  // is uploaded from the host (a graph input), the step count last when it
  // is downloaded at the end (a graph output).
  std::vector<int> steps;
  // The first step that writes it on the device (INT32_MAX: none, as for an
  // input only read). Until then the host holds the same bytes.
  int first_write = INT32_MAX;
  // Ascending, a subset of `steps`: the steps that read or write it in host
  // memory. Never -1 or the step count.
  std::vector<int> host_steps;
};

// An idle stretch that is spilled: the buffer is absent between steps
// `after` and `before` (exclusive).
struct SpillGap {
  size_t activation = 0;
  int after = 0;   // its last use before the gap (-1: the upload is skipped)
  int before = 0;  // its next use (the step count: the download is done early)
  // Whether the bytes must be copied out at the gap's start: false when the
  // host still holds them (an input not yet written) or when the gap ends at
  // the download, which then happens early instead.
  bool copy_out = true;
  // Whether they must be copied back at its end (false: the download, or
  // the gap ends at a host step).
  bool copy_in = true;
  // Whether they come back from the graph input rather than from the host
  // copy (an input that the host still holds).
  bool restore_input = false;
};

struct SpillPlan {
  // One per live range: a spilled activation comes back to wherever its
  // next range is placed, not necessarily where it was.
  std::vector<BufferRequest> requests;
  std::vector<size_t> request_activation;               // per request
  std::vector<std::vector<size_t>> activation_requests;  // per activation, in step order
  std::vector<SpillGap> gaps;                           // ascending by activation, then by step
  MemoryPlan memory;                                    // offsets per request
  uint64_t copied_bytes = 0;  // copied out and back per run because of the gaps
  // The most bytes that one step touches (reads and writes) and that step:
  // no spilling brings the arena below it.
  uint64_t floor_bytes = 0;
  int floor_step = -1;
};

// The request of `activation` whose range holds `step` (-1: the upload, the
// step count: the download), or SIZE_MAX when it is spilled there.
size_t range_at(const SpillPlan& plan, size_t activation, int step);

// Plans the arena of `uses` over `step_count` steps, spilling idle buffers
// until the arena is at most `target_bytes` or nothing more can be spilled:
// at the step where the most bytes are alive, the largest buffer idle there
// is spilled over its idle stretch, and the arena is planned again. Buffers
// are always absent around their host steps.
SpillPlan plan_spills(const std::vector<ActivationUses>& uses, int step_count, uint64_t alignment,
                      uint64_t target_bytes);

}  // namespace fennec::graph
