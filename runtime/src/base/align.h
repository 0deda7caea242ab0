// Alignment helpers.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fennec {

// Weight blobs in the model file and arena offsets use this alignment.
constexpr uint64_t kWeightAlignment = 64;

constexpr uint64_t align_up(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

constexpr uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

}  // namespace fennec
