#include "graph/spill_planner.h"

#include <algorithm>

#include "base/align.h"

namespace fennec::graph {
namespace {

// Steps [first, last], both included.
struct LiveRange {
  int first = 0;
  int last = 0;
};

bool is_host_step(const ActivationUses& u, int step) {
  return std::binary_search(u.host_steps.begin(), u.host_steps.end(), step);
}

// The ranges in which activation `u` holds data, given its spilled gaps.
// A range that would only be the upload, only the download or only a host
// step is dropped.
std::vector<LiveRange> live_ranges(const ActivationUses& u, const std::vector<SpillGap>& gaps, int step_count) {
  std::vector<LiveRange> ranges;
  auto add = [&](int first, int last) {
    if (!(first == last && is_host_step(u, first))) ranges.push_back({first, last});
  };
  int begin = u.steps.front();
  for (const SpillGap& gap : gaps) {
    if (!(begin == -1 && gap.after == -1)) add(begin, gap.after);
    begin = gap.before;
  }
  if (gaps.empty() || gaps.back().before != step_count) add(begin, u.steps.back());
  return ranges;
}

// The copies a gap of `u` needs at its ends.
void set_copies(const ActivationUses& u, int step_count, SpillGap& gap) {
  const bool host_holds_it = u.steps.front() == -1 && gap.after < u.first_write;
  gap.copy_out = !(host_holds_it || gap.before == step_count || is_host_step(u, gap.after));
  gap.copy_in = !(gap.before == step_count || is_host_step(u, gap.before));
  gap.restore_input = gap.copy_in && host_holds_it;
}

// The gaps around each run of host steps: from the use before the run to
// the use after it (a host step itself where there is none).
std::vector<SpillGap> host_gaps(size_t activation, const ActivationUses& u, int step_count) {
  std::vector<SpillGap> gaps;
  const std::vector<int>& steps = u.steps;
  for (size_t i = 0; i < steps.size();) {
    if (!is_host_step(u, steps[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j + 1 < steps.size() && is_host_step(u, steps[j + 1])) ++j;
    SpillGap gap{activation, i > 0 ? steps[i - 1] : steps[i], j + 1 < steps.size() ? steps[j + 1] : steps[j]};
    if (gap.after != gap.before) {
      set_copies(u, step_count, gap);
      gaps.push_back(gap);
    }
    i = j + 1;
  }
  return gaps;
}

struct Candidate {
  size_t activation = SIZE_MAX;
  int after = 0, before = 0;
};

}  // namespace

size_t range_at(const SpillPlan& plan, size_t activation, int step) {
  for (size_t r : plan.activation_requests[activation])
    if (plan.requests[r].first_use <= step && step <= plan.requests[r].last_use) return r;
  return SIZE_MAX;
}

SpillPlan plan_spills(const std::vector<ActivationUses>& uses, int step_count, uint64_t alignment,
                      uint64_t target_bytes) {
  const size_t count = uses.size();
  std::vector<std::vector<SpillGap>> chosen(count);
  for (size_t a = 0; a < count; ++a) chosen[a] = host_gaps(a, uses[a], step_count);
  std::vector<std::vector<LiveRange>> ranges(count);
  SpillPlan plan;
  auto replan = [&]() {
    plan.requests.clear();
    plan.request_activation.clear();
    plan.activation_requests.assign(count, {});
    for (size_t a = 0; a < count; ++a) {
      ranges[a] = live_ranges(uses[a], chosen[a], step_count);
      for (const LiveRange& r : ranges[a]) {
        plan.activation_requests[a].push_back(plan.requests.size());
        plan.request_activation.push_back(a);
        plan.requests.push_back({uses[a].size, r.first, r.last});
      }
    }
    plan.memory = plan_memory(plan.requests, alignment);
  };
  replan();
  const uint64_t naive = plan.memory.naive_bytes;
  std::vector<uint64_t> alive(static_cast<size_t>(step_count) + 2);  // step s at s + 1
  while (plan.memory.arena_bytes > target_bytes) {
    std::fill(alive.begin(), alive.end(), 0);
    for (size_t a = 0; a < count; ++a) {
      const uint64_t bytes = align_up(std::max<uint64_t>(uses[a].size, 1), alignment);
      for (const LiveRange& r : ranges[a])
        for (int s = r.first; s <= r.last; ++s) alive[static_cast<size_t>(s + 1)] += bytes;
    }
    const int peak = static_cast<int>(std::max_element(alive.begin(), alive.end()) - alive.begin()) - 1;
    // The largest buffer alive but idle at the peak; among equals the
    // longest idle stretch (fewest copies for the bytes freed).
    Candidate best;
    for (size_t a = 0; a < count; ++a) {
      const auto inside = std::find_if(ranges[a].begin(), ranges[a].end(),
                                       [&](const LiveRange& r) { return r.first <= peak && peak <= r.last; });
      if (inside == ranges[a].end()) continue;
      const std::vector<int>& steps = uses[a].steps;
      const auto next = std::upper_bound(steps.begin(), steps.end(), peak);
      if (next == steps.begin() || next == steps.end() || *(next - 1) == peak) continue;
      const int after = *(next - 1), before = *next;
      if (after == -1 && before == step_count) continue;
      if (best.activation != SIZE_MAX) {
        const uint64_t size = uses[a].size, best_size = uses[best.activation].size;
        if (size < best_size || (size == best_size && before - after <= best.before - best.after)) continue;
      }
      best = {a, after, before};
    }
    if (best.activation == SIZE_MAX) break;
    SpillGap gap{best.activation, best.after, best.before};
    set_copies(uses[best.activation], step_count, gap);
    std::vector<SpillGap>& gaps = chosen[best.activation];
    gaps.insert(std::upper_bound(gaps.begin(), gaps.end(), gap,
                                 [](const SpillGap& x, const SpillGap& y) { return x.after < y.after; }),
                gap);
    replan();
  }
  plan.memory.naive_bytes = naive;
  std::fill(alive.begin(), alive.end(), 0);
  for (const ActivationUses& u : uses)
    for (int s : u.steps)
      if (!is_host_step(u, s)) alive[static_cast<size_t>(s + 1)] += align_up(std::max<uint64_t>(u.size, 1), alignment);
  const auto floor = std::max_element(alive.begin(), alive.end());
  plan.floor_bytes = *floor;
  plan.floor_step = static_cast<int>(floor - alive.begin()) - 1;
  plan.gaps.clear();
  plan.copied_bytes = 0;
  for (const std::vector<SpillGap>& gaps : chosen)
    for (const SpillGap& gap : gaps) {
      plan.gaps.push_back(gap);
      plan.copied_bytes += uses[gap.activation].size * ((gap.copy_out ? 1 : 0) + (gap.copy_in ? 1 : 0));
    }
  return plan;
}

}  // namespace fennec::graph
