// Record functions of the Vulkan op kernels, one per op family; the table in
// registry.cpp maps op types to them.
#pragma once

#include "vulkan/recorder.h"

namespace fennec::vulkan {

#define FENNEC_DECLARE_KERNEL(name)                                                    \
  Status name(const ops::Op& op, Recorder& recorder, std::span<const TensorBinding> inputs, \
              std::span<const TensorBinding> outputs)

FENNEC_DECLARE_KERNEL(record_unary);
FENNEC_DECLARE_KERNEL(record_binary);
FENNEC_DECLARE_KERNEL(record_conv);
FENNEC_DECLARE_KERNEL(record_conv_transpose);
FENNEC_DECLARE_KERNEL(record_batch_norm);
FENNEC_DECLARE_KERNEL(record_global_average_pool);
FENNEC_DECLARE_KERNEL(record_concat);
FENNEC_DECLARE_KERNEL(record_resize);
FENNEC_DECLARE_KERNEL(record_reshape);
FENNEC_DECLARE_KERNEL(record_transpose);
FENNEC_DECLARE_KERNEL(record_slice);
FENNEC_DECLARE_KERNEL(record_gather);
FENNEC_DECLARE_KERNEL(record_pad);
FENNEC_DECLARE_KERNEL(record_expand);
FENNEC_DECLARE_KERNEL(record_matmul);
FENNEC_DECLARE_KERNEL(record_pool2d);
FENNEC_DECLARE_KERNEL(record_attention);
FENNEC_DECLARE_KERNEL(record_softmax);
FENNEC_DECLARE_KERNEL(record_reduce);
FENNEC_DECLARE_KERNEL(record_layer_norm);
FENNEC_DECLARE_KERNEL(record_lstm);
FENNEC_DECLARE_KERNEL(record_cast);

#undef FENNEC_DECLARE_KERNEL

}  // namespace fennec::vulkan
