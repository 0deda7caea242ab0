#include "vulkan/session.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "base/align.h"
#include "base/log.h"
#include "graph/activation_storage.h"
#include "graph/memory_planner.h"
#include "vulkan/plan_recorder.h"
#include "vulkan/session_plan.h"
#include "vulkan/vk_check.h"

namespace fennec::vulkan {
namespace {

constexpr uint64_t kDefaultBlockBytes = 1ull << 30;

VkDeviceSize tensor_bytes(const Shape& shape, DataType dtype) {
  return static_cast<VkDeviceSize>(element_count(shape)) * dtype_size(dtype);
}

}  // namespace

Session::Session(Context& context, const graph::Graph& graph, const SessionOptions& options)
    : context_(context), graph_(graph), options_(options) {}

uint64_t default_memory_budget(const DeviceCaps& caps, std::string* source) {
  const bool reported = caps.device_budget_bytes > 0;
  const uint64_t available = reported ? caps.device_budget_bytes : caps.device_local_bytes / 4 * 3;
  const uint64_t margin = std::max<uint64_t>(64ull << 20, available / 20);
  if (source)
    *source = reported ? "VK_EXT_memory_budget less a 5% (at least 64 MiB) margin"
                       : "3/4 of the largest device-local heap less a 5% (at least 64 MiB) margin";
  return available > margin ? available - margin : available / 2;
}

Result<std::unique_ptr<Session>> Session::create(Context& context, const graph::Graph& graph,
                                                 const SessionOptions& options) {
  FENNEC_RETURN_IF_ERROR(graph.validate());
  for (const graph::Node& node : graph.nodes)
    if (!find_kernel(node.op->type()))
      return make_error(StatusCode::kUnsupported, "op {} (node '{}') has no Vulkan kernel",
                        node.op->type_name(), node.name);
  // Binary16 activations need 16-bit storage; without it they run in float32.
  std::unique_ptr<graph::Graph> widened;
  if (!context.caps().storage_16bit && graph::has_binary16_activations(graph)) {
    FENNEC_ASSIGN_OR_RETURN(widened, graph::widened_copy(graph));
    FENNEC_LOG_INFO("device '{}' has no 16-bit storage: FLOAT16 activations run as FLOAT32", context.caps().name);
  }
  const graph::Graph& used = widened ? *widened : graph;
  std::unique_ptr<Session> session(new Session(context, used, options));
  session->widened_ = std::move(widened);
  for (const graph::Node& node : graph.nodes)
    session->stats_.model_binary16_nodes += graph::binary16_node(graph, node) ? 1 : 0;
  session->stats_.binary16_nodes = session->widened_ ? 0 : session->stats_.model_binary16_nodes;
  uint64_t budget = options.memory_budget_bytes;
  session->stats_.budget_source = "given";
  if (budget == 0) budget = default_memory_budget(context.caps(), &session->stats_.budget_source);
  session->stats_.budget_bytes = budget;
  session->alignment_ =
      std::max<VkDeviceSize>(kWeightAlignment, context.caps().min_storage_buffer_offset_alignment);
  session->block_bytes_ = std::min(options.max_block_bytes ? options.max_block_bytes : kDefaultBlockBytes,
                                   context.caps().max_memory_allocation_size);
  session->allocator_ = std::make_unique<Allocator>(context, budget);
  session->allocator_->fail_allocation(options.fail_allocation);
  session->weights_ = std::make_unique<WeightStore>(context, *session->allocator_, used, session->alignment_,
                                                    session->block_bytes_);
  FENNEC_ASSIGN_OR_RETURN(session->dummy_, session->allocator_->create_buffer(
                                               16, MemoryUsage::kDeviceLocal, MemoryCategory::kOther));
  // Weights that fit the budget all together are uploaded now; otherwise the
  // first run decides what stays resident, knowing the arena it needs.
  graph::ResidencyPlan everything;
  everything.resident.assign(used.tensors.size(), true);
  for (uint64_t bytes : session->weights_->request().constant_bytes) everything.resident_bytes += bytes;
  const uint64_t in_use = session->allocator_->stats().current_bytes;
  const uint64_t weight_bytes = session->weights_->device_bytes(everything);
  if (in_use + weight_bytes + session->weights_->upload_reserve(weight_bytes) <= budget)
    FENNEC_RETURN_IF_ERROR(session->weights_->apply(everything));
  session->arena_mapped_ =
      session->allocator_->device_local_is_host_visible() && !options.stage_host_copies;
  if (context.caps().timestamps) {
    VkQueryPoolCreateInfo info{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
    info.queryType = VK_QUERY_TYPE_TIMESTAMP;
    // Start and end, plus one after every node when profiling.
    info.queryCount = 2 + (options.profile ? static_cast<uint32_t>(used.nodes.size()) : 0);
    session->query_count_ = info.queryCount;
    FENNEC_VK_RETURN_IF_ERROR(
        vkCreateQueryPool(context.device(), &info, nullptr, &session->timestamps_));
  }
  return session;
}

Session::~Session() {
  drop_plans();
  if (timestamps_) vkDestroyQueryPool(context_.device(), timestamps_, nullptr);
}

void Session::drop_plans() {
  VkDevice device = context_.device();
  for (auto& [shapes, plan] : plans_) {
    for (VkCommandBuffer cb : plan->command_buffers)
      if (cb) vkFreeCommandBuffers(device, context_.command_pool(), 1, &cb);
    for (const std::vector<VkCommandBuffer>& bands : plan->band_buffers)
      for (VkCommandBuffer cb : bands)
        if (cb) vkFreeCommandBuffers(device, context_.command_pool(), 1, &cb);
    for (VkFence fence : plan->fences)
      if (fence) vkDestroyFence(device, fence, nullptr);
    for (VkDescriptorPool pool : plan->pools) vkDestroyDescriptorPool(device, pool, nullptr);
  }
  plans_.clear();
}

Status Session::check_inputs(std::span<const InputView> inputs) const {
  if (inputs.size() != graph_.inputs.size())
    return make_error(StatusCode::kInvalidArgument, "the model takes {} input(s), {} given",
                      graph_.inputs.size(), inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const graph::TensorInfo& info = graph_.tensors[static_cast<size_t>(graph_.inputs[i])];
    const InputView& in = inputs[i];
    if (in.dtype != info.dtype)
      return make_error(StatusCode::kInvalidArgument, "input '{}' has dtype {}, the model expects {}",
                        info.name, dtype_name(in.dtype), dtype_name(info.dtype));
    bool match = in.shape.size() == info.shape.size();
    for (size_t d = 0; match && d < in.shape.size(); ++d)
      match = (in.shape[d] > 0 && info.shape[d] < 0) || info.shape[d] == in.shape[d];
    if (!match)
      return make_error(StatusCode::kInvalidArgument,
                        "input '{}' has shape {}, the model expects {} (? = any positive size)",
                        info.name, shape_to_string(in.shape), shape_to_string(info.shape));
    if (in.bytes != tensor_bytes(in.shape, in.dtype) || (in.bytes && !in.data))
      return make_error(StatusCode::kInvalidArgument,
                        "input '{}' holds {} bytes, shape {} needs {}", info.name, in.bytes,
                        shape_to_string(in.shape), tensor_bytes(in.shape, in.dtype));
  }
  return ok_status();
}

Status Session::build_plan(Plan& plan, const std::vector<Shape>& input_shapes) {
  const auto& tensors = graph_.tensors;
  plan.shapes.assign(tensors.size(), Shape{});
  for (size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].is_constant()) {
      plan.shapes[i] = tensors[i].shape;
    }
  for (size_t i = 0; i < graph_.inputs.size(); ++i) plan.shapes[static_cast<size_t>(graph_.inputs[i])] = input_shapes[i];
  for (const graph::Node& node : graph_.nodes) {
    std::vector<Shape> in_shapes;
    for (int in : node.inputs) in_shapes.push_back(in >= 0 ? plan.shapes[static_cast<size_t>(in)] : Shape{});
    std::vector<Shape> out_shapes;
    Status status = node.op->infer_shapes(in_shapes, out_shapes);
    if (!status.ok())
      return status.with_context(fmt::format("node '{}' ({})", node.name, node.op->type_name()));
    if (out_shapes.size() != node.outputs.size())
      return make_error(StatusCode::kInvalidModel, "node '{}' ({}) has {} outputs, its op gives {}",
                        node.name, node.op->type_name(), node.outputs.size(), out_shapes.size());
    for (size_t o = 0; o < out_shapes.size(); ++o) {
      if (!is_static(out_shapes[o]))
        return make_error(StatusCode::kInternal, "node '{}' output shape {} is not static", node.name,
                          shape_to_string(out_shapes[o]));
      plan.shapes[static_cast<size_t>(node.outputs[o])] = out_shapes[o];
    }
  }

  // Lifetimes of everything that lives in the arena: graph inputs and node outputs.
  const int steps = static_cast<int>(graph_.nodes.size());
  std::vector<int> first(tensors.size(), INT32_MAX), last(tensors.size(), -2);
  for (int input : graph_.inputs) first[static_cast<size_t>(input)] = last[static_cast<size_t>(input)] = -1;
  for (int step = 0; step < steps; ++step) {
    const graph::Node& node = graph_.nodes[static_cast<size_t>(step)];
    for (int in : node.inputs)
      if (in >= 0 && !tensors[static_cast<size_t>(in)].is_constant())
        last[static_cast<size_t>(in)] = std::max(last[static_cast<size_t>(in)], step);
    for (int out : node.outputs) {
      first[static_cast<size_t>(out)] = std::min(first[static_cast<size_t>(out)], step);
      last[static_cast<size_t>(out)] = std::max(last[static_cast<size_t>(out)], step);
    }
  }
  for (int output : graph_.outputs)
    if (!tensors[static_cast<size_t>(output)].is_constant()) last[static_cast<size_t>(output)] = steps;

  // In place: an elementwise op's output takes the memory of an input of
  // the same size that dies at that op. Aliases share their root's request.
  std::vector<size_t> root(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) root[i] = i;
  for (int step = 0; step < steps; ++step) {
    const graph::Node& node = graph_.nodes[static_cast<size_t>(step)];
    if (!node.op->elementwise() || node.outputs.size() != 1) continue;
    const size_t out = static_cast<size_t>(node.outputs[0]);
    const VkDeviceSize out_bytes = tensor_bytes(plan.shapes[out], tensors[out].dtype);
    for (int in : node.inputs) {
      if (in < 0) continue;
      const size_t i = static_cast<size_t>(in);
      if (tensors[i].is_constant() || last[i] != step || tensors[i].dtype != tensors[out].dtype ||
          element_count(plan.shapes[i]) != element_count(plan.shapes[out]) || out_bytes == 0)
        continue;
      root[out] = root[i];
      last[root[i]] = std::max(last[root[i]], last[out]);
      break;
    }
  }

  // One arena buffer per root, touched by every step that writes or reads
  // any of its aliases.
  plan.buffer_of.assign(tensors.size(), SIZE_MAX);
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].is_constant() || first[i] == INT32_MAX || root[i] != i) continue;
    plan.buffer_of[i] = plan.buffers.size();
    plan.buffers.push_back({tensor_bytes(plan.shapes[i], tensors[i].dtype), -1, {}});
    plan.uses.push_back({});
  }
  uint64_t naive = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].is_constant() || first[i] == INT32_MAX) continue;
    naive += align_up(std::max<uint64_t>(tensor_bytes(plan.shapes[i], tensors[i].dtype), 1), alignment_);
    plan.buffer_of[i] = plan.buffer_of[root[i]];
  }
  auto touch = [&](int tensor, int step) {
    const size_t b = plan.buffer_of[static_cast<size_t>(tensor)];
    if (b != SIZE_MAX) plan.uses[b].steps.push_back(step);
  };
  for (size_t i = 0; i < graph_.inputs.size(); ++i) {
    touch(graph_.inputs[i], -1);
    const size_t b = plan.buffer_of[static_cast<size_t>(graph_.inputs[i])];
    if (b != SIZE_MAX) plan.buffers[b].input = static_cast<int>(i);
  }
  for (int step = 0; step < steps; ++step) {
    const graph::Node& node = graph_.nodes[static_cast<size_t>(step)];
    for (int in : node.inputs)
      if (in >= 0) touch(in, step);
    for (int out : node.outputs) {
      touch(out, step);
      const size_t b = plan.buffer_of[static_cast<size_t>(out)];
      if (b != SIZE_MAX) plan.uses[b].first_write = std::min(plan.uses[b].first_write, step);
    }
  }
  for (size_t o = 0; o < graph_.outputs.size(); ++o) {
    touch(graph_.outputs[o], steps);
    const size_t b = plan.buffer_of[static_cast<size_t>(graph_.outputs[o])];
    if (b != SIZE_MAX) plan.buffers[b].outputs.push_back(o);
  }
  for (graph::ActivationUses& u : plan.uses) {
    std::sort(u.steps.begin(), u.steps.end());
    u.steps.erase(std::unique(u.steps.begin(), u.steps.end()), u.steps.end());
  }
  for (size_t b = 0; b < plan.buffers.size(); ++b) plan.uses[b].size = plan.buffers[b].bytes;
  // Nothing spilled until the budget asks for it.
  plan.spill = graph::plan_spills(plan.uses, steps, alignment_, UINT64_MAX);
  plan.spill.memory.naive_bytes = naive;  // every intermediate on its own, aliases included
  layout_arena(plan);
  FENNEC_LOG_DEBUG("plan: arena {} bytes ({}), naive {} bytes", plan.spill.memory.arena_bytes,
                   plan.spill.memory.strategy, naive);
  return ok_status();
}

