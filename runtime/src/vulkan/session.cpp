#include "vulkan/session.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "base/align.h"
#include "base/log.h"
#include "graph/memory_planner.h"
#include "vulkan/plan_recorder.h"
#include "vulkan/vk_check.h"

namespace fennec::vulkan {
namespace {

constexpr VkDeviceSize kNoOffset = ~VkDeviceSize{0};
constexpr uint64_t kDefaultBlockBytes = 1ull << 30;

VkDeviceSize tensor_bytes(const Shape& shape, DataType dtype) {
  return static_cast<VkDeviceSize>(element_count(shape)) * dtype_size(dtype);
}

double mib(uint64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

}  // namespace

// One submission: consecutive nodes whose streamed constants share a slot.
struct StreamGroup {
  int first_node = 0;
  int end_node = 0;
  std::vector<std::pair<int, VkDeviceSize>> copies;  // streamed constant, offset in the slot
  std::vector<VkDeviceSize> slot_offsets;            // per tensor, kNoOffset unless copied
  VkCommandBuffer command_buffer = VK_NULL_HANDLE;
};

struct Session::Plan {
  std::vector<Shape> shapes;                 // per tensor
  std::vector<VkDeviceSize> arena_offsets;   // per tensor, kNoOffset if not in the arena
  graph::MemoryPlan memory;
  std::vector<graph::ByteRange> arena_blocks;
  std::vector<VkDeviceSize> input_staging;   // per graph input
  std::vector<VkDeviceSize> output_staging;  // per graph output
  VkDeviceSize staging_in_bytes = 0;
  VkDeviceSize staging_out_bytes = 0;
  std::vector<StreamGroup> groups;
  std::vector<VkDescriptorPool> pools;
  size_t dispatches = 0;
};

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
  std::unique_ptr<Session> session(new Session(context, graph, options));
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
  session->weights_ = std::make_unique<WeightStore>(context, *session->allocator_, graph, session->alignment_,
                                                    session->block_bytes_);
  FENNEC_ASSIGN_OR_RETURN(session->dummy_, session->allocator_->create_buffer(
                                               16, MemoryUsage::kDeviceLocal, MemoryCategory::kOther));
  // Weights that fit the budget all together are uploaded now; otherwise the
  // first run decides what stays resident, knowing the arena it needs.
  graph::ResidencyPlan everything;
  everything.resident.assign(graph.tensors.size(), true);
  for (uint64_t bytes : session->weights_->request().constant_bytes) everything.resident_bytes += bytes;
  const uint64_t in_use = session->allocator_->stats().current_bytes;
  if (in_use + session->weights_->device_bytes(everything) <= budget)
    FENNEC_RETURN_IF_ERROR(session->weights_->apply(everything));
  for (VkFence& fence : session->fences_) {
    VkFenceCreateInfo info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    FENNEC_VK_RETURN_IF_ERROR(vkCreateFence(context.device(), &info, nullptr, &fence));
  }
  if (context.caps().timestamps) {
    VkQueryPoolCreateInfo info{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
    info.queryType = VK_QUERY_TYPE_TIMESTAMP;
    // Start and end, plus one after every node when profiling.
    info.queryCount = 2 + (options.profile ? static_cast<uint32_t>(graph.nodes.size()) : 0);
    session->query_count_ = info.queryCount;
    FENNEC_VK_RETURN_IF_ERROR(
        vkCreateQueryPool(context.device(), &info, nullptr, &session->timestamps_));
  }
  return session;
}

Session::~Session() {
  drop_plans();
  for (VkFence fence : fences_)
    if (fence) vkDestroyFence(context_.device(), fence, nullptr);
  if (timestamps_) vkDestroyQueryPool(context_.device(), timestamps_, nullptr);
}

void Session::drop_plans() {
  VkDevice device = context_.device();
  for (auto& [shapes, plan] : plans_) {
    for (StreamGroup& group : plan->groups)
      if (group.command_buffer)
        vkFreeCommandBuffers(device, context_.command_pool(), 1, &group.command_buffer);
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

  std::vector<graph::BufferRequest> requests;
  std::vector<size_t> request_tensor;
  std::vector<size_t> request_of(tensors.size(), SIZE_MAX);
  uint64_t naive = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].is_constant() || first[i] == INT32_MAX) continue;
    const VkDeviceSize bytes = tensor_bytes(plan.shapes[i], tensors[i].dtype);
    naive += align_up(std::max<uint64_t>(bytes, 1), alignment_);
    if (root[i] != i) continue;
    request_of[i] = requests.size();
    requests.push_back({bytes, first[i], last[i]});
    request_tensor.push_back(i);
  }
  plan.memory = graph::plan_memory(requests, alignment_);
  plan.memory.naive_bytes = naive;  // every intermediate on its own, aliases included
  plan.arena_offsets.assign(tensors.size(), kNoOffset);
  std::vector<graph::ByteRange> ranges;
  for (size_t r = 0; r < requests.size(); ++r)
    ranges.push_back({plan.memory.offsets[r], plan.memory.offsets[r] + std::max<uint64_t>(requests[r].size, 4)});
  for (size_t i = 0; i < tensors.size(); ++i)
    if (!tensors[i].is_constant() && first[i] != INT32_MAX)
      plan.arena_offsets[i] = plan.memory.offsets[request_of[root[i]]];
  plan.arena_blocks = graph::split_into_blocks(std::move(ranges), plan.memory.arena_bytes, block_bytes_);

