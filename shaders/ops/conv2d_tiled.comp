#version 450
// conv2d_tiled: direct 2-D convolution like conv2d.comp, with a register tile
// of 4 output channels x 8 neighbouring output pixels per work item, so each
// weight load feeds eight pixels and each input load four channels. Used for
// convolutions whose groups have at least 4 output channels.
// Bindings (set 0): 0 = X (act_t[N*C*H*W]), 1 = Wt (float[O*(C/group)*KH*KW];
//                   a quantized matrix [O, C/group*KH*KW] in the variants
//                   compiled with a weights.glsl format define),
//                   2 = B (float[O]; a dummy buffer when has_bias == 0),
//                   3 = Y (act_t[N*O*OH*OW]); act_t is float, or binary16 in
//                   the _a16 variant (storage.glsl)
// Push constants (100 bytes): the Conv2DPush block of conv2d.comp, with
//   count = N * group * ceil(og / 4) * OH * ceil(OW / 8) and oc_block = 4.
// Specialization constants: 0 = workgroup size (local_size_x), 1 = the same
// value as kFennecWorkgroupSize (index.glsl)
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

const uint kPixels = 8u;

void main() {
  uint i = fennec_linear_index();
  if (i >= p.count) return;

  uint og = p.o / p.group;
  uint cg = p.c / p.group;
  uint blocks_per_group = (og + 3u) / 4u;
  uint blocks = p.group * blocks_per_group;
  uint ow_blocks = (p.ow + kPixels - 1u) / kPixels;

  uint ox0 = (i % ow_blocks) * kPixels;
  uint t = i / ow_blocks;
  uint oy = t % p.oh;
  t /= p.oh;
  uint blk = t % blocks;
  uint n = t / blocks;
  uint g = blk / blocks_per_group;
  uint oc_in_group = (blk % blocks_per_group) * 4u;
  uint oc0 = g * og + oc_in_group;
  uint valid = min(4u, og - oc_in_group);

  int iy0 = int(oy * p.stride_h) - p.pad_top;
  int ix0 = int(ox0 * p.stride_w) - p.pad_left;
  // Rows of the kernel that land inside the input (same for all eight pixels).
  int dh = int(p.dilation_h);
  uint ky0 = iy0 < 0 ? uint((-iy0 + dh - 1) / dh) : 0u;
  int last_row = int(p.h) - 1 - iy0;
  uint ky1 = last_row < 0 ? 0u : min(p.kh, uint(last_row / dh) + 1u);

  uint plane = p.h * p.w;
  uint taps = p.kh * p.kw;
#ifdef FENNEC_W_QUANTIZED
  g_weights = fennec_weights(p.o, cg * taps, p.wgroup);
#else
  g_cols = cg * taps;
#endif
  // Weight rows of the four channels (a partial block repeats its last).
  uint r1 = oc0 + min(1u, valid - 1u);
  uint r2 = oc0 + min(2u, valid - 1u);
  uint r3 = oc0 + min(3u, valid - 1u);
  uint x_base = (n * p.c + g * cg) * plane;
  int step = int(p.stride_w);
  int last_col = int(p.w) - 1;

  ACC4 acc0 = ACC4(0), acc1 = ACC4(0), acc2 = ACC4(0), acc3 = ACC4(0);
  ACC4 acc4 = ACC4(0), acc5 = ACC4(0), acc6 = ACC4(0), acc7 = ACC4(0);
  for (uint kx = 0u; kx < p.kw; ++kx) {
    // Columns of the eight pixels for this tap; outside ones read column 0
    // and are masked to zero.
    int c0 = ix0 + int(kx * p.dilation_w);
    int c1 = c0 + step, c2 = c1 + step, c3 = c2 + step;
    int c4 = c3 + step, c5 = c4 + step, c6 = c5 + step, c7 = c6 + step;
    ACC4 inside = ACC4(c0 >= 0 && c0 <= last_col, c1 >= 0 && c1 <= last_col,
                       c2 >= 0 && c2 <= last_col, c3 >= 0 && c3 <= last_col);
    ACC4 inside2 = ACC4(c4 >= 0 && c4 <= last_col, c5 >= 0 && c5 <= last_col,
                        c6 >= 0 && c6 <= last_col, c7 >= 0 && c7 <= last_col);
    uint u0 = uint(clamp(c0, 0, last_col)), u1 = uint(clamp(c1, 0, last_col));
    uint u2 = uint(clamp(c2, 0, last_col)), u3 = uint(clamp(c3, 0, last_col));
    uint u4 = uint(clamp(c4, 0, last_col)), u5 = uint(clamp(c5, 0, last_col));
    uint u6 = uint(clamp(c6, 0, last_col)), u7 = uint(clamp(c7, 0, last_col));
    for (uint ic = 0u; ic < cg; ++ic) {
      uint xc = x_base + ic * plane;
      uint wc = ic * taps + kx;
      for (uint ky = ky0; ky < ky1; ++ky) {
        uint xrow = xc + uint(iy0 + int(ky * p.dilation_h)) * p.w;
        uint col = wc + ky * p.kw;
        ACC4 wv = ACC4(WVAL(oc0, col), WVAL(r1, col), WVAL(r2, col), WVAL(r3, col));
        ACC4 xv = ACC4(XVAL(xrow + u0), XVAL(xrow + u1), XVAL(xrow + u2), XVAL(xrow + u3)) * inside;
        acc0 += xv.x * wv;
        acc1 += xv.y * wv;
        acc2 += xv.z * wv;
        acc3 += xv.w * wv;
        ACC4 xw = ACC4(XVAL(xrow + u4), XVAL(xrow + u5), XVAL(xrow + u6), XVAL(xrow + u7)) * inside2;
        acc4 += xw.x * wv;
        acc5 += xw.y * wv;
        acc6 += xw.z * wv;
        acc7 += xw.w * wv;
      }
    }
  }

  uint out_plane = p.oh * p.ow;
  uint out_row = (n * p.o + oc0) * out_plane + oy * p.ow;
  uint pixels = min(kPixels, p.ow - ox0);
  for (uint j = 0u; j < valid; ++j) {
    float b = p.has_bias != 0u ? bias[oc0 + j] : 0.0;
#if defined(FENNEC_A_I8)
    // Scale the integer sums first; the stores below take floats.
    const float sj = p.act_scale * fennec_wscale(g_weights, oc0 + j, 0u);
    vec4 f0 = vec4(acc0) * sj, f1 = vec4(acc1) * sj, f2 = vec4(acc2) * sj, f3 = vec4(acc3) * sj;
    vec4 f4 = vec4(acc4) * sj, f5 = vec4(acc5) * sj, f6 = vec4(acc6) * sj, f7 = vec4(acc7) * sj;
#else
    vec4 f0 = acc0, f1 = acc1, f2 = acc2, f3 = acc3, f4 = acc4, f5 = acc5, f6 = acc6, f7 = acc7;
#endif
    uint at = out_row + j * out_plane + ox0;
    y[at] = ACT(fennec_activate(f0[j] + b, p.kind, p.alpha, p.beta));
    if (pixels > 1u) y[at + 1u] = ACT(fennec_activate(f1[j] + b, p.kind, p.alpha, p.beta));
    if (pixels > 2u) y[at + 2u] = ACT(fennec_activate(f2[j] + b, p.kind, p.alpha, p.beta));
    if (pixels > 3u) y[at + 3u] = ACT(fennec_activate(f3[j] + b, p.kind, p.alpha, p.beta));
    if (pixels > 4u) y[at + 4u] = ACT(fennec_activate(f4[j] + b, p.kind, p.alpha, p.beta));
    if (pixels > 5u) y[at + 5u] = ACT(fennec_activate(f5[j] + b, p.kind, p.alpha, p.beta));
    if (pixels > 6u) y[at + 6u] = ACT(fennec_activate(f6[j] + b, p.kind, p.alpha, p.beta));
    if (pixels > 7u) y[at + 7u] = ACT(fennec_activate(f7[j] + b, p.kind, p.alpha, p.beta));
  }
}
