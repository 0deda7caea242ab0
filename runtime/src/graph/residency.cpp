#include "graph/residency.h"

#include <algorithm>
#include <numeric>

namespace fennec::graph {
namespace {

// The largest sum of non-resident constants read by one node.
uint64_t largest_streamed_node(const ResidencyRequest& request, const std::vector<bool>& resident) {
  uint64_t largest = 0;
  for (const std::vector<int>& constants : request.node_constants) {
    uint64_t sum = 0;
    for (int c : constants)
      if (!resident[static_cast<size_t>(c)]) sum += request.constant_bytes[static_cast<size_t>(c)];
    largest = std::max(largest, sum);
  }
  return largest;
}

}  // namespace

bool plan_residency(const ResidencyRequest& request, uint64_t available,
                    const std::function<uint64_t(uint64_t)>& size_of, ResidencyPlan& plan,
                    uint64_t& minimum) {
  const size_t count = request.constant_bytes.size();
  std::vector<size_t> order;  // constants, largest first
  for (size_t i = 0; i < count; ++i)
    if (request.constant_bytes[i] > 0) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return request.constant_bytes[a] > request.constant_bytes[b];
  });
  const uint64_t total = std::accumulate(request.constant_bytes.begin(), request.constant_bytes.end(), uint64_t{0});
  auto image = [&](uint64_t bytes) { return bytes ? size_of(bytes) : 0; };

  // Candidate k keeps the k largest constants resident and streams the rest.
  std::vector<bool> resident(count, false);
  uint64_t resident_sum = 0;
  minimum = image(total);
  bool found = false;
  ResidencyPlan best;
  for (size_t k = 0; k <= order.size(); ++k) {
    if (k > 0) {
      resident[order[k - 1]] = true;
      resident_sum += request.constant_bytes[order[k - 1]];
    }
    const uint64_t slot = k == order.size() ? 0 : largest_streamed_node(request, resident);
    const uint64_t need = image(resident_sum) + request.slot_buffers * image(slot);
    minimum = std::min(minimum, need);
    if (need > available) continue;
    // Most resident bytes wins; among equals the smaller footprint.
    if (!found || resident_sum > best.resident_bytes) {
      found = true;
      best.resident = resident;
      best.resident_bytes = resident_sum;
      best.slot_bytes = slot;
    }
  }
  if (!found) return false;
  best.slot_buffers = request.slot_buffers;
  if (best.slot_bytes > 0) {
    // Spare room first keeps more constants resident (largest that fit; a
    // slot never needs to grow for that), then grows the slots (fewer,
    // larger copies), up to a point.
    for (size_t c : order) {
      if (best.resident[c]) continue;
      const uint64_t grown = best.resident_bytes + request.constant_bytes[c];
      if (image(grown) + request.slot_buffers * image(best.slot_bytes) > available) continue;
      best.resident[c] = true;
      best.resident_bytes = grown;
    }
    best.slot_bytes = largest_streamed_node(request, best.resident);
    if (best.slot_bytes == 0) {
      plan = std::move(best);
      return true;
    }
    const uint64_t least = best.slot_bytes;
    const uint64_t need = image(best.resident_bytes) + request.slot_buffers * image(best.slot_bytes);
    const uint64_t spare = (available - need) / 2;
    const uint64_t grown = std::max(best.slot_bytes, std::min(best.slot_bytes + spare, kPreferredSlotBytes));
    uint64_t streamed = 0;
    for (size_t i = 0; i < count; ++i)
      if (!best.resident[i]) streamed += request.constant_bytes[i];
    best.slot_bytes = std::min(grown, std::max(best.slot_bytes, streamed));
    while (best.slot_bytes > least &&
           image(best.resident_bytes) + request.slot_buffers * image(best.slot_bytes) > available)
      best.slot_bytes = std::max(least, best.slot_bytes - std::min<uint64_t>(best.slot_bytes, 4096));
  }
  plan = std::move(best);
  return true;
}

std::vector<int> plan_stream_groups(const ResidencyRequest& request, const ResidencyPlan& plan) {
  std::vector<int> starts;
  std::vector<int> in_group;  // streamed constants of the open group
  uint64_t group_bytes = 0;
  for (size_t n = 0; n < request.node_constants.size(); ++n) {
    uint64_t added = 0;
    std::vector<int> fresh;
    for (int c : request.node_constants[n]) {
      if (plan.resident[static_cast<size_t>(c)]) continue;
      if (std::find(in_group.begin(), in_group.end(), c) != in_group.end()) continue;
      fresh.push_back(c);
      added += request.constant_bytes[static_cast<size_t>(c)];
    }
    if (starts.empty() || group_bytes + added > plan.slot_bytes) {
      starts.push_back(static_cast<int>(n));
      in_group.clear();
      group_bytes = 0;
      fresh.clear();
      added = 0;
      for (int c : request.node_constants[n])
        if (!plan.resident[static_cast<size_t>(c)]) {
          fresh.push_back(c);
          added += request.constant_bytes[static_cast<size_t>(c)];
        }
    }
    in_group.insert(in_group.end(), fresh.begin(), fresh.end());
    group_bytes += added;
  }
  return starts;
}

}  // namespace fennec::graph
