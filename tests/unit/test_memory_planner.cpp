#include <doctest/doctest.h>

#include <random>

#include "graph/memory_planner.h"
#include "graph/residency.h"
#include "graph/spill_planner.h"

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

TEST_CASE("memory_planner: blocks never cut a tensor") {
  using fennec::graph::ByteRange;
  std::mt19937 rng(11);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<ByteRange> ranges;
    uint64_t total = 0;
    for (int i = 0; i < 30; ++i) {
      const uint64_t begin = rng() % 5000, size = 1 + rng() % 900;
      ranges.push_back({begin, begin + size});
      total = std::max(total, begin + size);
    }
    const uint64_t cap = 200 + rng() % 2000;
    const auto blocks = fennec::graph::split_into_blocks(ranges, total, cap);
    REQUIRE(!blocks.empty());
    CHECK(blocks.front().begin == 0);
    CHECK(blocks.back().end == total);
    for (size_t b = 1; b < blocks.size(); ++b) CHECK(blocks[b].begin == blocks[b - 1].end);
    for (const ByteRange& r : ranges) {
      int inside = 0;
      for (const ByteRange& block : blocks) inside += block.begin <= r.begin && r.end <= block.end;
      CHECK_MESSAGE(inside == 1, "range [" << r.begin << ", " << r.end << ") is cut");
    }
    // A block longer than the cap holds a range that could not be cut.
    for (const ByteRange& block : blocks)
      if (block.end - block.begin > cap) {
        bool forced = false;
        for (const ByteRange& r : ranges) forced = forced || (r.begin < block.begin + cap && r.end > block.begin + cap);
        CHECK(forced);
      }
  }
  // Back-to-back ranges of 100 bytes, cap 250: blocks of two.
  std::vector<ByteRange> packed;
  for (uint64_t i = 0; i < 7; ++i) packed.push_back({i * 100, i * 100 + 100});
  const auto blocks = fennec::graph::split_into_blocks(packed, 700, 250);
  REQUIRE(blocks.size() == 4);
  CHECK(blocks[0].end == 200);
  CHECK(blocks[3].end == 700);
}

TEST_CASE("residency: everything resident when it fits, the largest constants first when not") {
  using fennec::graph::ResidencyPlan;
  fennec::graph::ResidencyRequest request;
  // Tensor 0 is an activation; constants 1..4 of 100, 400, 300, 50 bytes.
  request.constant_bytes = {0, 100, 400, 300, 50};
  request.node_constants = {{1}, {2, 4}, {3}, {1}};
  auto exact = [](uint64_t bytes) { return bytes; };
  ResidencyPlan plan;
  uint64_t minimum = 0;
  REQUIRE(fennec::graph::plan_residency(request, 850, exact, plan, minimum));
  CHECK(!plan.streams());
  CHECK(plan.resident_bytes == 850);
  // Streaming all: slots of 450 (node 1) -> 900; 400 resident: slots of 300
  // -> 1000; 400 and 300: slots of 100 -> 900; all but 50: 800 + 100 = 900.
  // Nothing fits 700, and everything resident (850) is the cheapest.
  CHECK(!fennec::graph::plan_residency(request, 700, exact, plan, minimum));
  CHECK(minimum == 850);
  // One constant per node: streaming wins over residency.
  request.constant_bytes = {0, 1000, 1000, 1000, 1000};
  request.node_constants = {{1}, {2}, {3}, {4}};
  REQUIRE(fennec::graph::plan_residency(request, 2500, exact, plan, minimum));
  CHECK(minimum == 2000);  // all streamed through two 1000-byte slots
  CHECK(plan.streams());
  CHECK(plan.slot_bytes >= 1000);
  CHECK(plan.resident_bytes + 2 * plan.slot_bytes <= 2500);
  // The most resident bytes within the room: 0 resident + 2 slots (2000),
  // or 1000 resident + 2 slots (3000) -> only the first fits 2500.
  CHECK(plan.resident_bytes == 0);
  REQUIRE(fennec::graph::plan_residency(request, 3000, exact, plan, minimum));
  CHECK(plan.resident_bytes == 1000);
  // Constant 1 resident; nodes 0 and 1 share the first slot fill.
  CHECK(plan.resident[1]);
  CHECK(plan.slot_bytes == 1000);
  CHECK(fennec::graph::plan_stream_groups(request, plan) == std::vector<int>{0, 2, 3});
}

TEST_CASE("residency: stream groups fill a slot with consecutive nodes") {
  fennec::graph::ResidencyRequest request;
  request.constant_bytes = {0, 100, 100, 100, 100, 100};
  request.node_constants = {{1}, {2}, {}, {3, 1}, {4}, {5}};
  fennec::graph::ResidencyPlan plan;
  plan.resident.assign(6, false);
  plan.slot_bytes = 250;
  // Groups: {0, 1, 2} (1, 2), {3, 4} (3, 1, then 4 would make 300 -> new), ...
  const auto starts = fennec::graph::plan_stream_groups(request, plan);
  REQUIRE(starts.size() == 3);
  CHECK(starts[0] == 0);
  CHECK(starts[1] == 3);
  CHECK(starts[2] == 4);
}

