// Runs a graph on a Vulkan device.
//
// create() checks that every op has a kernel and uploads the constants when
// they fit the memory budget. run() binds the input shapes: for each new set
// of shapes it infers all shapes, plans the activation arena by tensor
// lifetimes, decides which weights stay resident (the rest are streamed from
// host memory through two slots, see graph/residency.h) and records command
// buffers (upload, dispatches, download), then caches that plan; later runs
// with the same shapes only copy data and submit. When the arena does not fit
// even with every weight streamed, idle activations are spilled to host
// memory between submissions (graph/spill_planner.h).
// A Session is used by one thread at a time; the Context and the Graph (and
// the memory its constants point to) must outlive it.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "graph/graph.h"
#include "graph/tensor.h"
#include "vulkan/allocator.h"
#include "vulkan/context.h"
#include "vulkan/pipelines.h"
#include "vulkan/schedule.h"
#include "vulkan/weight_store.h"

namespace fennec::vulkan {

class PlanRecorder;

// Input data owned by the caller.
struct InputView {
  DataType dtype = DataType::FLOAT32;
  Shape shape;
  const void* data = nullptr;
  size_t bytes = 0;
};

struct SessionOptions {
  uint64_t memory_budget_bytes = 0;  // 0: the device's budget less a margin
  bool profile = false;              // time every node (device timestamps)
  // Largest single device allocation; weights and the arena are split into
  // blocks of at most this (a tensor larger than it gets a block of its own).
  // Drivers are known to fail below their reported limits. 0: 1 GiB, or the
  // device's maxMemoryAllocationSize when smaller.
  uint64_t max_block_bytes = 0;
  // Tests: the Nth device allocation fails as if out of memory (0: none).
  uint64_t fail_allocation = 0;
  // Tests: copies between host and arena go through a transfer buffer even
  // where the arena is host-visible (as on discrete GPUs).
  bool stage_host_copies = false;
};

struct SessionStats {
  MemoryStats memory;
  uint64_t budget_bytes = 0;       // the budget in force (given, or the device default)
  std::string budget_source;       // where it came from, for users
  uint64_t weight_bytes = 0;          // device bytes held for weights (resident and slots)
  uint64_t streamed_weight_bytes = 0; // weights not resident, copied in every run
  uint64_t imported_weight_bytes = 0; // weights used in place from host memory (not copied)
  uint64_t weight_slot_bytes = 0;     // each of the two streaming slots
  bool weight_slots_staged = false;   // device-memory slots filled from staging buffers
  size_t stream_groups = 0;           // submissions per run in the last plan
  size_t spills = 0;                  // activations spilled to host memory over an idle stretch
  size_t banded_nodes = 0;            // nodes run in bands through a window in the arena
  size_t bands = 0;                   // submissions those nodes take per run
  size_t binary16_nodes = 0;          // nodes run with binary16 activations
  size_t model_binary16_nodes = 0;    // the model's nodes with FLOAT16 activations
  uint64_t spill_copy_bytes = 0;      // bytes those spills copy out and back per run
  uint64_t arena_bytes = 0;        // planned arena for the last shapes
  uint64_t naive_arena_bytes = 0;  // sum of intermediates for the last shapes
  uint64_t staging_bytes = 0;
  double last_run_ms = 0.0;
  double last_gpu_ms = -1.0;
  size_t dispatches = 0;           // in the last plan
  std::vector<double> node_ms;     // per node, last run; empty unless profiling
};

// The budget a session gets when none is given: what VK_EXT_memory_budget
// says this process may use of the largest device-local heap, else 3/4 of
// that heap, less a margin of 5% (at least 64 MiB). `source` says which.
uint64_t default_memory_budget(const DeviceCaps& caps, std::string* source);

class Session {
 public:
  static Result<std::unique_ptr<Session>> create(Context& context, const graph::Graph& graph,
                                                 const SessionOptions& options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // `inputs` in the order of graph.inputs.
  Status run(std::span<const InputView> inputs);
  // Outputs of the last successful run, in the order of graph.outputs.
  const std::vector<HostTensor>& outputs() const { return outputs_; }
  // Memory figures are the accountant's current ones; the rest describe the
  // last successful run.
  SessionStats stats() const {
    SessionStats s = stats_;
    s.memory = allocator_->stats();
    return s;
  }
  const Context& context() const { return context_; }

 private:
  struct Plan;
  Session(Context& context, const graph::Graph& graph, const SessionOptions& options);
  Status check_inputs(std::span<const InputView> inputs) const;
  Result<Plan*> get_plan(std::span<const InputView> inputs);
  Status build_plan(Plan& plan, const std::vector<Shape>& input_shapes);
  // Makes the arena, staging buffers and weight residency fit `plan` within
  // the budget, reallocating (and dropping recorded plans) where needed.
  // When even that fails, spills idle activations to host memory (see
  // graph/spill_planner.h) until they fit.
  Status fit(Plan& plan);
  Status too_small(const Plan& plan, uint64_t other, uint64_t arena, uint64_t staging,
                   uint64_t weights) const;
  // Places the arena buffers where plan.spill.memory says and cuts the arena
  // into blocks.
  void layout_arena(Plan& plan) const;
  // The transfer buffer a plan needs (none when the arena is host-visible).
  uint64_t staging_bytes(const Plan& plan) const;
  void plan_stream_groups(Plan& plan) const;
  // Marks the nodes that touch more arena than the largest node that cannot
  // run in bands to run in bands (see vulkan/bands.h); false when none can.
  bool band_nodes(Plan& plan) const;
  Status record_plan(Plan& plan);
  // Records the streamed weights' copy into a staged slot for `segment`.
  void record_slot_fill(VkCommandBuffer cb, const Plan& plan, const Segment& segment) const;
  // Records one command buffer per band of banded segment `k`.
  Status record_bands(Plan& plan, size_t k, PlanRecorder& recorder);
  // Runs banded segment `k`: per band, copies in, submits, waits, copies out.
  Status run_bands(Plan& plan, size_t k);
  Status submit(Plan& plan, std::span<const InputView> inputs);
  // Submits `cb` with `fence` and waits for it.
  Status submit_and_wait(VkCommandBuffer cb, VkFence fence);
  // Runs the host side of `copies` around a submission.
  void copy_in(Plan& plan, const std::vector<HostCopy>& copies, std::span<const InputView> inputs);
  void copy_out(Plan& plan, const std::vector<HostCopy>& copies);
  // Runs `copies` whole, through the transfer buffer in pieces of its size,
  // one submission per filling (plans whose transfer buffer is smaller than
  // the copies around one submission).
  Status copy_pieces(Plan& plan, const std::vector<HostCopy>& copies, bool into_arena,
                     std::span<const InputView> inputs);
  // Records the copy of `bytes` between the transfer buffer and the arena.
  void record_transfer(VkCommandBuffer cb, VkDeviceSize staging_offset, VkDeviceSize arena_offset,
                       VkDeviceSize bytes, bool into_arena) const;
  // The host side of one copy: where an input or restore comes from, where
  // an output or spill goes.
  const std::byte* copy_source(Plan& plan, const HostCopy& c, std::span<const InputView> inputs) const;
  std::byte* copy_target(Plan& plan, const HostCopy& c);
  // The arena block that holds planned arena offset `offset`, and that
  // byte's host address when the arena is mapped.
  size_t arena_block(VkDeviceSize offset) const;
  std::byte* arena_pointer(VkDeviceSize offset) const;
  // Where `tensor` is at node `step` of weight group `group`.
  BufferSlice slice_of(const Plan& plan, size_t group, int step, int tensor) const;
  void drop_plans();

  Context& context_;
  // The graph with FLOAT16 activations widened, on a device without 16-bit
  // storage; graph_ then refers to it.
  std::unique_ptr<graph::Graph> widened_;
  const graph::Graph& graph_;
  SessionOptions options_;
  // Declared before the buffers so that buffers are released first.
  std::unique_ptr<Allocator> allocator_;
  std::unique_ptr<WeightStore> weights_;
  std::vector<Buffer> arena_;                 // blocks
  std::vector<graph::ByteRange> arena_blocks_;  // where each block lies in the planned arena
  bool arena_mapped_ = false;  // the host reads and writes the arena directly
  Buffer transfer_;            // host copies pass through it when the arena is not mapped
  Buffer dummy_;
  VkQueryPool timestamps_ = VK_NULL_HANDLE;
  uint32_t query_count_ = 0;
  VkDeviceSize alignment_ = 0;   // of constants and arena tensors
  uint64_t block_bytes_ = 0;     // largest allocation
  std::map<std::vector<Shape>, std::unique_ptr<Plan>> plans_;
  std::vector<HostTensor> outputs_;
  SessionStats stats_;
};

}  // namespace fennec::vulkan
