#include "vulkan/weight_store.h"

#include <algorithm>
#include <cstring>

#include <unistd.h>

#include "base/align.h"

namespace fennec::vulkan {
namespace {

constexpr VkDeviceSize kUploadChunk = 64ull << 20;
constexpr VkDeviceSize kSmallestChunk = 64ull << 10;

}  // namespace

WeightStore::WeightStore(Context& context, Allocator& allocator, const graph::Graph& graph,
                         VkDeviceSize alignment, uint64_t block_bytes)
    : context_(context), allocator_(allocator), graph_(graph), alignment_(alignment),
      block_bytes_(block_bytes) {
  const auto& tensors = graph.tensors;
  request_.constant_bytes.assign(tensors.size(), 0);
  request_.slot_buffers = allocator_.device_local_is_host_visible() ? 2 : 4;
  for (size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].is_constant())
      request_.constant_bytes[i] = align_up(std::max<uint64_t>(tensors[i].data_bytes, 4), alignment);
  for (const graph::Node& node : graph.nodes) {
    std::vector<int> constants;
    for (int in : node.inputs)
      if (in >= 0 && tensors[static_cast<size_t>(in)].is_constant() &&
          std::find(constants.begin(), constants.end(), in) == constants.end())
        constants.push_back(in);
    request_.node_constants.push_back(std::move(constants));
  }
  plan_.resident.assign(tensors.size(), false);
}

std::vector<graph::ByteRange> WeightStore::layout(const graph::ResidencyPlan& plan,
                                                  std::vector<Placement>* placements) const {
  std::vector<graph::ByteRange> ranges;
  std::vector<size_t> tensors;
  uint64_t total = 0;
  for (size_t i = 0; i < request_.constant_bytes.size(); ++i) {
    if (!plan.resident[i] || request_.constant_bytes[i] == 0) continue;
    ranges.push_back({total, total + request_.constant_bytes[i]});
    tensors.push_back(i);
    total += request_.constant_bytes[i];
  }
  std::vector<graph::ByteRange> blocks = graph::split_into_blocks(ranges, total, block_bytes_);
  if (placements) {
    placements->assign(request_.constant_bytes.size(), Placement{});
    size_t b = 0;
    for (size_t r = 0; r < ranges.size(); ++r) {
      while (ranges[r].begin >= blocks[b].end) ++b;
      (*placements)[tensors[r]] = {static_cast<int>(b), ranges[r].begin - blocks[b].begin};
    }
  }
  return blocks;
}

bool WeightStore::importable(std::vector<graph::ByteRange>* blocks) const {
  const DeviceCaps& caps = context_.caps();
  const std::span<const std::byte> storage = graph_.constant_storage;
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  const uint64_t alignment = caps.min_imported_host_pointer_alignment;
  // Importing whole pages around the region stays inside mapped memory only
  // when the import alignment is at most a page.
  if (import_failed_ || !caps.external_memory_host || storage.empty() || alignment == 0 || page % alignment != 0 ||
      !allocator_.device_local_is_host_visible())
    return false;
  const auto base = reinterpret_cast<uintptr_t>(storage.data()) / page * page;
  const uintptr_t end = reinterpret_cast<uintptr_t>(storage.data() + storage.size());
  std::vector<graph::ByteRange> ranges;  // constants, page-rounded, relative to base
  for (size_t i = 0; i < graph_.tensors.size(); ++i) {
    const auto& t = graph_.tensors[i];
    if (!t.is_constant() || t.data_bytes == 0) continue;
    const auto begin = reinterpret_cast<uintptr_t>(t.data);
    if (begin < base || begin + t.data_bytes > end || (begin - base) % alignment_ != 0) return false;
    const uint64_t offset = begin - base;
    ranges.push_back({offset / page * page, align_up(offset + std::max<uint64_t>(t.data_bytes, 4), page)});
  }
  if (ranges.empty()) return false;
  if (blocks) *blocks = graph::split_into_blocks(ranges, align_up(end - base, page), block_bytes_);
  return true;
}