void Session::plan_stream_groups(Plan& plan) const {
  const graph::ResidencyPlan& residency = weights_->plan();
  const graph::ResidencyRequest& request = weights_->request();
  std::vector<int> starts = graph::plan_stream_groups(request, residency);
  if (starts.empty()) starts.push_back(0);
  const int nodes = static_cast<int>(graph_.nodes.size());
  for (size_t g = 0; g < starts.size(); ++g) {
    StreamGroup group;
    group.slot_offsets.assign(graph_.tensors.size(), kNoOffset);
    VkDeviceSize offset = 0;
    const int end = g + 1 < starts.size() ? starts[g + 1] : nodes;
    for (int n = starts[g]; n < end; ++n)
      for (int c : request.node_constants[static_cast<size_t>(n)]) {
        if (residency.resident[static_cast<size_t>(c)] || group.slot_offsets[static_cast<size_t>(c)] != kNoOffset)
          continue;
        group.slot_offsets[static_cast<size_t>(c)] = offset;
        group.copies.emplace_back(c, offset);
        offset += request.constant_bytes[static_cast<size_t>(c)];
      }
    plan.groups.push_back(std::move(group));
  }
  plan.schedule = make_schedule(plan.buffers, plan.uses, plan.spill, nodes, starts);
  plan.stores.clear();
  for (uint64_t bytes : plan.schedule.store_bytes) plan.stores.emplace_back(bytes);
}

