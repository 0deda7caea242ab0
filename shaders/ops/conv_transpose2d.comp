#version 450
// conv_transpose2d: 2-D transposed convolution over NCHW input with ONNX
// weights [C, O/group, KH, KW], optional bias, fused activation.
// Bindings (set 0): 0 = X (float[N*C*H*W]), 1 = Wt (float[C*(O/group)*KH*KW]),
//                   2 = B (float[O]; a dummy buffer when has_bias == 0),
//                   3 = Y (float[N*O*OH*OW])
// Push constants (84 bytes): ConvTranspose2DPush {
//   uint count;                          // work items = N * O * OH * OW
//   uint n, c, h, w;                     // input extents
//   uint o, oh, ow;                      // output extents
//   uint kh, kw, stride_h, stride_w, dilation_h, dilation_w;
//   int pad_top, pad_left;               // bottom/right and output pads are implied by oh/ow
//   uint group;
//   uint has_bias;
//   int kind; float alpha; float beta;   // fused activation (activation.glsl codes)
// }
// Specialization constants: 0 = workgroup size (local_size_x), 1 = the same
// value as kFennecWorkgroupSize (index.glsl)
//
// One work item per output element (ox fastest), computed in gather form:
// output (oy, ox) receives input (iy, ix) through tap (ky, kx) when
// oy + pad_top - ky * dilation_h == iy * stride_h (likewise for x). The tap
// loops are outermost so the divisibility tests run once per tap, not once
// per input channel.
#extension GL_GOOGLE_include_directive : require
#include "index.glsl"
#include "activation.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) readonly buffer InX { float x[]; };
layout(set = 0, binding = 1) readonly buffer InW { float wt[]; };
layout(set = 0, binding = 2) readonly buffer InB { float bias[]; };
layout(set = 0, binding = 3) writeonly buffer OutY { float y[]; };

layout(push_constant) uniform Push {
  uint count;
  uint n, c, h, w;
  uint o, oh, ow;
  uint kh, kw, stride_h, stride_w, dilation_h, dilation_w;
  int pad_top, pad_left;
  uint group;
  uint has_bias;
  int kind;
  float alpha;
  float beta;
} p;

void main() {
  uint i = fennec_linear_index();
  if (i >= p.count) return;

  uint ox = i % p.ow;
  uint t = i / p.ow;
  uint oy = t % p.oh;
  t /= p.oh;
  uint oc = t % p.o;
  uint n = t / p.o;

  uint og = p.o / p.group;
  uint cg = p.c / p.group;
  uint g = oc / og;
  uint ocg = oc % og;
  uint plane = p.h * p.w;
  uint taps = p.kh * p.kw;
  uint x_base = (n * p.c + g * cg) * plane;
  // Weight of (input channel c, ocg, ky, kx) is at ((c * og + ocg) * taps + ky * kw + kx).
  uint w_base = (g * cg * og + ocg) * taps;
  uint w_channel_stride = og * taps;

  int sh = int(p.stride_h);
  int sw = int(p.stride_w);
  float acc = 0.0;
  for (uint ky = 0u; ky < p.kh; ++ky) {
    int ty = int(oy) + p.pad_top - int(ky * p.dilation_h);
    if (ty < 0) break;  // ty only decreases as ky grows
    if (ty % sh != 0) continue;
    uint iy = uint(ty / sh);
    if (iy >= p.h) continue;
    for (uint kx = 0u; kx < p.kw; ++kx) {
      int tx = int(ox) + p.pad_left - int(kx * p.dilation_w);
      if (tx < 0) break;
      if (tx % sw != 0) continue;
      uint ix = uint(tx / sw);
      if (ix >= p.w) continue;
      uint xi = x_base + iy * p.w + ix;
      uint wi = w_base + ky * p.kw + kx;
      for (uint ic = 0u; ic < cg; ++ic) {
        acc += x[xi] * wt[wi];
        xi += plane;
        wi += w_channel_stride;
      }
    }
  }

  if (p.has_bias != 0u) acc += bias[oc];
  y[i] = fennec_activate(acc, p.kind, p.alpha, p.beta);
}
