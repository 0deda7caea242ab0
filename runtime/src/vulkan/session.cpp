#include "vulkan/session.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "base/align.h"
#include "base/log.h"
#include "graph/memory_planner.h"
#include "vulkan/recorder.h"
#include "vulkan/vk_check.h"

namespace fennec::vulkan {
namespace {

constexpr VkDeviceSize kNoOffset = ~VkDeviceSize{0};
constexpr uint32_t kSetsPerPool = 256;
constexpr uint32_t kMaxBindings = 16;
constexpr VkDeviceSize kUploadChunk = 64ull << 20;

VkDeviceSize tensor_bytes(const Shape& shape, DataType dtype) {
  return static_cast<VkDeviceSize>(element_count(shape)) * dtype_size(dtype);
}

void full_barrier(VkCommandBuffer cb) {
  VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  barrier.dstAccessMask =
      VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT;
  vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                       VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1,
                       &barrier, 0, nullptr, 0, nullptr);
}

}  // namespace

struct Session::Plan {
  std::vector<Shape> shapes;                 // per tensor
  std::vector<VkDeviceSize> arena_offsets;   // per tensor, kNoOffset if not in the arena
  graph::MemoryPlan memory;
  std::vector<VkDeviceSize> input_staging;   // per graph input
  std::vector<VkDeviceSize> output_staging;  // per graph output
  VkDeviceSize staging_in_bytes = 0;
  VkDeviceSize staging_out_bytes = 0;
  VkCommandBuffer command_buffer = VK_NULL_HANDLE;
  std::vector<VkDescriptorPool> pools;
  size_t dispatches = 0;
};

// Records dispatches into a plan's command buffer.
class PlanRecorder final : public Recorder {
 public:
  PlanRecorder(const Context& context, Pipelines& pipelines, VkCommandBuffer cb,
               std::vector<VkDescriptorPool>& pools, BufferSlice dummy)
      : context_(context), pipelines_(pipelines), cb_(cb), pools_(pools), dummy_(dummy) {}

  bool integer_dot_product() const override { return context_.caps().integer_dot_product; }

  Status dispatch(ShaderId shader, std::span<const BufferSlice> buffers,
                  std::span<const std::byte> push_constants, uint64_t invocations) override {
    if (invocations == 0) return ok_status();
    if (buffers.size() > kMaxBindings)
      return make_error(StatusCode::kInternal, "too many bindings ({})", buffers.size());
    const uint32_t binding_count = static_cast<uint32_t>(buffers.size());
    FENNEC_ASSIGN_OR_RETURN(const Pipeline* pipeline, pipelines_.get(shader, binding_count));
    FENNEC_ASSIGN_OR_RETURN(VkDescriptorSet set, allocate_set(pipeline->set_layout));
    std::vector<VkDescriptorBufferInfo> infos(binding_count);
    std::vector<VkWriteDescriptorSet> writes(binding_count);
    const uint64_t max_range = context_.caps().max_storage_buffer_range;
    for (uint32_t i = 0; i < binding_count; ++i) {
      const BufferSlice& slice = buffers[i].valid() ? buffers[i] : dummy_;
      if (slice.size > max_range)
        return make_error(StatusCode::kUnsupported,
                          "shader {} binding {} needs {} bytes, above the device's "
                          "maxStorageBufferRange of {} bytes; use a smaller input",
                          shader_blob(shader).name, i, slice.size, max_range);
      infos[i] = {slice.buffer, slice.offset, std::max<VkDeviceSize>(slice.size, 4)};
      writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
      writes[i].dstSet = set;
      writes[i].dstBinding = i;
      writes[i].descriptorCount = 1;
      writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
      writes[i].pBufferInfo = &infos[i];
    }
    vkUpdateDescriptorSets(context_.device(), binding_count, writes.data(), 0, nullptr);
    vkCmdBindPipeline(cb_, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline->pipeline);
    vkCmdBindDescriptorSets(cb_, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline->layout, 0, 1, &set, 0,
                            nullptr);
    if (!push_constants.empty())
      vkCmdPushConstants(cb_, pipeline->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
                         static_cast<uint32_t>(push_constants.size()), push_constants.data());
    const uint64_t groups = ceil_div(invocations, kDefaultWorkgroupSize);
    const uint64_t max_x = std::min<uint64_t>(context_.caps().max_workgroup_count_x, 65535);
    const uint64_t gx = std::min(groups, max_x);
    const uint64_t gy = ceil_div(groups, gx);
    if (gy > 65535)
      return make_error(StatusCode::kUnsupported, "dispatch of {} invocations is too large",
                        invocations);
    vkCmdDispatch(cb_, static_cast<uint32_t>(gx), static_cast<uint32_t>(gy), 1);
    full_barrier(cb_);
    ++dispatches_;
    return ok_status();
  }

