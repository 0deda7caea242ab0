// Weight residency: which constants stay on the device for the whole session
// and how large the two streaming slots are for the rest.
//
// Streamed constants are copied from host memory into one of two slots just
// before the nodes that read them, while the device works on the other slot.
// A slot holds at least every streamed constant of any single node.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace fennec::graph {

struct ResidencyRequest {
  std::vector<uint64_t> constant_bytes;          // per tensor: device bytes (0: not a constant)
  std::vector<std::vector<int>> node_constants;  // per node: the constants it reads, no repeats
  // Buffers of slot size the device holds: the two slots, and a staging
  // buffer for each when the slots are device memory filled by copies.
  int slot_buffers = 2;
};

struct ResidencyPlan {
  std::vector<bool> resident;  // per tensor
  uint64_t resident_bytes = 0;
  uint64_t slot_bytes = 0;     // each of the two slots; 0 when nothing is streamed
  int slot_buffers = 2;        // the request's: 4 when the slots are staged
  bool streams() const { return slot_bytes > 0; }
};

// Slots are not grown beyond this when there is room to spare.
constexpr uint64_t kPreferredSlotBytes = 16ull << 20;

// The plan that keeps the most weight bytes resident within `available`
// device bytes: everything when it fits; otherwise the largest constants
// resident and the rest streamed. `size_of(bytes)` rounds the resident image
// or a slot up to what allocating it really takes. `minimum` receives the
// fewest device bytes any plan needs. Returns false when none fits.
bool plan_residency(const ResidencyRequest& request, uint64_t available,
                    const std::function<uint64_t(uint64_t)>& size_of, ResidencyPlan& plan,
                    uint64_t& minimum);

// The groups of consecutive nodes that share one slot fill: each group's
// streamed constants (each once) fit in `slot_bytes`. Returns the first node
// of each group.
std::vector<int> plan_stream_groups(const ResidencyRequest& request, const ResidencyPlan& plan);

}  // namespace fennec::graph