uint64_t WeightStore::device_bytes(const graph::ResidencyPlan& plan) const {
  uint64_t bytes = 0;
  std::vector<graph::ByteRange> imported;
  if (!plan.streams() && importable(&imported)) {
    for (const graph::ByteRange& block : imported) bytes += block.end - block.begin;
    return bytes;
  }
  for (const graph::ByteRange& block : layout(plan, nullptr))
    bytes += allocator_.allocation_size(block.end - block.begin);
  if (plan.slot_bytes) bytes += plan.slot_buffers * allocator_.allocation_size(plan.slot_bytes);
  return bytes;
}

void WeightStore::release() {
  blocks_.clear();
  imported_bytes_ = 0;
  for (Buffer& slot : slots_) slot.reset();
  for (Buffer& staging : staging_) staging.reset();
  placements_.clear();
  plan_.resident.assign(request_.constant_bytes.size(), false);
  plan_.resident_bytes = plan_.slot_bytes = 0;
  applied_ = false;
}

Status WeightStore::import(const std::vector<graph::ByteRange>& blocks) {
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  const auto* base = reinterpret_cast<const std::byte*>(
      reinterpret_cast<uintptr_t>(graph_.constant_storage.data()) / page * page);
  for (const graph::ByteRange& block : blocks) {
    Result<Buffer> buffer = allocator_.import_host(base + block.begin, block.end - block.begin,
                                                   MemoryCategory::kWeights);
    if (!buffer.ok()) return buffer.status();
    blocks_.push_back(std::move(buffer).value());
    imported_bytes_ += block.end - block.begin;
  }
  placements_.assign(request_.constant_bytes.size(), Placement{});
  for (size_t i = 0; i < graph_.tensors.size(); ++i) {
    const auto& t = graph_.tensors[i];
    if (!t.is_constant() || t.data_bytes == 0) continue;
    const uint64_t offset = static_cast<uint64_t>(static_cast<const std::byte*>(t.data) - base);
    size_t b = 0;
    while (offset >= blocks[b].end) ++b;
    placements_[i] = {static_cast<int>(b), offset - blocks[b].begin};
  }
  return ok_status();
}

Status WeightStore::apply(const graph::ResidencyPlan& plan) {
  release();
  std::vector<graph::ByteRange> imported;
  if (!plan.streams() && importable(&imported)) {
    Status status = import(imported);
    if (status.ok()) {
      plan_ = plan;
      applied_ = true;
      return ok_status();
    }
    release();
    if (status.code() == StatusCode::kOutOfMemory && status.message().find("injected") != std::string::npos)
      return status;
    // The driver refused this memory (some do for file mappings): copy.
    import_failed_ = true;
  }
  std::vector<Placement> placements;
  const std::vector<graph::ByteRange> blocks = layout(plan, &placements);
  for (const graph::ByteRange& block : blocks) {
    Result<Buffer> buffer = allocator_.create_buffer(block.end - block.begin, MemoryUsage::kDeviceLocal,
                                                     MemoryCategory::kWeights);
    if (!buffer.ok()) {
      release();
      return buffer.status();
    }
    blocks_.push_back(std::move(buffer).value());
  }
  placements_ = std::move(placements);
  plan_ = plan;
  Status uploaded = upload(blocks);
  for (size_t s = 0; uploaded.ok() && plan.slot_bytes && s < slots_.size(); ++s) {
    const MemoryUsage usage = slots_staged() ? MemoryUsage::kDeviceLocal : MemoryUsage::kHostUpload;
    Result<Buffer> slot = allocator_.create_buffer(plan.slot_bytes, usage, MemoryCategory::kWeights);
    if (slot.ok()) slots_[s] = std::move(slot).value();
    else uploaded = slot.status();
    if (!uploaded.ok() || !slots_staged()) continue;
    Result<Buffer> staging =
        allocator_.create_buffer(plan.slot_bytes, MemoryUsage::kHostUpload, MemoryCategory::kStaging);
    if (staging.ok()) staging_[s] = std::move(staging).value();
    else uploaded = staging.status();
  }
  if (!uploaded.ok()) {
    release();
    return uploaded;
  }
  applied_ = true;
  return ok_status();
}

const void* WeightStore::host_data(int tensor) const {
  return graph_.tensors[static_cast<size_t>(tensor)].data;
}