  BufferSlice dummy_buffer() const override { return dummy_; }
  size_t dispatches() const { return dispatches_; }

 private:
  Result<VkDescriptorSet> allocate_set(VkDescriptorSetLayout layout) {
    if (pools_.empty() || sets_in_pool_ == kSetsPerPool) {
      VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kSetsPerPool * kMaxBindings};
      VkDescriptorPoolCreateInfo info{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
      info.maxSets = kSetsPerPool;
      info.poolSizeCount = 1;
      info.pPoolSizes = &size;
      VkDescriptorPool pool = VK_NULL_HANDLE;
      FENNEC_VK_RETURN_IF_ERROR(vkCreateDescriptorPool(context_.device(), &info, nullptr, &pool));
      pools_.push_back(pool);
      sets_in_pool_ = 0;
    }
    VkDescriptorSetAllocateInfo alloc{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    alloc.descriptorPool = pools_.back();
    alloc.descriptorSetCount = 1;
    alloc.pSetLayouts = &layout;
    VkDescriptorSet set = VK_NULL_HANDLE;
    FENNEC_VK_RETURN_IF_ERROR(vkAllocateDescriptorSets(context_.device(), &alloc, &set));
    ++sets_in_pool_;
    return set;
  }

  const Context& context_;
  Pipelines& pipelines_;
  VkCommandBuffer cb_;
  std::vector<VkDescriptorPool>& pools_;
  BufferSlice dummy_;
  uint32_t sets_in_pool_ = 0;
  size_t dispatches_ = 0;
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
  session->allocator_ = std::make_unique<Allocator>(context, budget);
  session->pipelines_ = std::make_unique<Pipelines>(context);
  FENNEC_ASSIGN_OR_RETURN(session->dummy_, session->allocator_->create_buffer(
                                               16, MemoryUsage::kDeviceLocal, MemoryCategory::kOther));
  FENNEC_RETURN_IF_ERROR(session->upload_weights());
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
  if (timestamps_) vkDestroyQueryPool(context_.device(), timestamps_, nullptr);
}

void Session::drop_plans() {
  VkDevice device = context_.device();
  for (auto& [shapes, plan] : plans_) {
    if (plan->command_buffer)
      vkFreeCommandBuffers(device, context_.command_pool(), 1, &plan->command_buffer);
    for (VkDescriptorPool pool : plan->pools) vkDestroyDescriptorPool(device, pool, nullptr);
  }
  plans_.clear();
}

Status Session::upload_weights() {
  const VkDeviceSize alignment =
      std::max<VkDeviceSize>(kWeightAlignment, context_.caps().min_storage_buffer_offset_alignment);
  weight_offsets_.assign(graph_.tensors.size(), kNoOffset);
  VkDeviceSize total = 0;
  for (size_t i = 0; i < graph_.tensors.size(); ++i) {
    const graph::TensorInfo& t = graph_.tensors[i];
    if (!t.is_constant()) continue;
    weight_offsets_[i] = total;
    total = align_up(total + std::max<VkDeviceSize>(t.data_bytes, 4), alignment);
  }
  if (total == 0) return ok_status();
  FENNEC_ASSIGN_OR_RETURN(weights_, allocator_->create_buffer(total, MemoryUsage::kDeviceLocal,
                                                              MemoryCategory::kWeights));
  stats_.weight_bytes = weights_.size();
  if (weights_.mapped()) {
    // Unified memory: write in place, no staging copy.
    auto* dst = static_cast<std::byte*>(weights_.mapped());
    for (size_t i = 0; i < graph_.tensors.size(); ++i)
      if (weight_offsets_[i] != kNoOffset && graph_.tensors[i].data_bytes)
        std::memcpy(dst + weight_offsets_[i], graph_.tensors[i].data, graph_.tensors[i].data_bytes);
    return ok_status();
  }
  // Discrete memory: stream through a bounded staging buffer.
  const VkDeviceSize chunk = std::min(total, kUploadChunk);
  FENNEC_ASSIGN_OR_RETURN(Buffer staging, allocator_->create_buffer(chunk, MemoryUsage::kHostUpload,
                                                                    MemoryCategory::kStaging));
  // Assemble the weight image chunk by chunk.
  for (VkDeviceSize begin = 0; begin < total; begin += chunk) {
    const VkDeviceSize end = std::min(total, begin + chunk);
    auto* dst = static_cast<std::byte*>(staging.mapped());
    std::memset(dst, 0, end - begin);
    for (size_t i = 0; i < graph_.tensors.size(); ++i) {
      if (weight_offsets_[i] == kNoOffset) continue;
      const VkDeviceSize t_begin = weight_offsets_[i];
      const VkDeviceSize t_end = t_begin + graph_.tensors[i].data_bytes;
      const VkDeviceSize lo = std::max(begin, t_begin), hi = std::min(end, t_end);
      if (lo < hi) std::memcpy(dst + (lo - begin), graph_.tensors[i].data + (lo - t_begin), hi - lo);
    }
    VkBufferCopy region{0, begin, end - begin};
    FENNEC_RETURN_IF_ERROR(context_.submit_and_wait([&](VkCommandBuffer cb) {
      vkCmdCopyBuffer(cb, staging.handle(), weights_.handle(), 1, &region);
    }));
  }
  return ok_status();
}

// Before growing the arena or staging buffers: the device bytes in use after
// the growth must fit the budget. If not, the error names the smallest
// budget that works for these input shapes and what dominates it. Buffers
// are counted rounded up to 64 KiB, above any driver's alignment.
Status Session::check_plan_fits(const Plan& plan, bool grow_arena, bool grow_in, bool grow_out) const {
  const uint64_t budget = allocator_->budget_bytes();
  auto rounded = [](uint64_t bytes) { return align_up(bytes, VkDeviceSize{64} << 10); };
  const uint64_t arena = rounded(grow_arena ? plan.memory.arena_bytes : arena_.size());
  const uint64_t staging = rounded(grow_in ? plan.staging_in_bytes : staging_in_.size()) +
                           rounded(grow_out ? plan.staging_out_bytes : staging_out_.size());
  // Weights and the rest: what is in use besides the arena and staging.
  const uint64_t in_use = allocator_->stats().current_bytes;
  const uint64_t movable = arena_.size() + staging_in_.size() + staging_out_.size();
  const uint64_t fixed = rounded(in_use > movable ? in_use - movable : 0);
  const uint64_t need = fixed + arena + staging;
  if (budget == 0 || need <= budget) return ok_status();
  std::string shapes;
  for (int input : graph_.inputs) {
    if (!shapes.empty()) shapes += ", ";
    shapes += graph_.tensors[static_cast<size_t>(input)].name + " " +
              shape_to_string(plan.shapes[static_cast<size_t>(input)]);
  }
  const char* dominant = arena >= fixed && arena >= staging ? "the activation arena dominates"
                         : fixed >= staging                 ? "the weights dominate"
                                                            : "the staging buffers dominate";
  return make_error(StatusCode::kOutOfMemory,
                    "the memory budget of {} bytes is too small for input {}: the smallest budget that "
                    "works is {} bytes (weights and other {} + activation arena {} + staging {}; {}). "
                    "Raise the budget (--memory-budget) or use smaller inputs",
                    budget, shapes, need, fixed, arena, staging, dominant);
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

  std::vector<graph::BufferRequest> requests;
  std::vector<size_t> request_tensor;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].is_constant() || first[i] == INT32_MAX) continue;
    requests.push_back({tensor_bytes(plan.shapes[i], tensors[i].dtype), first[i], last[i]});
    request_tensor.push_back(i);
  }
  const VkDeviceSize alignment =
      std::max<VkDeviceSize>(kWeightAlignment, context_.caps().min_storage_buffer_offset_alignment);
  plan.memory = graph::plan_memory(requests, alignment);
  plan.arena_offsets.assign(tensors.size(), kNoOffset);
  for (size_t r = 0; r < requests.size(); ++r) plan.arena_offsets[request_tensor[r]] = plan.memory.offsets[r];

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

