// Activation memory planning: place tensors with known lifetimes in one arena
// so that tensors alive at the same time never overlap.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fennec::graph {

struct BufferRequest {
  uint64_t size = 0;   // bytes
  int first_use = 0;   // step that writes it (inputs: -1)
  int last_use = 0;    // last step that reads it (outputs: number of steps)
};

struct MemoryPlan {
  std::vector<uint64_t> offsets;  // per request, multiples of the alignment
  uint64_t arena_bytes = 0;       // size of the arena the offsets fit in
  uint64_t naive_bytes = 0;       // sum of all request sizes (no reuse)
  std::string strategy;           // which strategy produced it
};

// Greedy by size: largest tensors first, each at the lowest-waste gap
// (best fit) among the tensors that overlap it in time.
MemoryPlan plan_greedy_by_size(const std::vector<BufferRequest>& requests, uint64_t alignment);
// Greedy in order of first use (first fit), which often wins on chains.
MemoryPlan plan_in_order(const std::vector<BufferRequest>& requests, uint64_t alignment);
// Runs both strategies and keeps the smaller arena.
MemoryPlan plan_memory(const std::vector<BufferRequest>& requests, uint64_t alignment);

// A byte range [begin, end) of one arena or weight image.
struct ByteRange {
  uint64_t begin = 0;
  uint64_t end = 0;
};

// Cuts [0, total) into blocks of at most `block_bytes` so that no range in
// `ranges` crosses a cut; a range longer than `block_bytes` gets a block of
// its own. Returns the blocks in order; they cover [0, total) exactly.
std::vector<ByteRange> split_into_blocks(std::vector<ByteRange> ranges, uint64_t total,
                                         uint64_t block_bytes);

}  // namespace fennec::graph