BufferSlice WeightStore::resident_slice(int tensor) const {
  const Placement& p = placements_[static_cast<size_t>(tensor)];
  const auto& t = graph_.tensors[static_cast<size_t>(tensor)];
  if (p.block < 0) return {};  // an empty constant, left unimported: bound to the dummy
  // Shaders read constants as 32-bit words (quantized weights as packed
  // bytes and halves): bind whole words; request_ leaves that much room.
  return {blocks_[static_cast<size_t>(p.block)].handle(), p.offset,
          align_up(std::max<VkDeviceSize>(t.data_bytes, 4), 4)};
}

uint64_t WeightStore::resident_device_bytes() const {
  uint64_t bytes = 0;
  for (const Buffer& block : blocks_) bytes += block.size();
  return bytes;
}

uint64_t WeightStore::upload_reserve(uint64_t weight_bytes) const {
  return allocator_.device_local_is_host_visible() ? 0 : std::min<uint64_t>(weight_bytes, kSmallestChunk);
}

Status WeightStore::upload(const std::vector<graph::ByteRange>& blocks) {
  // Constants by block, each with its offset in the block.
  auto copy_range = [&](size_t b, VkDeviceSize begin, VkDeviceSize end, std::byte* dst) {
    std::memset(dst, 0, end - begin);
    for (size_t i = 0; i < placements_.size(); ++i) {
      if (placements_[i].block != static_cast<int>(b) || !plan_.resident[i]) continue;
      const VkDeviceSize t_begin = placements_[i].offset;
      const VkDeviceSize t_end = t_begin + graph_.tensors[i].data_bytes;
      const VkDeviceSize lo = std::max(begin, t_begin), hi = std::min(end, t_end);
      if (lo < hi)
        std::memcpy(dst + (lo - begin), static_cast<const std::byte*>(graph_.tensors[i].data) + (lo - t_begin),
                    hi - lo);
    }
  };
  bool mapped = true;
  for (const Buffer& block : blocks_) mapped = mapped && block.mapped();
  if (mapped) {
    // Unified memory: write in place, no staging copy.
    for (size_t b = 0; b < blocks_.size(); ++b)
      copy_range(b, 0, blocks[b].end - blocks[b].begin, static_cast<std::byte*>(blocks_[b].mapped()));
    return ok_status();
  }
  // Discrete memory: through one bounded staging buffer, as large as the
  // budget leaves room for (64 MiB at most, in steps of 64 KiB while there is
  // room for one; else whatever room is left, in 256-byte steps).
  VkDeviceSize largest = 0;
  for (const graph::ByteRange& block : blocks) largest = std::max(largest, block.end - block.begin);
  if (largest == 0) return ok_status();
  const uint64_t budget = allocator_.budget_bytes();
  const uint64_t in_use = allocator_.stats().current_bytes;
  VkDeviceSize chunk = std::min(largest, kUploadChunk);
  if (budget) {
    const uint64_t headroom = budget > in_use ? budget - in_use : 0;
    const uint64_t step = headroom >= kSmallestChunk ? kSmallestChunk : 256;
    chunk = std::min(chunk, std::max(step, headroom / step * step));
  }
  FENNEC_ASSIGN_OR_RETURN(Buffer staging, allocator_.create_buffer(chunk, MemoryUsage::kHostUpload,
                                                                   MemoryCategory::kStaging));
  chunk = std::min(chunk, staging.size());
  for (size_t b = 0; b < blocks_.size(); ++b) {
    const VkDeviceSize size = blocks[b].end - blocks[b].begin;
    for (VkDeviceSize begin = 0; begin < size; begin += chunk) {
      const VkDeviceSize end = std::min(size, begin + chunk);
      copy_range(b, begin, end, static_cast<std::byte*>(staging.mapped()));
      FENNEC_RETURN_IF_ERROR(context_.submit_and_wait([&](VkCommandBuffer cb) {
        VkBufferCopy region{0, begin, end - begin};
        vkCmdCopyBuffer(cb, staging.handle(), blocks_[b].handle(), 1, &region);
      }));
    }
  }
  return ok_status();
}

}  // namespace fennec::vulkan
