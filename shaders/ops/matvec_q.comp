#version 450
// matvec_q: Y = act(alpha * A @ W^T + beta * C) for a few rows of A (R <= 4)
// against a quantized weight W [N, K] (weights.glsl; compiled once per
// format). One workgroup per output column n: its 64 lanes walk row n of W
// in chunks of 8 values, decode each chunk in registers once for all R rows,
// and reduce their partial sums through shared memory.
// Bindings (set 0): 0 = A (float[R*K]), 1 = W (quantized [N, K]),
//                   2 = C (float[N]: one bias per column; a dummy buffer when
//                   has_c == 0), 3 = Y (float[R*N])
// Push constants (52 bytes): MatVecPush in matmul_vulkan.cpp, the block below.
//   chunked != 0: every run of 8 columns at a multiple of 8 shares one scale
//   group (int4 group size a multiple of 8, MXFP8; any width for the others),
//   so the chunk decoder applies to all full chunks.
// Specialization constants: 0 = workgroup size (local_size_x, 64), 1 = the
// same value as kFennecWorkgroupSize (index.glsl)
#extension GL_GOOGLE_include_directive : require
#if defined(FENNEC_A_I8_DOT)
#extension GL_EXT_spirv_intrinsics : require
#endif
#include "index.glsl"
#include "activation.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) readonly buffer InA { float a[]; };
#define FENNEC_W_BINDING 1
#include "weights.glsl"
layout(set = 0, binding = 2) readonly buffer InC { float c[]; };
layout(set = 0, binding = 3) writeonly buffer OutY { float y[]; };

layout(push_constant) uniform Push {
  uint rows, n, k;
  float alpha, beta;
  uint has_c;
  int kind;
  float act_alpha, act_beta;
  uint wgroup;
  uint chunked;
  float act_scale;    // w8a8 variant: activation scale of A
  float act_inverse;  // and its float32 reciprocal
} p;

const uint kLanes = 64u;
#if defined(FENNEC_A_I8)
// w8a8: the lanes' int32 sums are reduced exactly and scaled once.
#define PARTIAL ivec4
#else
#define PARTIAL vec4
#endif
shared PARTIAL partial[kLanes];

// A[r, kk .. kk+3] for row r < rows; rows past the end read row rows - 1
// (their sums are never stored), so the loops have a fixed shape.
vec4 a4(uint r, uint kk) {
  uint at = min(r, p.rows - 1u) * p.k + kk;
  return vec4(a[at], a[at + 1u], a[at + 2u], a[at + 3u]);
}

#if defined(FENNEC_A_I8_DOT)
// The int8 codes of A[r, kk .. kk+3] packed in one word (0 past the row's end).
int act4(uint r, uint kk) {
  uint at = min(r, p.rows - 1u) * p.k + kk;
  int q[4];
  for (uint i = 0u; i < 4u; ++i) q[i] = kk + i < p.k ? fennec_quantize_act(a[at + i], p.act_inverse) : 0;
  return fennec_pack4(q[0], q[1], q[2], q[3]);
}
#endif

void main() {
  const uint lane = gl_LocalInvocationID.x;
  const uint col = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;  // uniform
  if (col >= p.n) return;
  const FennecWeights w = fennec_weights(p.n, p.k, p.wgroup);

  vec4 acc = vec4(0.0);
#if defined(FENNEC_A_I8_DOT)
  // w8a8 with packed dot products: four K values per step, one word each.
  ivec4 sums = ivec4(0);
  for (uint kk = lane * 4u; kk < p.k; kk += kLanes * 4u) {
    int wv = fennec_weight_q4(w, col, kk);
    sums += ivec4(fennec_dot4(wv, act4(0u, kk)), fennec_dot4(wv, act4(1u, kk)), fennec_dot4(wv, act4(2u, kk)),
                  fennec_dot4(wv, act4(3u, kk)));
  }
  PARTIAL mine = sums;
#elif defined(FENNEC_A_I8)
  // w8a8: int8 codes of A and W multiplied in integers, scaled once.
  ivec4 sums = ivec4(0);
  for (uint kk = lane; kk < p.k; kk += kLanes) {
    int wv = fennec_weight_q(w, col, kk);
    sums += wv * ivec4(fennec_quantize_act(a[kk], p.act_inverse),
                       fennec_quantize_act(a[min(1u, p.rows - 1u) * p.k + kk], p.act_inverse),
                       fennec_quantize_act(a[min(2u, p.rows - 1u) * p.k + kk], p.act_inverse),
                       fennec_quantize_act(a[min(3u, p.rows - 1u) * p.k + kk], p.act_inverse));
  }
  PARTIAL mine = sums;
#else
  uint done = 0u;
  if (p.chunked != 0u) {
    uint chunks = p.k / 8u;
    if (p.rows == 1u) {
      for (uint ch = lane; ch < chunks; ch += kLanes) {
        vec4 lo, hi;
        fennec_weight8(w, col, ch * 8u, lo, hi);
        acc.x += dot(a4(0u, ch * 8u), lo) + dot(a4(0u, ch * 8u + 4u), hi);
      }
    } else {
      for (uint ch = lane; ch < chunks; ch += kLanes) {
        vec4 lo, hi;
        uint kk = ch * 8u;
        fennec_weight8(w, col, kk, lo, hi);
        acc += vec4(dot(a4(0u, kk), lo) + dot(a4(0u, kk + 4u), hi), dot(a4(1u, kk), lo) + dot(a4(1u, kk + 4u), hi),
                    dot(a4(2u, kk), lo) + dot(a4(2u, kk + 4u), hi), dot(a4(3u, kk), lo) + dot(a4(3u, kk + 4u), hi));
      }
    }
    done = chunks * 8u;
  }
  for (uint kk = done + lane; kk < p.k; kk += kLanes) {
    float wv = fennec_weight(w, col, kk);
    acc += wv * vec4(a[kk], a[min(1u, p.rows - 1u) * p.k + kk], a[min(2u, p.rows - 1u) * p.k + kk],
                     a[min(3u, p.rows - 1u) * p.k + kk]);
  }
  PARTIAL mine = acc;
#endif

  partial[lane] = mine;
  barrier();
  for (uint stride = kLanes / 2u; stride > 0u; stride >>= 1u) {
    if (lane < stride) partial[lane] += partial[lane + stride];
    barrier();
  }
  if (lane != 0u) return;
#if defined(FENNEC_A_I8)
  vec4 sum = p.alpha * (vec4(partial[0]) * (p.act_scale * fennec_wscale(w, col, 0u)));
#else
  vec4 sum = p.alpha * partial[0];
#endif
  float bias = p.has_c != 0u ? p.beta * c[col] : 0.0;
  y[col] = fennec_activate(sum.x + bias, p.kind, p.act_alpha, p.act_beta);
  if (p.rows > 1u) y[p.n + col] = fennec_activate(sum.y + bias, p.kind, p.act_alpha, p.act_beta);
  if (p.rows > 2u) y[2u * p.n + col] = fennec_activate(sum.z + bias, p.kind, p.act_alpha, p.act_beta);
  if (p.rows > 3u) y[3u * p.n + col] = fennec_activate(sum.w + bias, p.kind, p.act_alpha, p.act_beta);
}