BufferSlice Session::slice_of(const Plan& plan, size_t group, int step, int index) const {
  if (index < 0) return {};
  const size_t i = static_cast<size_t>(index);
  const auto& t = graph_.tensors[i];
  if (t.is_constant()) {
    if (weights_->resident(index)) return weights_->resident_slice(index);
    return {weights_->slot(static_cast<int>(group % 2)).handle(), plan.groups[group].slot_offsets[i],
            align_up(std::max<VkDeviceSize>(t.data_bytes, 4), 4)};
  }
  const size_t range = graph::range_at(plan.spill, plan.buffer_of[i], step);
  const VkDeviceSize offset = plan.spill.memory.offsets[range];
  const size_t b = arena_block(offset);
  return {arena_[b].handle(), offset - arena_blocks_[b].begin,
          std::max<VkDeviceSize>(tensor_bytes(plan.shapes[i], t.dtype), 4)};
}

size_t Session::arena_block(VkDeviceSize offset) const {
  size_t b = 0;
  while (b + 1 < arena_blocks_.size() && arena_blocks_[b + 1].begin <= offset) ++b;
  return b;
}

std::byte* Session::arena_pointer(VkDeviceSize offset) const {
  const size_t b = arena_block(offset);
  return static_cast<std::byte*>(arena_[b].mapped()) + (offset - arena_blocks_[b].begin);
}

