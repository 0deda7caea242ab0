// The push-constant block that conv2d.comp, conv2d_tiled.comp and
// conv_transpose2d.comp share, and its filling from a Window2D and the bound
// shapes.
#pragma once

#include <cstdint>

#include "ops/window2d.h"
#include "vulkan/recorder.h"

namespace fennec::vulkan {

struct WindowPush {
  uint32_t count;                 // work items
  uint32_t n, c, h, w;            // input extents
  uint32_t o, oh, ow;             // output extents
  uint32_t kh, kw, stride_h, stride_w, dilation_h, dilation_w;
  int32_t pad_top, pad_left;      // the other pads are implied by oh/ow
  uint32_t group;
  uint32_t oc_block;              // output channels per work item
  uint32_t has_bias;
  int32_t kind;                   // fused activation (activation.glsl codes)
  float alpha;
  float beta;
  uint32_t weight_group;          // int4 group size of a quantized weight
  float act_scale;                // w8a8: activation scale of X (0 otherwise)
  float act_inverse;              // w8a8: its float32 reciprocal
};
static_assert(sizeof(WindowPush) == 100, "must match the push blocks of the conv shaders");

// x and y are rank-4 NCHW shapes whose element counts fit in 32 bits.
inline WindowPush make_window_push(const ops::Window2D& p, const Shape& x, const Shape& y, uint64_t count,
                                   uint32_t oc_block, bool has_bias) {
  WindowPush push{};
  push.count = static_cast<uint32_t>(count);
  push.n = static_cast<uint32_t>(x[0]);
  push.c = static_cast<uint32_t>(x[1]);
  push.h = static_cast<uint32_t>(x[2]);
  push.w = static_cast<uint32_t>(x[3]);
  push.o = static_cast<uint32_t>(y[1]);
  push.oh = static_cast<uint32_t>(y[2]);
  push.ow = static_cast<uint32_t>(y[3]);
  push.kh = static_cast<uint32_t>(p.kernel_h);
  push.kw = static_cast<uint32_t>(p.kernel_w);
  push.stride_h = static_cast<uint32_t>(p.stride_h);
  push.stride_w = static_cast<uint32_t>(p.stride_w);
  push.dilation_h = static_cast<uint32_t>(p.dilation_h);
  push.dilation_w = static_cast<uint32_t>(p.dilation_w);
  push.pad_top = p.pad_top;
  push.pad_left = p.pad_left;
  push.group = static_cast<uint32_t>(p.group);
  push.oc_block = oc_block;
  push.has_bias = has_bias ? 1 : 0;
  push.kind = static_cast<int32_t>(p.activation.kind);
  push.alpha = p.activation.alpha;
  push.beta = p.activation.beta;
  return push;
}

}  // namespace fennec::vulkan