  for (int input : graph_.inputs) {
    plan.input_staging.push_back(plan.staging_in_bytes);
    plan.staging_in_bytes += align_up(tensor_bytes(plan.shapes[static_cast<size_t>(input)], DataType::FLOAT32), 16);
  }
  for (int output : graph_.outputs) {
    const auto& t = tensors[static_cast<size_t>(output)];
    plan.output_staging.push_back(plan.staging_out_bytes);
    plan.staging_out_bytes += align_up(tensor_bytes(plan.shapes[static_cast<size_t>(output)], t.dtype), 16);
  }
  FENNEC_LOG_DEBUG("plan: arena {} bytes ({}), naive {} bytes", plan.memory.arena_bytes,
                   plan.memory.strategy, plan.memory.naive_bytes);
  return ok_status();
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
  const char* dominant = arena >= weights && arena >= staging ? "the activation arena dominates"
                         : weights >= staging                 ? "the weights dominate"
                                                              : "the staging buffers dominate";
  return make_error(StatusCode::kOutOfMemory,
                    "the memory budget of {} bytes ({:.1f} MiB) is too small for input {}: the smallest "
                    "budget that works is {} bytes ({:.1f} MiB): activation arena {:.1f} MiB, weights "
                    "{:.1f} MiB (streamed where they do not fit), staging {:.1f} MiB, other {} bytes; {}. "
                    "Raise the budget (--memory-budget) or use smaller inputs",
                    allocator_->budget_bytes(), mib(allocator_->budget_bytes()), shapes, need, mib(need),
                    mib(arena), mib(weights), mib(staging), other, dominant);
}

