// The banded nodes of a session plan: which nodes run in bands, their
// command buffers, and their runs (see vulkan/bands.h).
#include <algorithm>
#include <cstring>

#include "base/align.h"
#include "graph/activation_storage.h"
#include "vulkan/plan_recorder.h"
#include "vulkan/session.h"
#include "vulkan/session_plan.h"
#include "vulkan/vk_check.h"

namespace fennec::vulkan {
namespace {

// The smallest band window: below it, bands only add submissions.
constexpr uint64_t kMinWindow = 64 << 10;

}  // namespace

bool Session::band_nodes(Plan& plan) const {
  const int steps = static_cast<int>(graph_.nodes.size());
  // The arena bytes each node touches.
  std::vector<uint64_t> touched(static_cast<size_t>(steps), 0);
  for (const graph::ActivationUses& u : plan.uses)
    for (int s : u.steps)
      if (s >= 0 && s < steps) touched[static_cast<size_t>(s)] += align_up(std::max<uint64_t>(u.size, 1), alignment_);
  // Graph inputs and outputs stay where the schedule uploads and downloads them.
  auto bandable = [&](const graph::Node& node) {
    if (!can_band(graph_, node, plan.shapes)) return false;
    for (const std::vector<int>* tensors : {&node.inputs, &node.outputs})
      for (int t : *tensors) {
        const size_t b = t >= 0 ? plan.buffer_of[static_cast<size_t>(t)] : SIZE_MAX;
        if (b != SIZE_MAX && (plan.buffers[b].input >= 0 || !plan.buffers[b].outputs.empty())) return false;
      }
    return true;
  };
  uint64_t floor = 0;
  for (int n = 0; n < steps; ++n)
    if (!bandable(graph_.nodes[static_cast<size_t>(n)])) floor = std::max(floor, touched[static_cast<size_t>(n)]);
  // Where the arena is not mapped, the transfer buffer holds a second copy
  // of the window: keep both well below the floor.
  const uint64_t limit = std::max(floor / (arena_mapped_ ? 2 : 8), kMinWindow);
  plan.band_of.assign(graph_.nodes.size(), SIZE_MAX);
  for (int n = 0; n < steps; ++n) {
    const graph::Node& node = graph_.nodes[static_cast<size_t>(n)];
    if (touched[static_cast<size_t>(n)] <= floor || !bandable(node)) continue;
    BandedNode banded = plan_bands(graph_, n, plan.shapes, limit, alignment_);
    if (banded.window_bytes >= touched[static_cast<size_t>(n)]) continue;
    for (const std::vector<int>* tensors : {&node.inputs, &node.outputs})
      for (int t : *tensors) {
        const size_t b = t >= 0 ? plan.buffer_of[static_cast<size_t>(t)] : SIZE_MAX;
        if (b == SIZE_MAX) continue;
        std::vector<int>& host = plan.uses[b].host_steps;
        if (!std::binary_search(host.begin(), host.end(), n)) host.insert(std::upper_bound(host.begin(), host.end(), n), n);
      }
    banded.window = plan.buffers.size();
    plan.buffers.push_back({banded.window_bytes, -1, {}});
    plan.uses.push_back({banded.window_bytes, {n}, n, {}});
    plan.band_of[static_cast<size_t>(n)] = plan.banded.size();
    plan.window_bytes = std::max(plan.window_bytes, banded.window_bytes);
    plan.banded.push_back(std::move(banded));
  }
  return !plan.banded.empty();
}

Status Session::record_bands(Plan& plan, size_t k, PlanRecorder& recorder) {
  const std::vector<Segment>& segments = plan.schedule.segments;
  const Segment& segment = segments[k];
  const BandedNode& banded = plan.banded[plan.band_of[static_cast<size_t>(segment.first_node)]];
  const graph::Node& node = graph_.nodes[static_cast<size_t>(banded.node)];
  const VkDeviceSize window = plan.spill.memory.offsets[graph::range_at(plan.spill, banded.window, banded.node)];
  const size_t block = arena_block(window);
  const VkBuffer arena = arena_[block].handle();
  const VkDeviceSize at = window - arena_blocks_[block].begin;
  std::vector<VkCommandBuffer>& buffers = plan.band_buffers[k];
  buffers.assign(banded.bands.size(), VK_NULL_HANDLE);
  for (size_t i = 0; i < banded.bands.size(); ++i) {
    const Band& band = banded.bands[i];
    VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    alloc.commandPool = context_.command_pool();
    alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    alloc.commandBufferCount = 1;
    FENNEC_VK_RETURN_IF_ERROR(vkAllocateCommandBuffers(context_.device(), &alloc, &buffers[i]));
    VkCommandBuffer cb = buffers[i];
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    FENNEC_VK_RETURN_IF_ERROR(vkBeginCommandBuffer(cb, &begin));
    recorder.set_command_buffer(cb);
    const bool first = i == 0, last = i + 1 == banded.bands.size();
    if (k == 0 && first && timestamps_) {
      vkCmdResetQueryPool(cb, timestamps_, 0, query_count_);
      vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, timestamps_, 0);
    }
    full_barrier(cb);  // after the previous band, which used the window
    if (!arena_mapped_ && banded.inputs_bytes) {
      const VkBufferCopy region{0, at, banded.inputs_bytes};
      vkCmdCopyBuffer(cb, transfer_.handle(), arena, 1, &region);
    }
    if (first) record_slot_fill(cb, plan, segment);
    full_barrier(cb);
    // The bindings: constants where the weights are, activations in the window.
    auto bind = [&](const BandBinding& binding, RowRange rows) -> TensorBinding {
      if (binding.tensor < 0) return {};
      const auto& t = graph_.tensors[static_cast<size_t>(binding.tensor)];
      const Shape& shape = plan.shapes[static_cast<size_t>(binding.tensor)];
      if (binding.access == BandAccess::kNone)
        return {shape, slice_of(plan, segment.group, banded.node, binding.tensor), t.quant, t.dtype};
      const VkDeviceSize bytes = std::max<VkDeviceSize>(band_bytes(shape, t.dtype, binding.access, rows), 4);
      return {band_shape(shape, binding.access, rows), {arena, at + binding.window_offset, bytes}, t.quant, t.dtype};
    };
    std::vector<TensorBinding> ins, outs;
    for (size_t b = 0; b < banded.inputs.size(); ++b) ins.push_back(bind(banded.inputs[b], band.rows[b]));
    for (size_t b = 0; b < banded.outputs.size(); ++b)
      outs.push_back(bind(banded.outputs[b], band.rows[banded.inputs.size() + b]));
    recorder.set_activation16(graph::binary16_node(graph_, node));
    Status status = find_kernel(node.op->type())(band.op ? *band.op : *node.op, recorder, ins, outs);
    if (!status.ok())
      return status.with_context(fmt::format("recording band {} of node '{}' ({})", i, node.name, node.op->type_name()));
    if (!arena_mapped_) {
      const VkBufferCopy region{at + banded.inputs_bytes, banded.inputs_bytes, banded.window_bytes - banded.inputs_bytes};
      vkCmdCopyBuffer(cb, arena, transfer_.handle(), 1, &region);
    }
    host_barrier(cb);
    if (last && options_.profile && timestamps_)
      vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, timestamps_, static_cast<uint32_t>(banded.node) + 1);
    if (last && k + 1 == segments.size() && timestamps_)
      vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, timestamps_, query_count_ - 1);
    FENNEC_VK_RETURN_IF_ERROR(vkEndCommandBuffer(cb));
  }
  return ok_status();
}

