#version 450
// conv2d: direct 2-D convolution over NCHW input with OIHW weights
// (I = C / group), optional bias, fused activation. Covers grouped and
// depthwise convolution, strides, dilations and asymmetric pads.
// Bindings (set 0): 0 = X (act_t[N*C*H*W]), 1 = Wt (float[O*(C/group)*KH*KW];
//                   a quantized matrix [O, C/group*KH*KW] in the variants
//                   compiled with a weights.glsl format define),
//                   2 = B (float[O]; a dummy buffer when has_bias == 0),
//                   3 = Y (act_t[N*O*OH*OW]); act_t is float, or binary16 in
//                   the _a16 variant (storage.glsl)
// Push constants (100 bytes): Conv2DPush {
//   uint count;                          // work items = N * group * blocks_per_group * OH * OW
//   uint n, c, h, w;                     // input extents
//   uint o, oh, ow;                      // output extents
//   uint kh, kw, stride_h, stride_w, dilation_h, dilation_w;
//   int pad_top, pad_left;               // bottom/right pads are implied by oh/ow
//   uint group;
//   uint oc_block;                       // output channels per work item: 1 or 4
//   uint has_bias;
//   int kind; float alpha; float beta;   // fused activation (activation.glsl codes)
//   uint wgroup;                         // int4 / grouped int8 group size
//   float act_scale, act_inverse;        // w8a8 variant: X's scale and its reciprocal
// }
// Specialization constants: 0 = workgroup size (local_size_x), 1 = the same
// value as kFennecWorkgroupSize (index.glsl)
//
// Work item layout: (n, channel block, oy, ox) with ox fastest, so the lanes
// of a workgroup share their weights (uniform loads) and read neighbouring
// input pixels. With oc_block == 4 one item computes four consecutive output
// channels of one group at one pixel: each input value loaded feeds four
// FMAs. The host picks oc_block == 1 when a group has fewer than four output
// channels (depthwise), where the wide path would only duplicate work.
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
uint g_cols;  // weight row length: C/group * KH * KW
#define WEIGHT(row, col) wt[(row) * g_cols + (col)]
#endif
#if defined(FENNEC_A_I8)
// w8a8: X quantized per tensor to int8, int32 sums, scaled once at the end.
#define ACC4 ivec4
#define ACC1 int
#define XVAL(i) fennec_quantize_act(float(x[i]), p.act_inverse)
#define WVAL(row, col) fennec_weight_q(g_weights, row, col)
#define SUM_VALUE(v, row) (float(v) * p.act_scale * fennec_wscale(g_weights, row, 0u))
#else
#define ACC4 vec4
#define ACC1 float
#define XVAL(i) float(x[i])
#define WVAL(row, col) WEIGHT(row, col)
#define SUM_VALUE(v, row) (v)
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
  uint wgroup;        // group size of int4 / grouped int8 weights
  float act_scale;    // w8a8: activation scale of X
  float act_inverse;  // w8a8: its float32 reciprocal
} p;

// The taps [begin, end) of one kernel axis that land inside the input, for a
// window starting at `origin` (may be negative). Computing the range once
// keeps bounds checks out of the inner loops.
void tap_range(int origin, uint extent, uint taps, uint dilation, out uint begin, out uint end) {
  int d = int(dilation);
  begin = origin < 0 ? uint((-origin + d - 1) / d) : 0u;
  int last = int(extent) - 1 - origin;  // largest offset from origin that is inside
  end = last < 0 ? 0u : min(taps, uint(last / d) + 1u);
  if (end < begin) end = begin;
}

void main() {
  uint i = fennec_linear_index();
  if (i >= p.count) return;

  uint og = p.o / p.group;  // output channels per group
  uint cg = p.c / p.group;  // input channels per group
  uint blocks_per_group = (og + p.oc_block - 1u) / p.oc_block;
  uint blocks = p.group * blocks_per_group;

  uint ox = i % p.ow;
  uint t = i / p.ow;
  uint oy = t % p.oh;
  t /= p.oh;
  uint blk = t % blocks;
  uint n = t / blocks;
  uint g = blk / blocks_per_group;
  uint oc_in_group = (blk % blocks_per_group) * p.oc_block;
  uint oc0 = g * og + oc_in_group;
  uint valid = min(p.oc_block, og - oc_in_group);

  int iy0 = int(oy * p.stride_h) - p.pad_top;
  int ix0 = int(ox * p.stride_w) - p.pad_left;
  uint ky0, ky1, kx0, kx1;
  tap_range(iy0, p.h, p.kh, p.dilation_h, ky0, ky1);
  tap_range(ix0, p.w, p.kw, p.dilation_w, kx0, kx1);

  uint plane = p.h * p.w;
  uint taps = p.kh * p.kw;
  uint x_base = (n * p.c + g * cg) * plane;
#ifdef FENNEC_W_QUANTIZED
  g_weights = fennec_weights(p.o, cg * taps, p.wgroup);
#else
  g_cols = cg * taps;
#endif

  ACC4 acc = ACC4(0);
  if (p.oc_block == 4u) {
    // Weight rows of the four channels; a partial block repeats its last
    // channel so that no read leaves the weight buffer.
    uint r1 = oc0 + min(1u, valid - 1u);
    uint r2 = oc0 + min(2u, valid - 1u);
    uint r3 = oc0 + min(3u, valid - 1u);
    for (uint ic = 0u; ic < cg; ++ic) {
      uint xc = x_base + ic * plane;
      for (uint ky = ky0; ky < ky1; ++ky) {
        uint xrow = xc + uint(iy0 + int(ky * p.dilation_h)) * p.w;
        uint wrow = ic * taps + ky * p.kw;
        for (uint kx = kx0; kx < kx1; ++kx) {
          ACC1 xv = XVAL(xrow + uint(ix0 + int(kx * p.dilation_w)));
          uint col = wrow + kx;
          acc += xv * ACC4(WVAL(oc0, col), WVAL(r1, col), WVAL(r2, col), WVAL(r3, col));
        }
      }
    }
  } else {
    ACC1 s = ACC1(0);
    for (uint ic = 0u; ic < cg; ++ic) {
      uint xc = x_base + ic * plane;
      for (uint ky = ky0; ky < ky1; ++ky) {
        uint xrow = xc + uint(iy0 + int(ky * p.dilation_h)) * p.w;
        uint wrow = ic * taps + ky * p.kw;
        for (uint kx = kx0; kx < kx1; ++kx)
          s += XVAL(xrow + uint(ix0 + int(kx * p.dilation_w))) * WVAL(oc0, wrow + kx);
      }
    }
    acc.x = s;
  }

  uint out_plane = p.oh * p.ow;
  uint out_at = (n * p.o + oc0) * out_plane + oy * p.ow + ox;
  for (uint j = 0u; j < valid; ++j) {
    float v = SUM_VALUE(acc[j], oc0 + j);
    if (p.has_bias != 0u) v += bias[oc0 + j];
    y[out_at + j * out_plane] = ACT(fennec_activate(v, p.kind, p.alpha, p.beta));
  }
}