Status Session::record_plan(Plan& plan) {
  VkDevice device = context_.device();
  PlanRecorder recorder(context_, context_.pipelines(), plan.pools, {dummy_.handle(), 0, dummy_.size()});
  const std::vector<Segment>& segments = plan.schedule.segments;
  plan.command_buffers.assign(segments.size(), VK_NULL_HANDLE);
  plan.band_buffers.assign(segments.size(), {});
  plan.fences.assign(segments.size(), VK_NULL_HANDLE);
  for (size_t k = 0; k < segments.size(); ++k) {
    const Segment& segment = segments[k];
    VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    FENNEC_VK_RETURN_IF_ERROR(vkCreateFence(device, &fence_info, nullptr, &plan.fences[k]));
    if (segment.banded) {
      FENNEC_RETURN_IF_ERROR(record_bands(plan, k, recorder));
      continue;
    }
    VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    alloc.commandPool = context_.command_pool();
    alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    alloc.commandBufferCount = 1;
    FENNEC_VK_RETURN_IF_ERROR(vkAllocateCommandBuffers(device, &alloc, &plan.command_buffers[k]));
    VkCommandBuffer cb = plan.command_buffers[k];
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    FENNEC_VK_RETURN_IF_ERROR(vkBeginCommandBuffer(cb, &begin));
    recorder.set_command_buffer(cb);
    if (k == 0 && timestamps_) {
      vkCmdResetQueryPool(cb, timestamps_, 0, query_count_);
      vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, timestamps_, 0);
    }
    // Copies through the transfer buffer when the host cannot reach the arena.
    const bool recorded_copies = !arena_mapped_ && !plan.copies_in_pieces;
    if (recorded_copies)
      for (const HostCopy& c : segment.before) record_transfer(cb, c.staging_offset, c.arena_offset, c.bytes, true);
    record_slot_fill(cb, plan, segment);
    // Orders this submission after the previous one and the copies in.
    full_barrier(cb);
    for (int n = segment.first_node; n < segment.end_node; ++n) {
      const graph::Node& node = graph_.nodes[static_cast<size_t>(n)];
      std::vector<TensorBinding> ins, outs;
      for (int in : node.inputs) {
        if (in < 0) {
          ins.push_back({});
          continue;
        }
        const graph::TensorInfo& t = graph_.tensors[static_cast<size_t>(in)];
        ins.push_back({plan.shapes[static_cast<size_t>(in)], slice_of(plan, segment.group, n, in), t.quant, t.dtype});
      }
      for (int out : node.outputs)
        outs.push_back({plan.shapes[static_cast<size_t>(out)], slice_of(plan, segment.group, n, out), {},
                        graph_.tensors[static_cast<size_t>(out)].dtype});
      recorder.set_activation16(graph::binary16_node(graph_, node));
      Status status = find_kernel(node.op->type())(*node.op, recorder, ins, outs);
      if (!status.ok())
        return status.with_context(fmt::format("recording node '{}' ({})", node.name, node.op->type_name()));
      if (options_.profile && timestamps_)
        vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, timestamps_, static_cast<uint32_t>(n) + 1);
    }
    if (!segment.after.empty()) {
      if (recorded_copies) {
        full_barrier(cb);
        for (const HostCopy& c : segment.after) record_transfer(cb, c.staging_offset, c.arena_offset, c.bytes, false);
      }
      host_barrier(cb);
    }
    if (k + 1 == segments.size() && timestamps_)
      vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, timestamps_, query_count_ - 1);
    FENNEC_VK_RETURN_IF_ERROR(vkEndCommandBuffer(cb));
  }
  plan.dispatches = recorder.dispatches();
  return ok_status();
}

