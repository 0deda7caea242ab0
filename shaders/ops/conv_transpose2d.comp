#version 450
// conv_transpose2d: 2-D transposed convolution over NCHW input with ONNX
// weights [C, O/group, KH, KW], optional bias, fused activation.
// Bindings (set 0): 0 = X (act_t[N*C*H*W]), 1 = Wt (float[C*(O/group)*KH*KW];
//                   a quantized matrix [C, O/group*KH*KW] in the variants
//                   compiled with a weights.glsl format define),
//                   2 = B (float[O]; a dummy buffer when has_bias == 0),
//                   3 = Y (act_t[N*O*OH*OW]); act_t is float, or binary16 in
//                   the _a16 variant (storage.glsl)
// Push constants (100 bytes): ConvTranspose2DPush {
//   uint count;                          // work items = N * group * ceil(og / oc_block) * OH * OW
//   uint n, c, h, w;                     // input extents
//   uint o, oh, ow;                      // output extents
//   uint kh, kw, stride_h, stride_w, dilation_h, dilation_w;
//   int pad_top, pad_left;               // bottom/right and output pads are implied by oh/ow
//   uint group;
//   uint oc_block;                       // output channels per work item: 1 or 4
//   uint has_bias;
//   int kind; float alpha; float beta;   // fused activation (activation.glsl codes)
//   uint wgroup;                         // group size of int4 / grouped int8 weights
//   float act_scale, act_inverse;        // unused here (the conv shaders' w8a8 scale)
// }
// Specialization constants: 0 = workgroup size (local_size_x), 1 = the same
// value as kFennecWorkgroupSize (index.glsl)
//
// One work item per output pixel and block of oc_block output channels of one
// group (ox fastest), so each input load feeds oc_block FMAs; computed in gather form:
// output (oy, ox) receives input (iy, ix) through tap (ky, kx) when
// oy + pad_top - ky * dilation_h == iy * stride_h (likewise for x). The tap
// loops are outermost so the divisibility tests run once per tap, not once
// per input channel.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "storage.glsl"
#include "index.glsl"
#include "activation.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) readonly buffer InX { act_t x[]; };
#define FENNEC_W_BINDING 1
#include "weights.glsl"
#ifdef FENNEC_W_QUANTIZED
FennecWeights g_weights;
#define WEIGHT(row, col) fennec_weight(g_weights, row, col)
#else
layout(set = 0, binding = 1) readonly buffer InW { float wt[]; };
uint g_cols;  // weight row length: O/group * KH * KW
#define WEIGHT(row, col) wt[(row) * g_cols + (col)]
#endif
layout(set = 0, binding = 2) readonly buffer InB { float bias[]; };
layout(set = 0, binding = 3) writeonly buffer OutY { act_t y[]; };

layout(push_constant) uniform Push {
  uint count;
  uint n, c, h, w;
  uint o, oh, ow;
  uint kh, kw, stride_h, stride_w, dilation_h, dilation_w;
  int pad_top, pad_left;
  uint group;
  uint oc_block;
  uint has_bias;
  int kind;
  float alpha;
  float beta;
  uint wgroup;
  float act_scale, act_inverse;
} p;

void main() {
  uint i = fennec_linear_index();
  if (i >= p.count) return;

  uint og = p.o / p.group;
  uint cg = p.c / p.group;
  uint blocks_per_group = (og + p.oc_block - 1u) / p.oc_block;
  uint blocks = p.group * blocks_per_group;

  uint ox = i % p.ow;
  uint t = i / p.ow;
  uint oy = t % p.oh;
  t /= p.oh;
  uint blk = t % blocks;
  uint n = t / blocks;
  uint g = blk / blocks_per_group;
  uint ocg = (blk % blocks_per_group) * p.oc_block;
  uint valid = min(p.oc_block, og - ocg);

  uint plane = p.h * p.w;
  uint taps = p.kh * p.kw;
  uint x_base = (n * p.c + g * cg) * plane;
  // Weight of (input channel c, ocg, ky, kx): row c, column ocg * taps + ky * kw + kx.
#ifdef FENNEC_W_QUANTIZED
  g_weights = fennec_weights(p.c, og * taps, p.wgroup);
#else
  g_cols = og * taps;
#endif
  uint w_row = g * cg;
  uint w_col = ocg * taps;
  // The other channels of the block; a partial block repeats its last one.
  uint off1 = min(1u, valid - 1u) * taps;
  uint off2 = min(2u, valid - 1u) * taps;
  uint off3 = min(3u, valid - 1u) * taps;

  int sh = int(p.stride_h);
  int sw = int(p.stride_w);
  vec4 acc = vec4(0.0);
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
      uint col = w_col + ky * p.kw + kx;
      uint row = w_row;
      for (uint ic = 0u; ic < cg; ++ic) {
        acc += float(x[xi]) * vec4(WEIGHT(row, col), WEIGHT(row, col + off1), WEIGHT(row, col + off2),
                                   WEIGHT(row, col + off3));
        xi += plane;
        ++row;
      }
    }
  }

  uint out_plane = p.oh * p.ow;
  uint out_at = (n * p.o + g * og + ocg) * out_plane + oy * p.ow + ox;
  for (uint j = 0u; j < valid; ++j) {
    float v = acc[j];
    if (p.has_bias != 0u) v += bias[g * og + ocg + j];
    y[out_at + j * out_plane] = ACT(fennec_activate(v, p.kind, p.alpha, p.beta));
  }
}
