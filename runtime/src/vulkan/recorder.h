// What a Vulkan op kernel sees while its dispatches are recorded.
//
// Op kernels (runtime/src/vulkan/ops/<op>_vulkan.cpp) receive the bound
// tensors and call dispatch(); the Recorder owns pipelines, descriptor sets
// and barriers. Every dispatch sees the results of the previous one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>

#include <vulkan/vulkan.h>

#include "base/status.h"
#include "fennec_shaders.h"
#include "graph/tensor.h"
#include "ops/op.h"
#include "quant/weight_format.h"

namespace fennec::vulkan {

// A byte range of a device buffer bound as one storage buffer.
struct BufferSlice {
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceSize offset = 0;
  VkDeviceSize size = 0;

  bool valid() const { return buffer != VK_NULL_HANDLE; }
};

// A tensor bound for one op: its static shape and where its bytes live.
// An absent optional input has an invalid slice and an empty shape. A
// quantized weight keeps its logical shape; `quant` says how its bytes are
// stored (Graph::validate() admits them only where a kernel decodes them).
struct TensorBinding {
  Shape shape;
  BufferSlice slice;
  quant::WeightQuant quant;
  DataType dtype = DataType::FLOAT32;  // FLOAT16: binary16 activation storage
};

// Invocations per workgroup in the 1-D kernels; shaders take it as
// specialization constant 0 (local_size_x_id = 0).
constexpr uint32_t kDefaultWorkgroupSize = 64;

class Recorder {
 public:
  virtual ~Recorder() = default;

  // Records one dispatch of `shader` over `invocations` work items, laid out by
  // the Recorder as a 2-D grid of workgroups of kDefaultWorkgroupSize (shaders
  // recover the linear index with fennec_linear_index() from index.glsl and
  // must bounds-check it). `buffers` bind to set 0, bindings 0..n-1.
  virtual Status dispatch(ShaderId shader, std::span<const BufferSlice> buffers,
                          std::span<const std::byte> push_constants, uint64_t invocations) = 0;

  // A small valid buffer for bindings that a shader declares but does not read
  // (for example an absent bias).
  virtual BufferSlice dummy_buffer() const = 0;

  // Whether the device runs the packed int8 dot-product shader variants
  // (VK_KHR_shader_integer_dot_product, enabled on the context).
  virtual bool integer_dot_product() const { return false; }
  // Whether kernels may reduce with subgroup arithmetic (DeviceCaps).
  virtual bool subgroup_arithmetic() const { return false; }
  // Whether kernels should prefer few invocations with long loops (CPU
  // devices such as lavapipe; DeviceCaps::cpu_kernels).
  virtual bool cpu_device() const { return false; }

  template <typename Push>
  Status dispatch(ShaderId shader, std::initializer_list<BufferSlice> buffers, const Push& push,
                  uint64_t invocations) {
    static_assert(sizeof(Push) <= 128, "push constants are limited to 128 bytes");
    return dispatch(shader, std::span<const BufferSlice>(buffers.begin(), buffers.size()),
                    std::as_bytes(std::span<const Push>(&push, 1)), invocations);
  }
};

// Records the dispatches that compute one op.
using RecordFn = Status (*)(const ops::Op& op, Recorder& recorder,
                            std::span<const TensorBinding> inputs,
                            std::span<const TensorBinding> outputs);

// The Vulkan kernel for an op type, or nullptr when there is none.
RecordFn find_kernel(ops::OpType type);

}  // namespace fennec::vulkan
