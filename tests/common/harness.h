// Test helpers: a shared Vulkan context, one-op graphs run on Vulkan, seeded
// random tensors and error statistics.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "base/status.h"
#include "graph/tensor.h"
#include "ops/op.h"
#include "quant/weight_format.h"

namespace fennec::testing {

// Runs `op` as a one-node graph on the test process's Vulkan device (the
// default device choice; FENNEC_DEVICE overrides). `inputs[i]` may be nullptr
// for an absent optional input. `constant[i]` marks inputs stored as weights
// (uploaded once) rather than fed at run time; missing entries mean false.
// `quant[i]`, when given and quantized, stores constant input i in that
// weight format (the kernels then decode it).
// `integer_dot_product` false runs on a second context that leaves
// VK_KHR_shader_integer_dot_product off (the w8a8 kernels' plain path).
Result<std::vector<HostTensor>> run_on_vulkan(std::unique_ptr<ops::Op> op,
                                              const std::vector<const HostTensor*>& inputs,
                                              const std::vector<bool>& constant = {},
                                              const std::vector<quant::WeightQuant>& quant = {},
                                              bool integer_dot_product = true);

// Whether the shared context runs the integer dot-product kernels.
bool device_has_integer_dot_product();

// The float32 values that `t` stands for once stored in `quant`'s format:
// encoded, then decoded by the reference decoder.
HostTensor dequantized(const HostTensor& t, const quant::WeightQuant& quant);

// A float tensor with the given values (their count must match the shape).
HostTensor tensor(const Shape& shape, const std::vector<float>& values);

// Uniform values in [lo, hi) from a fixed seed.
HostTensor random_tensor(const Shape& shape, uint32_t seed, float lo = -1.0f, float hi = 1.0f);

struct ErrorStats {
  double max_abs = 0.0;  // max |expected - actual|
  double nmse = 0.0;     // sum (e-a)^2 / sum e^2 (0 when both are zero)
  bool shape_match = false;
};
ErrorStats compare(const HostTensor& expected, const HostTensor& actual);

// fp32 bounds used by the op tests.
constexpr double kFp32MaxAbs = 1e-4;
constexpr double kFp32Nmse = 1e-10;

}  // namespace fennec::testing