Status Session::fit(const Plan& plan) {
  const Allocator& allocator = *allocator_;
  const uint64_t budget = allocator.budget_bytes();
  // The current arena serves the plan when each planned block starts where
  // a current block does and ends within it.
  bool arena_fits = true;
  for (const graph::ByteRange& block : plan.arena_blocks) {
    auto it = std::find_if(arena_blocks_.begin(), arena_blocks_.end(),
                           [&](const graph::ByteRange& b) { return b.begin == block.begin; });
    arena_fits = arena_fits && it != arena_blocks_.end() && it->end >= block.end;
  }
  const bool in_fits = staging_in_.size() >= plan.staging_in_bytes;
  const bool out_fits = staging_out_.size() >= plan.staging_out_bytes;
  uint64_t arena = 0, staging = 0;
  if (arena_fits) {
    for (const Buffer& block : arena_) arena += allocator.allocation_size(block.size());
  } else {
    for (const graph::ByteRange& block : plan.arena_blocks)
      arena += allocator.allocation_size(block.end - block.begin);
  }
  staging += allocator.allocation_size(in_fits ? staging_in_.size() : plan.staging_in_bytes);
  staging += allocator.allocation_size(out_fits ? staging_out_.size() : plan.staging_out_bytes);
  const uint64_t other = allocator.stats().current_by_category[static_cast<size_t>(MemoryCategory::kOther)];
  const uint64_t fixed = other + arena + staging;

  const bool weights_fit = weights_->applied() && fixed + weights_->device_bytes(weights_->plan()) <= budget;
  if (weights_fit && arena_fits && in_fits && out_fits) return ok_status();

  graph::ResidencyPlan residency = weights_->plan();
  if (!weights_fit) {
    auto size_of = [&](uint64_t bytes) { return allocator.allocation_size(bytes); };
    uint64_t available = budget > fixed ? budget - fixed : 0;
    uint64_t minimum = 0;
    bool found = false;
    // Blocks round separately: shrink the room until the exact size fits.
    for (int attempt = 0; attempt < 4 && !found; ++attempt) {
      if (!graph::plan_residency(weights_->request(), available, size_of, residency, minimum)) break;
      const uint64_t exact = weights_->device_bytes(residency);
      found = exact <= budget - fixed;
      if (!found) available -= std::min(available, exact - (budget - fixed));
    }
    if (!found) return too_small(plan, other, arena, staging, minimum);
  }
  // Everything is idle (run() waits), so buffers can be replaced; free the
  // old ones first so that the peak stays within the budget.
  drop_plans();
  arena_.clear();
  arena_blocks_.clear();
  if (!weights_fit) weights_->release();
  if (!in_fits) staging_in_.reset();
  if (!out_fits) staging_out_.reset();
  if (!weights_fit) FENNEC_RETURN_IF_ERROR(weights_->apply(residency));
  for (const graph::ByteRange& block : plan.arena_blocks) {
    FENNEC_ASSIGN_OR_RETURN(Buffer buffer, allocator_->create_buffer(block.end - block.begin,
                                                                     MemoryUsage::kDeviceLocal,
                                                                     MemoryCategory::kArena));
    arena_.push_back(std::move(buffer));
    arena_blocks_.push_back(block);
  }
  if (!in_fits) {
    FENNEC_ASSIGN_OR_RETURN(staging_in_, allocator_->create_buffer(plan.staging_in_bytes, MemoryUsage::kHostUpload,
                                                                   MemoryCategory::kStaging));
  }
  if (!out_fits) {
    FENNEC_ASSIGN_OR_RETURN(staging_out_, allocator_->create_buffer(plan.staging_out_bytes,
                                                                    MemoryUsage::kHostReadback,
                                                                    MemoryCategory::kStaging));
  }
  return ok_status();
}

void Session::plan_stream_groups(Plan& plan) const {
  const graph::ResidencyPlan& residency = weights_->plan();
  const graph::ResidencyRequest& request = weights_->request();
  const std::vector<int> starts = graph::plan_stream_groups(request, residency);
  const int nodes = static_cast<int>(graph_.nodes.size());
  for (size_t g = 0; g < starts.size(); ++g) {
    StreamGroup group;
    group.first_node = starts[g];
    group.end_node = g + 1 < starts.size() ? starts[g + 1] : nodes;
    group.slot_offsets.assign(graph_.tensors.size(), kNoOffset);
    VkDeviceSize offset = 0;
    for (int n = group.first_node; n < group.end_node; ++n)
      for (int c : request.node_constants[static_cast<size_t>(n)]) {
        if (residency.resident[static_cast<size_t>(c)] || group.slot_offsets[static_cast<size_t>(c)] != kNoOffset)
          continue;
        group.slot_offsets[static_cast<size_t>(c)] = offset;
        group.copies.emplace_back(c, offset);
        offset += request.constant_bytes[static_cast<size_t>(c)];
      }
    plan.groups.push_back(std::move(group));
  }
  if (plan.groups.empty()) plan.groups.push_back(StreamGroup{0, nodes, {}, {}, VK_NULL_HANDLE});
}