void Session::record_slot_fill(VkCommandBuffer cb, const Plan& plan, const Segment& segment) const {
  const StreamGroup& group = plan.groups[segment.group];
  if (!segment.fills_slot || !weights_->slots_staged() || group.copies.empty()) return;
  VkDeviceSize extent = 0;
  for (const auto& [tensor, offset] : group.copies)
    extent = std::max<VkDeviceSize>(extent, offset + graph_.tensors[static_cast<size_t>(tensor)].data_bytes);
  const int slot = static_cast<int>(segment.group % 2);
  const VkBufferCopy region{0, 0, extent};
  vkCmdCopyBuffer(cb, weights_->slot_source(slot).handle(), weights_->slot(slot).handle(), 1, &region);
}

Result<Session::Plan*> Session::get_plan(std::span<const InputView> inputs) {
  std::vector<Shape> key;
  for (const InputView& in : inputs) key.push_back(in.shape);
  auto it = plans_.find(key);
  if (it != plans_.end()) return it->second.get();

  auto plan = std::make_unique<Plan>();
  FENNEC_RETURN_IF_ERROR(build_plan(*plan, key));
  // May replace buffers and drop the plans recorded against them.
  FENNEC_RETURN_IF_ERROR(fit(*plan));
  plan_stream_groups(*plan);
  Status recorded = record_plan(*plan);
  Plan* raw = plan.get();
  plans_[key] = std::move(plan);
  if (!recorded.ok()) {
    drop_plans();
    return recorded;
  }
  return raw;
}