Status Session::record_plan(Plan& plan) {
  VkDevice device = context_.device();
  VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  alloc.commandPool = context_.command_pool();
  alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  alloc.commandBufferCount = 1;
  FENNEC_VK_RETURN_IF_ERROR(vkAllocateCommandBuffers(device, &alloc, &plan.command_buffer));
  VkCommandBuffer cb = plan.command_buffer;
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  FENNEC_VK_RETURN_IF_ERROR(vkBeginCommandBuffer(cb, &begin));
  if (timestamps_) {
    vkCmdResetQueryPool(cb, timestamps_, 0, query_count_);
    vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, timestamps_, 0);
  }

  auto slice_of = [&](int index) -> BufferSlice {
    if (index < 0) return {};
    const size_t i = static_cast<size_t>(index);
    const auto& t = graph_.tensors[i];
    // Shaders read constants as 32-bit words (quantized weights as packed
    // bytes and halves): bind whole words. upload_weights() leaves at least
    // that much room after each constant.
    if (t.is_constant())
      return {weights_.handle(), weight_offsets_[i], align_up(std::max<VkDeviceSize>(t.data_bytes, 4), 4)};
    return {arena_.handle(), plan.arena_offsets[i],
            std::max<VkDeviceSize>(tensor_bytes(plan.shapes[i], t.dtype), 4)};
  };

  for (size_t i = 0; i < graph_.inputs.size(); ++i) {
    const int input = graph_.inputs[i];
    const VkDeviceSize bytes = tensor_bytes(plan.shapes[static_cast<size_t>(input)], DataType::FLOAT32);
    if (bytes == 0) continue;
    VkBufferCopy region{plan.input_staging[i], plan.arena_offsets[static_cast<size_t>(input)], bytes};
    vkCmdCopyBuffer(cb, staging_in_.handle(), arena_.handle(), 1, &region);
  }
  full_barrier(cb);

  PlanRecorder recorder(context_, *pipelines_, cb, plan.pools, {dummy_.handle(), 0, dummy_.size()});
  for (const graph::Node& node : graph_.nodes) {
    std::vector<TensorBinding> ins, outs;
    for (int in : node.inputs)
      ins.push_back({in >= 0 ? plan.shapes[static_cast<size_t>(in)] : Shape{}, slice_of(in),
                     in >= 0 ? graph_.tensors[static_cast<size_t>(in)].quant : quant::WeightQuant{}});
    for (int out : node.outputs) outs.push_back({plan.shapes[static_cast<size_t>(out)], slice_of(out)});
    Status status = find_kernel(node.op->type())(*node.op, recorder, ins, outs);
    if (!status.ok())
      return status.with_context(fmt::format("recording node '{}' ({})", node.name, node.op->type_name()));
    if (options_.profile && timestamps_)
      vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, timestamps_,
                          static_cast<uint32_t>(&node - graph_.nodes.data()) + 1);
  }
  plan.dispatches = recorder.dispatches();

  for (size_t i = 0; i < graph_.outputs.size(); ++i) {
    BufferSlice src = slice_of(graph_.outputs[i]);
    const auto& t = graph_.tensors[static_cast<size_t>(graph_.outputs[i])];
    const VkDeviceSize bytes = tensor_bytes(plan.shapes[static_cast<size_t>(graph_.outputs[i])], t.dtype);
    if (bytes == 0) continue;
    VkBufferCopy region{src.offset, plan.output_staging[i], bytes};
    vkCmdCopyBuffer(cb, src.buffer, staging_out_.handle(), 1, &region);
  }
  VkMemoryBarrier to_host{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  to_host.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
  to_host.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &to_host,
                       0, nullptr, 0, nullptr);
  if (timestamps_) vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, timestamps_, query_count_ - 1);
  FENNEC_VK_RETURN_IF_ERROR(vkEndCommandBuffer(cb));
  return ok_status();
}

