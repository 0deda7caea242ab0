#include <doctest/doctest.h>

#include <random>

#include "graph/memory_planner.h"

using fennec::graph::BufferRequest;
using fennec::graph::MemoryPlan;

namespace {

// No two requests alive at the same step may overlap in the arena.
void check_no_overlap(const std::vector<BufferRequest>& r, const MemoryPlan& plan, uint64_t alignment) {
  REQUIRE(plan.offsets.size() == r.size());
  for (size_t i = 0; i < r.size(); ++i) {
    CHECK(plan.offsets[i] % alignment == 0);
    CHECK(plan.offsets[i] + r[i].size <= plan.arena_bytes);
    for (size_t j = i + 1; j < r.size(); ++j) {
      const bool live_together = r[i].first_use <= r[j].last_use && r[j].first_use <= r[i].last_use;
      if (!live_together) continue;
      const bool disjoint = plan.offsets[i] + r[i].size <= plan.offsets[j] ||
                            plan.offsets[j] + r[j].size <= plan.offsets[i];
      CHECK_MESSAGE(disjoint, "requests " << i << " and " << j << " overlap");
    }
  }
}

}  // namespace

TEST_CASE("memory_planner: a chain reuses two slots") {
  // x0 -> x1 -> x2 -> x3 -> x4, each 1000 bytes, each read only by the next step.
  std::vector<BufferRequest> r;
  for (int i = 0; i < 5; ++i) r.push_back({1000, i - 1, i});
  for (const MemoryPlan& plan : {fennec::graph::plan_greedy_by_size(r, 64), fennec::graph::plan_in_order(r, 64)}) {
    check_no_overlap(r, plan, 64);
    CHECK(plan.arena_bytes == 2 * 1024);
    CHECK(plan.naive_bytes == 5 * 1024);
  }
}

TEST_CASE("memory_planner: a long-lived skip connection keeps its slot") {
  std::vector<BufferRequest> r = {
      {4096, -1, 4},  // skip input, read at the end
      {2048, 0, 1}, {2048, 1, 2}, {2048, 2, 3}, {4096, 3, 4}, {4096, 4, 5},
  };
  MemoryPlan plan = fennec::graph::plan_memory(r, 64);
  check_no_overlap(r, plan, 64);
  CHECK(plan.arena_bytes <= 4096 + 4096 + 4096);
  CHECK(plan.arena_bytes < plan.naive_bytes);
}

TEST_CASE("memory_planner: random lifetimes never overlap and the best plan is kept") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<BufferRequest> r;
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      const int first = static_cast<int>(rng() % 30) - 1;
      const int last = first + static_cast<int>(rng() % 8);
      r.push_back({1 + rng() % 100000, first, last});
    }
    MemoryPlan a = fennec::graph::plan_greedy_by_size(r, 256);
    MemoryPlan b = fennec::graph::plan_in_order(r, 256);
    MemoryPlan best = fennec::graph::plan_memory(r, 256);
    check_no_overlap(r, a, 256);
    check_no_overlap(r, b, 256);
    CHECK(best.arena_bytes == std::min(a.arena_bytes, b.arena_bytes));
    CHECK(best.arena_bytes <= best.naive_bytes);
  }
}
