#include "vulkan/schedule.h"

#include <algorithm>

#include "base/align.h"

namespace fennec::vulkan {

Schedule make_schedule(const std::vector<ArenaBuffer>& buffers, const std::vector<graph::ActivationUses>& uses,
                       const graph::SpillPlan& spills, int step_count, const std::vector<int>& group_starts) {
  // A submission starts at every group start and every restore, and ends
  // after every copy out; a banded step is a segment of its own.
  std::vector<int> banded;
  for (const graph::ActivationUses& u : uses) banded.insert(banded.end(), u.host_steps.begin(), u.host_steps.end());
  std::sort(banded.begin(), banded.end());
  banded.erase(std::unique(banded.begin(), banded.end()), banded.end());
  std::vector<int> starts{0};
  for (int step : banded) {
    starts.push_back(step);
    starts.push_back(step + 1);
  }
  starts.insert(starts.end(), group_starts.begin(), group_starts.end());
  for (const graph::SpillGap& gap : spills.gaps) {
    if (gap.copy_in) starts.push_back(gap.before);
    if (gap.after >= 0 && (gap.copy_out || !gap.copy_in)) starts.push_back(gap.after + 1);
  }
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  while (starts.size() > 1 && starts.back() >= step_count) starts.pop_back();

  Schedule schedule;
  for (size_t s = 0; s < starts.size(); ++s) {
    Segment segment;
    segment.first_node = starts[s];
    segment.end_node = s + 1 < starts.size() ? starts[s + 1] : std::max(step_count, starts[s]);
    const auto group = std::upper_bound(group_starts.begin(), group_starts.end(), segment.first_node);
    segment.group = group == group_starts.begin() ? 0 : static_cast<size_t>(group - group_starts.begin() - 1);
    segment.fills_slot = !group_starts.empty() && group_starts[segment.group] == segment.first_node;
    segment.banded = std::binary_search(banded.begin(), banded.end(), segment.first_node);
    schedule.segments.push_back(std::move(segment));
  }
  auto segment_of = [&](int step) -> Segment& {
    const auto it = std::upper_bound(starts.begin(), starts.end(), std::max(step, 0));
    return schedule.segments[static_cast<size_t>(it - starts.begin() - 1)];
  };

  std::vector<std::vector<const graph::SpillGap*>> gaps_of(buffers.size());
  for (const graph::SpillGap& gap : spills.gaps) gaps_of[gap.activation].push_back(&gap);
  schedule.store_of.assign(buffers.size(), SIZE_MAX);
  for (size_t a = 0; a < buffers.size(); ++a) {
    const ArenaBuffer& buffer = buffers[a];
    if (buffer.bytes == 0) continue;
    // A copy of the range that holds `step`.
    auto copy = [&](HostCopyKind kind, size_t index, int step) {
      const size_t range = graph::range_at(spills, a, step);
      return HostCopy{kind, index, spills.memory.offsets[range], buffer.bytes, 0};
    };
    const auto& gaps = gaps_of[a];
    const bool stored = !uses[a].host_steps.empty() ||
                        std::any_of(gaps.begin(), gaps.end(), [](const graph::SpillGap* g) { return g->copy_out; });
    if (stored) {
      schedule.store_of[a] = schedule.store_bytes.size();
      schedule.store_bytes.push_back(buffer.bytes);
    }
    const size_t store = schedule.store_of[a];
    if (buffer.input >= 0 && (gaps.empty() || gaps.front()->after != -1))
      schedule.segments.front().before.push_back(copy(HostCopyKind::kInput, static_cast<size_t>(buffer.input), -1));
    for (const graph::SpillGap* gap : gaps) {
      if (gap->copy_out) segment_of(gap->after).after.push_back(copy(HostCopyKind::kSpillOut, store, gap->after));
      if (gap->copy_in) {
        segment_of(gap->before).before.push_back(
            gap->restore_input ? copy(HostCopyKind::kInput, static_cast<size_t>(buffer.input), gap->before)
                               : copy(HostCopyKind::kRestore, store, gap->before));
      } else if (gap->before == step_count) {
        for (size_t o : buffer.outputs)
          segment_of(gap->after).after.push_back(copy(HostCopyKind::kOutput, o, gap->after));
      }
    }
    if (gaps.empty() || gaps.back()->before != step_count)
      for (size_t o : buffer.outputs)
        schedule.segments.back().after.push_back(copy(HostCopyKind::kOutput, o, step_count));
  }
  for (Segment& segment : schedule.segments)
    for (auto* copies : {&segment.before, &segment.after}) {
      uint64_t offset = 0;
      for (HostCopy& c : *copies) {
        c.staging_offset = offset;
        offset = align_up(offset + c.bytes, 16);
      }
      schedule.staging_bytes = std::max(schedule.staging_bytes, offset);
    }
  return schedule;
}

}  // namespace fennec::vulkan