void Session::record_transfer(VkCommandBuffer cb, VkDeviceSize staging_offset, VkDeviceSize arena_offset,
                              VkDeviceSize bytes, bool into_arena) const {
  const size_t b = arena_block(arena_offset);
  const VkDeviceSize at = arena_offset - arena_blocks_[b].begin;
  const VkBufferCopy region{into_arena ? staging_offset : at, into_arena ? at : staging_offset, bytes};
  if (into_arena) vkCmdCopyBuffer(cb, transfer_.handle(), arena_[b].handle(), 1, &region);
  else vkCmdCopyBuffer(cb, arena_[b].handle(), transfer_.handle(), 1, &region);
}

const std::byte* Session::copy_source(Plan& plan, const HostCopy& c, std::span<const InputView> inputs) const {
  return c.kind == HostCopyKind::kInput ? static_cast<const std::byte*>(inputs[c.index].data)
                                        : plan.stores[c.index].data();
}

std::byte* Session::copy_target(Plan& plan, const HostCopy& c) {
  return c.kind == HostCopyKind::kOutput ? outputs_[c.index].bytes.data() : plan.stores[c.index].data();
}

void Session::copy_in(Plan& plan, const std::vector<HostCopy>& copies, std::span<const InputView> inputs) {
  for (const HostCopy& c : copies) {
    std::byte* dst = arena_mapped_ ? arena_pointer(c.arena_offset)
                                   : static_cast<std::byte*>(transfer_.mapped()) + c.staging_offset;
    std::memcpy(dst, copy_source(plan, c, inputs), c.bytes);
  }
}

void Session::copy_out(Plan& plan, const std::vector<HostCopy>& copies) {
  for (const HostCopy& c : copies) {
    const std::byte* src = arena_mapped_ ? arena_pointer(c.arena_offset)
                                         : static_cast<const std::byte*>(transfer_.mapped()) + c.staging_offset;
    std::memcpy(copy_target(plan, c), src, c.bytes);
  }
}