Result<Session::Plan*> Session::get_plan(std::span<const InputView> inputs) {
  std::vector<Shape> key;
  for (const InputView& in : inputs) key.push_back(in.shape);
  auto it = plans_.find(key);
  if (it != plans_.end()) return it->second.get();

  auto plan = std::make_unique<Plan>();
  FENNEC_RETURN_IF_ERROR(build_plan(*plan, key));

  // Grow the shared arena and staging buffers when this plan needs more;
  // plans recorded against the old buffers are dropped and re-recorded.
  const bool grow_arena = plan->memory.arena_bytes > arena_.size();
  const bool grow_in = plan->staging_in_bytes > staging_in_.size();
  const bool grow_out = plan->staging_out_bytes > staging_out_.size();
  if (grow_arena || grow_in || grow_out) {
    FENNEC_RETURN_IF_ERROR(check_plan_fits(*plan, grow_arena, grow_in, grow_out));
    // Every submission has completed (run() waits), so nothing uses them.
    drop_plans();
    if (grow_arena) {
      arena_.reset();
      FENNEC_ASSIGN_OR_RETURN(arena_, allocator_->create_buffer(plan->memory.arena_bytes,
                                                                MemoryUsage::kDeviceLocal,
                                                                MemoryCategory::kArena));
    }
    if (grow_in) {
      staging_in_.reset();
      FENNEC_ASSIGN_OR_RETURN(staging_in_, allocator_->create_buffer(plan->staging_in_bytes,
                                                                     MemoryUsage::kHostUpload,
                                                                     MemoryCategory::kStaging));
    }
    if (grow_out) {
      staging_out_.reset();
      FENNEC_ASSIGN_OR_RETURN(staging_out_, allocator_->create_buffer(plan->staging_out_bytes,
                                                                      MemoryUsage::kHostReadback,
                                                                      MemoryCategory::kStaging));
    }
  }
  Status recorded = record_plan(*plan);
  Plan* raw = plan.get();
  plans_[key] = std::move(plan);
  if (!recorded.ok()) {
    drop_plans();
    return recorded;
  }
  return raw;
}

Status Session::run(std::span<const InputView> inputs) {
  const auto start = std::chrono::steady_clock::now();
  FENNEC_RETURN_IF_ERROR(check_inputs(inputs));
  FENNEC_ASSIGN_OR_RETURN(Plan * plan, get_plan(inputs));
  auto* staging_in = static_cast<std::byte*>(staging_in_.mapped());
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].bytes) std::memcpy(staging_in + plan->input_staging[i], inputs[i].data, inputs[i].bytes);
  FENNEC_RETURN_IF_ERROR(context_.submit_and_wait(plan->command_buffer));

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
  stats_.arena_bytes = plan->memory.arena_bytes;
  stats_.naive_arena_bytes = plan->memory.naive_bytes;
  stats_.staging_bytes = staging_in_.size() + staging_out_.size();
  stats_.dispatches = plan->dispatches;
  stats_.last_run_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return ok_status();
}

}  // namespace fennec::vulkan
