#include "graph/memory_planner.h"

#include <algorithm>
#include <numeric>

#include "base/align.h"

namespace fennec::graph {
namespace {

bool overlaps(const BufferRequest& a, const BufferRequest& b) {
  return a.first_use <= b.last_use && b.first_use <= a.last_use;
}

// Places requests in `order`; each goes into the best-fitting gap between
// already-placed requests that are alive at the same time.
MemoryPlan place(const std::vector<BufferRequest>& requests, const std::vector<size_t>& order,
                 uint64_t alignment, bool best_fit) {
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<size_t> placed;
  for (size_t index : order) {
    const BufferRequest& request = requests[index];
    const uint64_t size = align_up(std::max<uint64_t>(request.size, 1), alignment);
    std::vector<std::pair<uint64_t, uint64_t>> busy;  // [begin, end)
    for (size_t other : placed) {
      if (!overlaps(request, requests[other])) continue;
      busy.emplace_back(plan.offsets[other],
                        plan.offsets[other] + align_up(std::max<uint64_t>(requests[other].size, 1), alignment));
    }
    std::sort(busy.begin(), busy.end());
    uint64_t best_offset = UINT64_MAX, best_waste = UINT64_MAX, cursor = 0;
    for (const auto& [begin, end] : busy) {
      if (begin > cursor && begin - cursor >= size) {
        const uint64_t waste = begin - cursor - size;
        if (waste < best_waste) {
          best_waste = waste;
          best_offset = cursor;
          if (!best_fit) break;
        }
      }
      cursor = std::max(cursor, end);
    }
    if (best_offset == UINT64_MAX) best_offset = cursor;
    plan.offsets[index] = best_offset;
    plan.arena_bytes = std::max(plan.arena_bytes, best_offset + size);
    placed.push_back(index);
  }
  for (const BufferRequest& r : requests) plan.naive_bytes += align_up(std::max<uint64_t>(r.size, 1), alignment);
  return plan;
}

}  // namespace

MemoryPlan plan_greedy_by_size(const std::vector<BufferRequest>& requests, uint64_t alignment) {
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return requests[a].size > requests[b].size; });
  MemoryPlan plan = place(requests, order, alignment, true);
  plan.strategy = "greedy-by-size";
  return plan;
}

MemoryPlan plan_in_order(const std::vector<BufferRequest>& requests, uint64_t alignment) {
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return requests[a].first_use < requests[b].first_use;
  });
  MemoryPlan plan = place(requests, order, alignment, false);
  plan.strategy = "in-order-first-fit";
  return plan;
}

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests, uint64_t alignment) {
  MemoryPlan by_size = plan_greedy_by_size(requests, alignment);
  MemoryPlan in_order = plan_in_order(requests, alignment);
  return in_order.arena_bytes < by_size.arena_bytes ? in_order : by_size;
}

std::vector<ByteRange> split_into_blocks(std::vector<ByteRange> ranges, uint64_t total,
                                         uint64_t block_bytes) {
  // Candidate cuts are range ends and begins; a cut is valid when no range
  // that begins before it ends after it.
  std::sort(ranges.begin(), ranges.end(),
            [](const ByteRange& a, const ByteRange& b) { return a.begin < b.begin; });
  std::vector<uint64_t> cuts;
  for (const ByteRange& r : ranges) {
    cuts.push_back(r.begin);
    cuts.push_back(r.end);
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  std::vector<uint64_t> valid;  // ascending, inside (0, total)
  size_t next = 0;
  uint64_t reach = 0;
  for (uint64_t cut : cuts) {
    while (next < ranges.size() && ranges[next].begin < cut) reach = std::max(reach, ranges[next++].end);
    if (reach <= cut && cut > 0 && cut < total) valid.push_back(cut);
  }
  std::vector<ByteRange> blocks;
  uint64_t begin = 0;
  size_t i = 0;
  while (begin < total) {
    if (total - begin <= block_bytes) {
      blocks.push_back({begin, total});
      break;
    }
    // A full block when its end falls outside every range; else the
    // furthest valid cut within one block; else the nearest beyond it.
    const uint64_t full = begin + block_bytes;
    const bool free = std::none_of(ranges.begin(), ranges.end(),
                                   [&](const ByteRange& r) { return r.begin < full && full < r.end; });
    while (i < valid.size() && valid[i] <= begin) ++i;
    size_t j = i;
    while (j < valid.size() && valid[j] <= full) ++j;
    const uint64_t end = free ? full : j > i ? valid[j - 1] : (i < valid.size() ? valid[i] : total);
    blocks.push_back({begin, end});
    begin = end;
  }
  return blocks;
}

}  // namespace fennec::graph