Status Session::submit_and_wait(VkCommandBuffer cb, VkFence fence) {
  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &cb;
  VkResult r = vkResetFences(context_.device(), 1, &fence);
  if (r == VK_SUCCESS) r = vkQueueSubmit(context_.queue(), 1, &submit, fence);
  if (r != VK_SUCCESS) return vk_status(r, "vkQueueSubmit");
  r = vkWaitForFences(context_.device(), 1, &fence, VK_TRUE, UINT64_MAX);
  return r == VK_SUCCESS ? ok_status() : vk_status(r, "vkWaitForFences");
}

Status Session::run_bands(Plan& plan, size_t k) {
  const BandedNode& banded = plan.banded[plan.band_of[static_cast<size_t>(plan.schedule.segments[k].first_node)]];
  std::byte* window =
      arena_mapped_ ? arena_pointer(plan.spill.memory.offsets[graph::range_at(plan.spill, banded.window, banded.node)])
                    : static_cast<std::byte*>(transfer_.mapped());
  // Each binding's host copy: its activation's store.
  auto copy = [&](const BandBinding& binding, RowRange rows, bool into_window) {
    if (binding.access == BandAccess::kNone) return;
    const size_t tensor = static_cast<size_t>(binding.tensor);
    std::byte* store = plan.stores[plan.schedule.store_of[plan.buffer_of[tensor]]].data();
    const DataType dtype = graph_.tensors[tensor].dtype;
    if (binding.access == BandAccess::kRows) {
      copy_rows(plan.shapes[tensor], dtype, rows, store, window + binding.window_offset, into_window);
    } else if (into_window) {
      std::memcpy(window + binding.window_offset, store, band_bytes(plan.shapes[tensor], dtype, binding.access, rows));
    }
  };
  for (size_t i = 0; i < banded.bands.size(); ++i) {
    const Band& band = banded.bands[i];
    for (size_t b = 0; b < banded.inputs.size(); ++b) copy(banded.inputs[b], band.rows[b], true);
    FENNEC_RETURN_IF_ERROR(submit_and_wait(plan.band_buffers[k][i], plan.fences[k]));
    for (size_t b = 0; b < banded.outputs.size(); ++b)
      copy(banded.outputs[b], band.rows[banded.inputs.size() + b], false);
  }
  return ok_status();
}

}  // namespace fennec::vulkan
