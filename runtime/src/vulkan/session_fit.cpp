// How a session plan fits its memory budget: the arena, the transfer
// buffer and the weights (resident, or streamed through two slots), with
// idle activations spilled to host memory when even that is not enough.
#include <algorithm>

#include "base/align.h"
#include "graph/residency.h"
#include "vulkan/session.h"
#include "vulkan/session_plan.h"

namespace fennec::vulkan {
namespace {

double mib(uint64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

// Rounds of spill planning before settling for the most spilled plan.
constexpr int kSpillAttempts = 6;

// The transfer buffer when the copies around one submission do not fit the
// budget whole: they pass through it in pieces.
constexpr uint64_t kTransferPiece = 1 << 20;

}  // namespace

void Session::layout_arena(Plan& plan) const {
  const graph::MemoryPlan& memory = plan.spill.memory;
  std::vector<graph::ByteRange> ranges;
  for (size_t r = 0; r < memory.offsets.size(); ++r)
    ranges.push_back({memory.offsets[r], memory.offsets[r] + std::max<uint64_t>(plan.spill.requests[r].size, 4)});
  plan.arena_blocks = graph::split_into_blocks(std::move(ranges), memory.arena_bytes, block_bytes_);
}

uint64_t Session::staging_bytes(const Plan& plan) const {
  if (arena_mapped_) return 0;
  // Without weight groups: more submissions only ever split the copies.
  return make_schedule(plan.buffers, plan.uses, plan.spill, static_cast<int>(graph_.nodes.size()), {0})
      .staging_bytes;
}

Status Session::too_small(const Plan& plan, uint64_t other, uint64_t arena, uint64_t staging,
                          uint64_t weights) const {
  std::string shapes;
  for (int input : graph_.inputs) {
    if (!shapes.empty()) shapes += ", ";
    shapes += graph_.tensors[static_cast<size_t>(input)].name + " " +
              shape_to_string(plan.shapes[static_cast<size_t>(input)]);
  }
  const uint64_t need = other + arena + staging + weights;
  // What keeps the arena from shrinking further when spilling is not enough.
  std::string floor;
  const int step = plan.spill.floor_step;
  if (step >= 0 && step < static_cast<int>(graph_.nodes.size()) && plan.spill.floor_bytes * 10 >= arena * 9) {
    const graph::Node& node = graph_.nodes[static_cast<size_t>(step)];
    floor = fmt::format(" (node '{}' ({}) alone reads and writes {:.1f} MiB of activations)", node.name,
                        node.op->type_name(), mib(plan.spill.floor_bytes));
  }
  const char* dominant = arena >= weights && arena >= staging ? "the activation arena dominates"
                         : weights >= staging                 ? "the weights dominate"
                                                              : "the staging buffers dominate";
  return make_error(StatusCode::kOutOfMemory,
                    "the memory budget of {} bytes ({:.1f} MiB) is too small for input {}: the smallest "
                    "budget that works is {} bytes ({:.1f} MiB): activation arena {:.1f} MiB (idle activations "
                    "spilled to host memory), weights {:.1f} MiB (streamed where they do not fit), staging "
                    "{:.1f} MiB, other {} bytes; {}{}. Raise the budget (--memory-budget) or use smaller inputs",
                    allocator_->budget_bytes(), mib(allocator_->budget_bytes()), shapes, need, mib(need),
                    mib(arena), mib(weights), mib(staging), other, dominant, floor);
}

Status Session::fit(Plan& plan) {
  const Allocator& allocator = *allocator_;
  const uint64_t budget = allocator.budget_bytes();
  const uint64_t other = allocator.stats().current_by_category[static_cast<size_t>(MemoryCategory::kOther)];
  // The current arena serves the plan when each planned block starts where
  // a current block does and ends within it.
  bool arena_fits = true, transfer_fits = true, pieces = false;
  uint64_t arena = 0, staging = 0, transfer_needed = 0;
  auto measure = [&]() {
    arena_fits = true;
    for (const graph::ByteRange& block : plan.arena_blocks) {
      auto it = std::find_if(arena_blocks_.begin(), arena_blocks_.end(),
                             [&](const graph::ByteRange& b) { return b.begin == block.begin; });
      arena_fits = arena_fits && it != arena_blocks_.end() && it->end >= block.end;
    }
    arena = 0;
    if (arena_fits) {
      for (const Buffer& block : arena_) arena += allocator.allocation_size(block.size());
    } else {
      for (const graph::ByteRange& block : plan.arena_blocks)
        arena += allocator.allocation_size(block.end - block.begin);
    }
    transfer_needed = staging_bytes(plan);
    if (pieces) transfer_needed = std::min(transfer_needed, kTransferPiece);
    // Bands pass through it whole.
    if (!arena_mapped_) transfer_needed = std::max(transfer_needed, plan.window_bytes);
    transfer_fits = transfer_.size() >= transfer_needed;
    staging = transfer_needed == 0 && !transfer_.valid() ? 0
              : transfer_fits                            ? allocator.allocation_size(transfer_.size())
                                                         : allocator.allocation_size(transfer_needed);
  };
  auto weights_fit = [&]() {
    return weights_->applied() && other + arena + staging + weights_->device_bytes(weights_->plan()) <= budget;
  };
  auto copies_in_pieces = [&]() { return !arena_mapped_ && transfer_.size() < staging_bytes(plan); };
  measure();
  bool keep_weights = weights_fit();
  if (keep_weights && arena_fits && transfer_fits) {
    plan.copies_in_pieces = copies_in_pieces();
    return ok_status();
  }

  // The weights in what the rest leaves: resident where they fit, streamed
  // otherwise. Blocks round separately: shrink the room until it fits.
  graph::ResidencyPlan residency = weights_->plan();
  uint64_t weights_minimum = 0;
  auto size_of = [&](uint64_t bytes) { return allocator.allocation_size(bytes); };
  // Device-memory slots filled from staging where the budget has room for
  // the staging; else host-memory slots read in place.
  const graph::ResidencyRequest& staged = weights_->request();
  graph::ResidencyRequest in_place = staged;
  in_place.slot_buffers = 2;
  auto place = [&](const graph::ResidencyRequest& request) {
    const uint64_t fixed = other + arena + staging;
    if (fixed > budget) return false;
    uint64_t available = budget - fixed;
    for (int attempt = 0; attempt < 4; ++attempt) {
      if (!graph::plan_residency(request, available, size_of, residency, weights_minimum)) return false;
      const uint64_t exact = weights_->device_bytes(residency);
      if (exact <= budget - fixed) return true;
      available -= std::min(available, exact - (budget - fixed));
    }
    return false;
  };
  auto place_weights = [&]() { return place(staged) || (staged.slot_buffers > 2 && place(in_place)); };
  bool found = keep_weights || place_weights();
  if (!found && !arena_mapped_ && transfer_needed > kTransferPiece) {
    // The host copies in pieces through a small transfer buffer.
    pieces = true;
    measure();
    keep_weights = weights_fit();
    found = keep_weights || place_weights();
  }
  // Spill idle activations until the arena leaves the weights their
  // smallest footprint; replan with less room while rounding gets in the way.
  auto spill = [&]() {
    pieces = true;
    graph::plan_residency(in_place, 0, size_of, residency, weights_minimum);
    const uint64_t naive = plan.spill.memory.naive_bytes;
    measure();
    const uint64_t reserved = other + staging + weights_minimum;
    uint64_t target = budget > reserved ? budget - reserved : 0;
    for (int attempt = 0; attempt < kSpillAttempts && !found; ++attempt) {
      if (attempt + 1 == kSpillAttempts) target = 0;
      plan.spill = graph::plan_spills(plan.uses, static_cast<int>(graph_.nodes.size()), alignment_, target);
      plan.spill.memory.naive_bytes = naive;
      layout_arena(plan);
      measure();
      found = place_weights();
      const uint64_t need = other + arena + staging + weights_minimum;
      const uint64_t step = std::max<uint64_t>({need > budget ? need - budget : 0, arena / 64, alignment_});
      if (!found) target -= std::min(target, step);
    }
  };
  if (!found) spill();
  // Below what one node touches: the largest nodes run in bands.
  if (!found && plan.banded.empty() && band_nodes(plan)) spill();
  if (!found) return too_small(plan, other, arena, staging, weights_minimum);
  // Everything is idle (run() waits), so buffers can be replaced; free the
  // old ones first so that the peak stays within the budget.
  // New weights are uploaded before the arena and the transfer buffer are
  // allocated again, so that their staging has the room those leave.
  const bool new_weights = !keep_weights;
  const bool new_arena = !arena_fits || new_weights, new_transfer = !transfer_fits || new_weights;
  drop_plans();
  if (new_arena) {
    arena_.clear();
    arena_blocks_.clear();
  }
  if (new_weights) weights_->release();
  if (new_transfer) transfer_.reset();
  if (new_weights) FENNEC_RETURN_IF_ERROR(weights_->apply(residency));
  if (new_arena) {
    for (const graph::ByteRange& block : plan.arena_blocks) {
      FENNEC_ASSIGN_OR_RETURN(Buffer buffer, allocator_->create_buffer(block.end - block.begin,
                                                                       MemoryUsage::kDeviceLocal,
                                                                       MemoryCategory::kArena));
      if (arena_mapped_ && !buffer.mapped())
        return make_error(StatusCode::kDeviceError, "the arena memory of '{}' is not host-visible",
                          context_.caps().name);
      arena_.push_back(std::move(buffer));
      arena_blocks_.push_back(block);
    }
  }
  if (new_transfer && transfer_needed > 0) {
    FENNEC_ASSIGN_OR_RETURN(transfer_, allocator_->create_buffer(transfer_needed, MemoryUsage::kHostReadback,
                                                                 MemoryCategory::kStaging));
  }
  plan.copies_in_pieces = copies_in_pieces();
  return ok_status();
}

}  // namespace fennec::vulkan