Status Session::copy_pieces(Plan& plan, const std::vector<HostCopy>& copies, bool into_arena,
                            std::span<const InputView> inputs) {
  struct Piece {
    const HostCopy* copy;
    uint64_t begin, bytes, staged;  // within the copy; its place in the transfer buffer
  };
  auto* staging = static_cast<std::byte*>(transfer_.mapped());
  const uint64_t capacity = transfer_.size();
  std::vector<Piece> pending;
  uint64_t used = 0;
  auto flush = [&]() -> Status {
    if (pending.empty()) return ok_status();
    FENNEC_RETURN_IF_ERROR(context_.submit_and_wait([&](VkCommandBuffer cb) {
      full_barrier(cb);  // after everything submitted before
      for (const Piece& p : pending)
        record_transfer(cb, p.staged, p.copy->arena_offset + p.begin, p.bytes, into_arena);
      host_barrier(cb);  // before the host reads
    }));
    if (!into_arena)
      for (const Piece& p : pending) std::memcpy(copy_target(plan, *p.copy) + p.begin, staging + p.staged, p.bytes);
    pending.clear();
    used = 0;
    return ok_status();
  };
  for (const HostCopy& c : copies) {
    for (uint64_t begin = 0; begin < c.bytes;) {
      if (used == capacity) FENNEC_RETURN_IF_ERROR(flush());
      const uint64_t n = std::min(c.bytes - begin, capacity - used);
      if (into_arena) std::memcpy(staging + used, copy_source(plan, c, inputs) + begin, n);
      pending.push_back({&c, begin, n, used});
      used += n;
      begin += n;
    }
  }
  return flush();
}

Status Session::submit(Plan& plan, std::span<const InputView> inputs) {
  // Segments of group g read slot g % 2, filled while the device may still
  // run group g - 1 from the other slot; before refilling a slot, wait for
  // the last submission that read it. Copies in wait for everything before
  // (the bytes they overwrite may still be in use); copies out wait for
  // their own submission. Fences signal after all earlier submissions too.
  VkDevice device = context_.device();
  std::array<VkFence, 2> slot_user{VK_NULL_HANDLE, VK_NULL_HANDLE};
  VkFence last = VK_NULL_HANDLE;
  auto wait = [&](VkFence fence) -> Status {
    if (!fence) return ok_status();
    const VkResult r = vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX);
    return r == VK_SUCCESS ? ok_status() : vk_status(r, "vkWaitForFences");
  };
  Status status = ok_status();
  const std::vector<Segment>& segments = plan.schedule.segments;
  for (size_t k = 0; k < segments.size() && status.ok(); ++k) {
    const Segment& segment = segments[k];
    const size_t slot = segment.group % 2;
    if (segment.fills_slot && !plan.groups[segment.group].copies.empty()) {
      status = wait(slot_user[slot]);
      if (!status.ok()) break;
      auto* dst = static_cast<std::byte*>(weights_->slot_source(static_cast<int>(slot)).mapped());
      for (const auto& [tensor, offset] : plan.groups[segment.group].copies) {
        const auto& t = graph_.tensors[static_cast<size_t>(tensor)];
        std::memcpy(dst + offset, t.data, t.data_bytes);
      }
    }
    if (segment.banded) {
      status = wait(last);
      if (status.ok()) status = run_bands(plan, k);
      if (!status.ok()) break;  // run_bands waits for every band it submits
      last = slot_user[slot] = plan.fences[k];
      continue;
    }
    if (!segment.before.empty()) {
      status = wait(last);
      if (!status.ok()) break;
      if (plan.copies_in_pieces) {
        status = copy_pieces(plan, segment.before, true, inputs);
        if (!status.ok()) break;
      } else {
        copy_in(plan, segment.before, inputs);
      }
    }
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &plan.command_buffers[k];
    VkResult r = vkResetFences(device, 1, &plan.fences[k]);
    if (r == VK_SUCCESS) r = vkQueueSubmit(context_.queue(), 1, &submit, plan.fences[k]);
    if (r != VK_SUCCESS) {
      status = vk_status(r, "vkQueueSubmit");
      break;
    }
    last = slot_user[slot] = plan.fences[k];
    if (!segment.after.empty()) {
      status = wait(last);
      if (status.ok() && plan.copies_in_pieces)
        status = copy_pieces(plan, segment.after, false, {});
      else if (status.ok())
        copy_out(plan, segment.after);
    }
  }
  const Status finished = wait(last);
  return status.ok() ? finished : status;
}