BufferSlice Session::slice_of(const Plan& plan, size_t group, int index) const {
  if (index < 0) return {};
  const size_t i = static_cast<size_t>(index);
  const auto& t = graph_.tensors[i];
  if (t.is_constant()) {
    if (weights_->resident(index)) return weights_->resident_slice(index);
    const StreamGroup& g = plan.groups[group];
    return {weights_->slot(static_cast<int>(group % 2)).handle(), g.slot_offsets[i],
            align_up(std::max<VkDeviceSize>(t.data_bytes, 4), 4)};
  }
  const VkDeviceSize offset = plan.arena_offsets[i];
  size_t b = 0;
  while (b + 1 < arena_blocks_.size() && arena_blocks_[b + 1].begin <= offset) ++b;
  return {arena_[b].handle(), offset - arena_blocks_[b].begin,
          std::max<VkDeviceSize>(tensor_bytes(plan.shapes[i], t.dtype), 4)};
}

Status Session::record_plan(Plan& plan) {
  VkDevice device = context_.device();
  PlanRecorder recorder(context_, context_.pipelines(), plan.pools, {dummy_.handle(), 0, dummy_.size()});
  for (size_t g = 0; g < plan.groups.size(); ++g) {
    StreamGroup& group = plan.groups[g];
    VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    alloc.commandPool = context_.command_pool();
    alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    alloc.commandBufferCount = 1;
    FENNEC_VK_RETURN_IF_ERROR(vkAllocateCommandBuffers(device, &alloc, &group.command_buffer));
    VkCommandBuffer cb = group.command_buffer;
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    FENNEC_VK_RETURN_IF_ERROR(vkBeginCommandBuffer(cb, &begin));
    recorder.set_command_buffer(cb);
    if (g == 0) {
      if (timestamps_) {
        vkCmdResetQueryPool(cb, timestamps_, 0, query_count_);
        vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, timestamps_, 0);
      }
      for (size_t i = 0; i < graph_.inputs.size(); ++i) {
        const int input = graph_.inputs[i];
        const VkDeviceSize bytes = tensor_bytes(plan.shapes[static_cast<size_t>(input)], DataType::FLOAT32);
        if (bytes == 0) continue;
        const BufferSlice dst = slice_of(plan, g, input);
        VkBufferCopy region{plan.input_staging[i], dst.offset, bytes};
        vkCmdCopyBuffer(cb, staging_in_.handle(), dst.buffer, 1, &region);
      }
    }
    // Orders this submission after the previous one and the input copies.
    full_barrier(cb);
    for (int n = group.first_node; n < group.end_node; ++n) {
      const graph::Node& node = graph_.nodes[static_cast<size_t>(n)];
      std::vector<TensorBinding> ins, outs;
      for (int in : node.inputs)
        ins.push_back({in >= 0 ? plan.shapes[static_cast<size_t>(in)] : Shape{}, slice_of(plan, g, in),
                       in >= 0 ? graph_.tensors[static_cast<size_t>(in)].quant : quant::WeightQuant{}});
      for (int out : node.outputs) outs.push_back({plan.shapes[static_cast<size_t>(out)], slice_of(plan, g, out)});
      Status status = find_kernel(node.op->type())(*node.op, recorder, ins, outs);
      if (!status.ok())
        return status.with_context(fmt::format("recording node '{}' ({})", node.name, node.op->type_name()));
      if (options_.profile && timestamps_)
        vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, timestamps_, static_cast<uint32_t>(n) + 1);
    }
    if (g + 1 == plan.groups.size()) {
      for (size_t i = 0; i < graph_.outputs.size(); ++i) {
        BufferSlice src = slice_of(plan, g, graph_.outputs[i]);
        const auto& t = graph_.tensors[static_cast<size_t>(graph_.outputs[i])];
        const VkDeviceSize bytes = tensor_bytes(plan.shapes[static_cast<size_t>(graph_.outputs[i])], t.dtype);
        if (bytes == 0) continue;
        VkBufferCopy region{src.offset, plan.output_staging[i], bytes};
        vkCmdCopyBuffer(cb, src.buffer, staging_out_.handle(), 1, &region);
      }
      VkMemoryBarrier to_host{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
      to_host.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
      to_host.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
      vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &to_host, 0,
                           nullptr, 0, nullptr);
      if (timestamps_)
        vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, timestamps_, query_count_ - 1);
    }
    FENNEC_VK_RETURN_IF_ERROR(vkEndCommandBuffer(cb));
  }
  plan.dispatches = recorder.dispatches();
  return ok_status();
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

