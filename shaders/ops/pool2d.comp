#version 450
// pool2d: max or average pooling over the trailing two axes of an NCHW
// tensor, one invocation per output element (semantics in ops/pool2d.h).
// Bindings (set 0): 0 = X (act_t[planes*H*W]), 1 = Y (act_t[planes*OH*OW]);
// act_t is float, or binary16 in the _a16 variant (storage.glsl)
// Push constants (72 bytes): Pool2DPush in pool2d_vulkan.cpp, the block below;
//   average = 1 for AVERAGE, include_pad = count_include_pad.
// Specialization constants: 0 = workgroup size (local_size_x), 1 = the same
// value as kFennecWorkgroupSize (index.glsl)
#extension GL_GOOGLE_include_directive : require
#include "storage.glsl"
#include "index.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) readonly buffer InX { act_t x[]; };
layout(set = 0, binding = 1) writeonly buffer OutY { act_t y[]; };

layout(push_constant) uniform Push {
  uint count;
  uint h, w, oh, ow;
  uint kh, kw, stride_h, stride_w, dilation_h, dilation_w;
  int pad_top, pad_left, pad_bottom, pad_right;
  uint average;
  uint include_pad;
  uint pad;
} p;

void main() {
  uint i = fennec_linear_index();
  if (i >= p.count) return;
  uint ox = i % p.ow;
  uint t = i / p.ow;
  uint oy = t % p.oh;
  uint plane = t / p.oh;

  int y0 = int(oy * p.stride_h) - p.pad_top;
  int x0 = int(ox * p.stride_w) - p.pad_left;
  int h = int(p.h), w = int(p.w);
  uint base = plane * p.h * p.w;
  float sum = 0.0;
  float best = uintBitsToFloat(0xff800000u);  // -infinity
  uint inside = 0u, padded = 0u;
  for (uint ky = 0u; ky < p.kh; ++ky) {
    int iy = y0 + int(ky * p.dilation_h);
    bool row_in = iy >= 0 && iy < h;
    bool row_padded = iy >= -p.pad_top && iy < h + p.pad_bottom;
    for (uint kx = 0u; kx < p.kw; ++kx) {
      int ix = x0 + int(kx * p.dilation_w);
      if (row_padded && ix >= -p.pad_left && ix < w + p.pad_right) ++padded;
      if (!row_in || ix < 0 || ix >= w) continue;
      float v = float(x[base + uint(iy) * p.w + uint(ix)]);
      sum += v;
      best = max(best, v);
      ++inside;
    }
  }
  float result = 0.0;
  if (inside > 0u)
    result = p.average != 0u ? sum / float(p.include_pad != 0u ? padded : inside) : best;
  y[i] = ACT(result);
}