TEST_CASE("spill planner: idle buffers leave the arena over their idle stretch") {
  using fennec::graph::ActivationUses;
  // Steps 0..5. x: input read at 0 and 4; s: written at 0, read at 1 and 5;
  // c1..c4 a chain; y: written at 5, downloaded at 6.
  std::vector<ActivationUses> uses = {
      {4096, {-1, 0, 4}, INT32_MAX},  // x
      {4096, {0, 1, 5}, 0},           // s
      {4096, {1, 2}, 1}, {4096, {2, 3}, 2}, {4096, {3, 4}, 3}, {4096, {4, 5}, 4},
      {4096, {5, 6}, 5},  // y
  };
  const auto none = fennec::graph::plan_spills(uses, 6, 64, UINT64_MAX);
  CHECK(none.gaps.empty());
  CHECK(none.copied_bytes == 0);
  CHECK(none.memory.arena_bytes == 4 * 4096);  // x, s and two of the chain

  const auto most = fennec::graph::plan_spills(uses, 6, 64, 0);
  CHECK(most.memory.arena_bytes == 3 * 4096);  // steps 4 and 5 touch three buffers each
  CHECK(most.memory.arena_bytes < none.memory.arena_bytes);
  // One request per live range, none overlapping another alive with it;
  // every step an activation uses lies in one of its ranges.
  check_no_overlap(most.requests, most.memory, 64);
  for (size_t a = 0; a < uses.size(); ++a)
    for (int step : uses[a].steps) CHECK(fennec::graph::range_at(most, a, step) != SIZE_MAX);
  bool spilled_x = false, spilled_s = false;
  for (const auto& gap : most.gaps) {
    CHECK(gap.before - gap.after >= 2);
    if (gap.activation == 0) {
      spilled_x = true;
      CHECK(!gap.copy_out);  // the host still holds the input
      CHECK(gap.copy_in);
    }
    if (gap.activation == 1) {
      spilled_s = true;
      CHECK(gap.after == 1);
      CHECK(gap.before == 5);
      CHECK(gap.copy_out);
      CHECK(gap.copy_in);
    }
  }
  CHECK(spilled_x);
  CHECK(spilled_s);
  // A target the arena meets without spilling spills nothing.
  CHECK(fennec::graph::plan_spills(uses, 6, 64, none.memory.arena_bytes).gaps.empty());
}

TEST_CASE("spill planner: an output finished early is downloaded early") {
  using fennec::graph::ActivationUses;
  // o: written at 0, a graph output (downloaded at 4); a chain c runs on.
  std::vector<ActivationUses> uses = {
      {64, {-1, 0}, INT32_MAX}, {8192, {0, 4}, 0}, {8192, {0, 1}, 0}, {8192, {1, 2}, 1},
      {8192, {2, 3}, 2},          {8192, {3, 4}, 3},
  };
  const auto most = fennec::graph::plan_spills(uses, 4, 64, 0);
  bool early = false;
  for (const auto& gap : most.gaps)
    if (gap.activation == 1) {
      early = true;
      CHECK(gap.after == 0);
      CHECK(gap.before == 4);
      CHECK(!gap.copy_out);
      CHECK(!gap.copy_in);
    }
  CHECK(early);
  CHECK(most.copied_bytes == 0);
}

TEST_CASE("spill planner: buffers leave the arena around the steps that use them in host memory") {
  using fennec::graph::ActivationUses;
  // Step 2 runs in host memory (a banded node): it reads a and writes b;
  // w is its window in the arena. a: written at 0, read at 1, 2 and 3;
  // b: read at 3 and 4; c: written at 1, read at 4; y: the output.
  std::vector<ActivationUses> uses = {
      {4096, {-1, 0}, INT32_MAX},         // x
      {4096, {0, 1, 2, 3}, 0, {2}},       // a
      {4096, {2, 3, 4}, 2, {2}},          // b
      {4096, {1, 4}, 1},                  // c
      {1024, {2}, 2},                     // w
      {4096, {4, 5}, 4},                  // y
  };
  const auto plan = fennec::graph::plan_spills(uses, 5, 64, UINT64_MAX);
  check_no_overlap(plan.requests, plan.memory, 64);
  // Absent at step 2, present at every other use.
  for (size_t a : {size_t{1}, size_t{2}}) CHECK(fennec::graph::range_at(plan, a, 2) == SIZE_MAX);
  CHECK(fennec::graph::range_at(plan, 1, 1) != SIZE_MAX);
  CHECK(fennec::graph::range_at(plan, 1, 3) != SIZE_MAX);
  CHECK(fennec::graph::range_at(plan, 2, 3) != SIZE_MAX);
  REQUIRE(plan.gaps.size() == 2);
  // a goes out after step 1 and comes back before step 3.
  CHECK(plan.gaps[0].activation == 1);
  CHECK(plan.gaps[0].after == 1);
  CHECK(plan.gaps[0].before == 3);
  CHECK(plan.gaps[0].copy_out);
  CHECK(plan.gaps[0].copy_in);
  CHECK(!plan.gaps[0].restore_input);
  // b is written in host memory: nothing to copy out, copied in before step 3.
  CHECK(plan.gaps[1].activation == 2);
  CHECK(plan.gaps[1].after == 2);
  CHECK(plan.gaps[1].before == 3);
  CHECK(!plan.gaps[1].copy_out);
  CHECK(plan.gaps[1].copy_in);
  CHECK(plan.copied_bytes == 3 * 4096);
  // Step 2 touches only the window; step 4 touches b, c and y.
  CHECK(plan.floor_bytes == 3 * 4096);
  CHECK(plan.floor_step == 4);
  // Host steps only: never in the arena.
  uses.push_back({4096, {2}, 2, {2}});
  const auto only_host = fennec::graph::plan_spills(uses, 5, 64, UINT64_MAX);
  CHECK(only_host.activation_requests.back().empty());
}