Status Session::submit(const Plan& plan) {
  // Group g fills slot g % 2 while the device may still run group g - 1 from
  // the other slot; before refilling a slot, wait for the group that used it.
  VkDevice device = context_.device();
  std::array<bool, 2> pending{false, false};
  Status status = ok_status();
  for (size_t g = 0; g < plan.groups.size() && status.ok(); ++g) {
    const StreamGroup& group = plan.groups[g];
    const size_t slot = g % 2;
    if (pending[slot]) {
      VkResult r = vkWaitForFences(device, 1, &fences_[slot], VK_TRUE, UINT64_MAX);
      if (r != VK_SUCCESS) status = vk_status(r, "vkWaitForFences");
      pending[slot] = false;
    }
    if (!status.ok()) break;
    auto* dst = static_cast<std::byte*>(weights_->slot(static_cast<int>(slot)).mapped());
    for (const auto& [tensor, offset] : group.copies) {
      const auto& t = graph_.tensors[static_cast<size_t>(tensor)];
      std::memcpy(dst + offset, t.data, t.data_bytes);
    }
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &group.command_buffer;
    VkResult r = vkResetFences(device, 1, &fences_[slot]);
    if (r == VK_SUCCESS) r = vkQueueSubmit(context_.queue(), 1, &submit, fences_[slot]);
    if (r != VK_SUCCESS) status = vk_status(r, "vkQueueSubmit");
    else pending[slot] = true;
  }
  for (size_t slot = 0; slot < 2; ++slot)
    if (pending[slot]) {
      VkResult r = vkWaitForFences(device, 1, &fences_[slot], VK_TRUE, UINT64_MAX);
      if (r != VK_SUCCESS && status.ok()) status = vk_status(r, "vkWaitForFences");
    }
  return status;
}

Status Session::run(std::span<const InputView> inputs) {
  const auto start = std::chrono::steady_clock::now();
  FENNEC_RETURN_IF_ERROR(check_inputs(inputs));
  FENNEC_ASSIGN_OR_RETURN(Plan * plan, get_plan(inputs));
  auto* staging_in = static_cast<std::byte*>(staging_in_.mapped());
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].bytes) std::memcpy(staging_in + plan->input_staging[i], inputs[i].data, inputs[i].bytes);
  FENNEC_RETURN_IF_ERROR(submit(*plan));

  outputs_.clear();
  const auto* staging_out = static_cast<const std::byte*>(staging_out_.mapped());
  for (size_t i = 0; i < graph_.outputs.size(); ++i) {
    const size_t index = static_cast<size_t>(graph_.outputs[i]);
    HostTensor out(graph_.tensors[index].dtype, plan->shapes[index]);
    if (!out.bytes.empty()) std::memcpy(out.bytes.data(), staging_out + plan->output_staging[i], out.bytes.size());
    outputs_.push_back(std::move(out));
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
  stats_.imported_weight_bytes = weights_->imported_bytes();
  stats_.streamed_weight_bytes = 0;
  for (size_t i = 0; i < residency.resident.size(); ++i)
    if (!residency.resident[i]) stats_.streamed_weight_bytes += weights_->request().constant_bytes[i];
  stats_.stream_groups = plan->groups.size();
  stats_.arena_bytes = plan->memory.arena_bytes;
  stats_.naive_arena_bytes = plan->memory.naive_bytes;
  stats_.staging_bytes = staging_in_.size() + staging_out_.size();
  stats_.dispatches = plan->dispatches;
  stats_.last_run_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return ok_status();
}

}  // namespace fennec::vulkan