Status Session::run(std::span<const InputView> given) {
  const auto start = std::chrono::steady_clock::now();
  // Float32 data for a FLOAT16 input (or the reverse) converts on the host.
  std::vector<HostTensor> converted;
  converted.reserve(given.size());
  std::vector<InputView> views(given.begin(), given.end());
  for (size_t i = 0; i < views.size() && i < graph_.inputs.size(); ++i) {
    InputView& v = views[i];
    const DataType want = graph_.tensors[static_cast<size_t>(graph_.inputs[i])].dtype;
    if (v.dtype == want || !is_float_dtype(v.dtype) || !is_float_dtype(want) ||
        v.bytes != tensor_bytes(v.shape, v.dtype) || !is_static(v.shape) || (v.bytes && !v.data))
      continue;  // check_inputs names what is wrong
    FENNEC_ASSIGN_OR_RETURN(HostTensor c, convert_dtype(v.dtype, v.shape, v.data, want));
    converted.push_back(std::move(c));
    v = {want, v.shape, converted.back().bytes.data(), converted.back().bytes.size()};
  }
  const std::span<const InputView> inputs(views);
  FENNEC_RETURN_IF_ERROR(check_inputs(inputs));
  FENNEC_ASSIGN_OR_RETURN(Plan * plan, get_plan(inputs));
  outputs_.clear();
  for (int output : graph_.outputs) {
    const size_t index = static_cast<size_t>(output);
    outputs_.emplace_back(graph_.tensors[index].dtype, plan->shapes[index]);
  }
  Status status = submit(*plan, inputs);
  if (!status.ok()) {
    outputs_.clear();
    return status;
  }
  // Outputs that are constants never reach the device.
  for (size_t i = 0; i < graph_.outputs.size(); ++i) {
    const auto& t = graph_.tensors[static_cast<size_t>(graph_.outputs[i])];
    if (t.is_constant() && !outputs_[i].bytes.empty())
      std::memcpy(outputs_[i].bytes.data(), t.data, std::min(outputs_[i].bytes.size(), t.data_bytes));
  }
  stats_.last_gpu_ms = -1.0;
  stats_.node_ms.clear();
  if (timestamps_) {
    std::vector<uint64_t> ticks(query_count_);
    if (vkGetQueryPoolResults(context_.device(), timestamps_, 0, query_count_, ticks.size() * sizeof(uint64_t),
                              ticks.data(), sizeof(uint64_t), VK_QUERY_RESULT_64_BIT) == VK_SUCCESS) {
      const double ms_per_tick = context_.caps().timestamp_period_ns / 1e6;
      stats_.last_gpu_ms = static_cast<double>(ticks.back() - ticks.front()) * ms_per_tick;
      for (uint32_t q = 1; q + 1 < query_count_; ++q)
        stats_.node_ms.push_back(static_cast<double>(ticks[q] - ticks[q - 1]) * ms_per_tick);
    }
  }
  const graph::ResidencyPlan& residency = weights_->plan();
  stats_.weight_bytes = weights_->resident_device_bytes() + 2 * weights_->slot(0).size();
  stats_.weight_slot_bytes = weights_->slot(0).size();
  stats_.weight_slots_staged = weights_->slots_staged() && stats_.weight_slot_bytes > 0;
  stats_.imported_weight_bytes = weights_->imported_bytes();
  stats_.streamed_weight_bytes = 0;
  for (size_t i = 0; i < residency.resident.size(); ++i)
    if (!residency.resident[i]) stats_.streamed_weight_bytes += weights_->request().constant_bytes[i];
  stats_.stream_groups = plan->schedule.segments.size();
  stats_.spills = plan->spill.gaps.size();
  stats_.spill_copy_bytes = plan->spill.copied_bytes;
  stats_.banded_nodes = plan->banded.size();
  stats_.bands = 0;
  for (const BandedNode& banded : plan->banded) stats_.bands += banded.bands.size();
  stats_.arena_bytes = plan->spill.memory.arena_bytes;
  stats_.naive_arena_bytes = plan->spill.memory.naive_bytes;
  stats_.staging_bytes = transfer_.size();
  stats_.dispatches = plan->dispatches;
  stats_.last_run_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return ok_status();
}

}  // namespace fennec::vulkan
