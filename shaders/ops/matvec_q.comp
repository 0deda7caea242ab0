#version 450
// matvec_q: Y = act(alpha * A @ W^T + beta * C) for a few rows of A (R <= 4)
// against a quantized weight W [N, K] (weights.glsl; compiled once per
// format). The lanes that own an output column n walk row n of W in chunks
// of 8 values, decode each chunk in registers once for all R rows, and add
// up their partial sums: by default one workgroup per column, reduced
// through shared memory; with FENNEC_SUBGROUP (devices with subgroup
// arithmetic) one subgroup per column, kSubgroupColumns columns per
// workgroup, reduced with subgroupAdd; with FENNEC_LANE_COLUMNS (CPU
// drivers, which run each group of SIMD lanes of a workgroup as a
// coroutine with a fixed cost) one invocation per column walking its whole
// row.
// Bindings (set 0): 0 = A (act_t[R*K]), 1 = W (quantized [N, K]),
//                   2 = C (act_t[N]: one bias per column; a dummy buffer when
//                   has_c == 0), 3 = Y (act_t[R*N]); act_t is float, or
//                   binary16 in the _a16 variant (storage.glsl)
// Push constants (52 bytes): MatVecPush in matmul_vulkan.cpp, the block below.
//   chunked != 0: every run of 8 columns at a multiple of 8 shares one scale
//   group (int4 / grouped int8 group size a multiple of 8, MXFP8; any width
//   for the others), so the chunk decoder applies to all full chunks;
//   chunked == 2: besides, K is a multiple of 32 and so is the group size
//   (grouped formats), so every run of 32 columns is one 16-byte aligned
//   block (fennec_weight32) and A's rows are act4_t-aligned.
// Specialization constants: 0 = workgroup size (local_size_x, 64), 1 = the
// same value as kFennecWorkgroupSize (index.glsl)
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#if defined(FENNEC_A_I8_DOT)
#extension GL_EXT_spirv_intrinsics : require
#endif
#if defined(FENNEC_SUBGROUP)
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif
#include "storage.glsl"
#include "index.glsl"
#include "activation.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) readonly buffer InA { act_t a[]; };
// The same as vectors of four, for the 32-value blocks (chunked == 2: K % 32 == 0).
layout(set = 0, binding = 0) readonly buffer InA4 { act4_t av[]; };
#define FENNEC_W_BINDING 1
#include "weights.glsl"
layout(set = 0, binding = 2) readonly buffer InC { act_t c[]; };
layout(set = 0, binding = 3) writeonly buffer OutY { act_t y[]; };

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
// Columns per workgroup of the subgroup variant (kMatVecSubgroupColumns in
// matmul_vulkan.cpp).
const uint kSubgroupColumns = 8u;
#if defined(FENNEC_A_I8)
// w8a8: the lanes' int32 sums are reduced exactly and scaled once.
#define PARTIAL ivec4
#else
#define PARTIAL vec4
#endif

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
  for (uint i = 0u; i < 4u; ++i) q[i] = kk + i < p.k ? fennec_quantize_act(float(a[at + i]), p.act_inverse) : 0;
  return fennec_pack4(q[0], q[1], q[2], q[3]);
}
#endif

// Row `col` of W against the (up to four) rows of A: this lane's partial
// sums over the K positions lane, lane + lanes, ... (in chunks of 8 where
// the chunk decoder applies).
#if defined(FENNEC_A_I8)
ivec4 partial_sums(FennecWeights w, uint col, uint lane, uint lanes) {
#if defined(FENNEC_A_I8_DOT)
  // w8a8 with packed dot products: four K values per step, one word each.
  ivec4 sums = ivec4(0);
  for (uint kk = lane * 4u; kk < p.k; kk += lanes * 4u) {
    int wv = fennec_weight_q4(w, col, kk);
    sums += ivec4(fennec_dot4(wv, act4(0u, kk)), fennec_dot4(wv, act4(1u, kk)), fennec_dot4(wv, act4(2u, kk)),
                  fennec_dot4(wv, act4(3u, kk)));
  }
  return sums;
#else
  // w8a8: int8 codes of A and W multiplied in integers, scaled once.
  ivec4 sums = ivec4(0);
  for (uint kk = lane; kk < p.k; kk += lanes) {
    int wv = fennec_weight_q(w, col, kk);
    sums += wv * ivec4(fennec_quantize_act(float(a[kk]), p.act_inverse),
                       fennec_quantize_act(float(a[min(1u, p.rows - 1u) * p.k + kk]), p.act_inverse),
                       fennec_quantize_act(float(a[min(2u, p.rows - 1u) * p.k + kk]), p.act_inverse),
                       fennec_quantize_act(float(a[min(3u, p.rows - 1u) * p.k + kk]), p.act_inverse));
  }
  return sums;
#endif
}
#else
vec4 partial_sums(FennecWeights w, uint col, uint lane, uint lanes) {
  vec4 acc = vec4(0.0);
  uint done = 0u;
  if (p.chunked == 2u) {
    // Blocks of 32: one vector load per four values of A (act4_t), one
    // 16-byte load per 32 (int4) or 16 (int8, fp8) weights.
    uint blocks = p.k / 32u, row_vecs = p.k / 4u;
    for (uint b = lane; b < blocks; b += lanes) {
      vec4 v[8];
      fennec_weight32(w, col, b * 32u, v);
      uint at = b * 8u;
      float s0 = 0.0;
      [[unroll]] for (uint j = 0u; j < 8u; ++j) s0 += dot(vec4(av[at + j]), v[j]);
      acc.x += s0;
      if (p.rows > 1u) {
        vec3 more = vec3(0.0);
        [[unroll]] for (uint j = 0u; j < 8u; ++j)
          more += vec3(dot(vec4(av[min(1u, p.rows - 1u) * row_vecs + at + j]), v[j]),
                       dot(vec4(av[min(2u, p.rows - 1u) * row_vecs + at + j]), v[j]),
                       dot(vec4(av[min(3u, p.rows - 1u) * row_vecs + at + j]), v[j]));
        acc.yzw += more;
      }
    }
    return acc;
  }
  if (p.chunked != 0u) {
    uint chunks = p.k / 8u;
    if (p.rows == 1u) {
      for (uint ch = lane; ch < chunks; ch += lanes) {
        vec4 lo, hi;
        fennec_weight8(w, col, ch * 8u, lo, hi);
        acc.x += dot(a4(0u, ch * 8u), lo) + dot(a4(0u, ch * 8u + 4u), hi);
      }
    } else {
      for (uint ch = lane; ch < chunks; ch += lanes) {
        vec4 lo, hi;
        uint kk = ch * 8u;
        fennec_weight8(w, col, kk, lo, hi);
        acc += vec4(dot(a4(0u, kk), lo) + dot(a4(0u, kk + 4u), hi), dot(a4(1u, kk), lo) + dot(a4(1u, kk + 4u), hi),
                    dot(a4(2u, kk), lo) + dot(a4(2u, kk + 4u), hi), dot(a4(3u, kk), lo) + dot(a4(3u, kk + 4u), hi));
      }
    }
    done = chunks * 8u;
  }
  for (uint kk = done + lane; kk < p.k; kk += lanes) {
    float wv = fennec_weight(w, col, kk);
    acc += wv * vec4(a[kk], a[min(1u, p.rows - 1u) * p.k + kk], a[min(2u, p.rows - 1u) * p.k + kk],
                     a[min(3u, p.rows - 1u) * p.k + kk]);
  }
  return acc;
}
#endif

// Y[row, col] from its whole sum (before alpha).
void store_value(uint row, uint col, float sum) {
  float bias = p.has_c != 0u ? p.beta * float(c[col]) : 0.0;
  y[row * p.n + col] = ACT(fennec_activate(p.alpha * sum + bias, p.kind, p.act_alpha, p.act_beta));
}

// Y[., col] from the column's whole sums.
void store(FennecWeights w, uint col, PARTIAL total) {
#if defined(FENNEC_A_I8)
  vec4 sum = vec4(total) * (p.act_scale * fennec_wscale(w, col, 0u));
#else
  vec4 sum = total;
#endif
  store_value(0u, col, sum.x);
  if (p.rows > 1u) store_value(1u, col, sum.y);
  if (p.rows > 2u) store_value(2u, col, sum.z);
  if (p.rows > 3u) store_value(3u, col, sum.w);
}

#if defined(FENNEC_LANE_COLUMNS)
// kLaneColumns consecutive columns per invocation (kMatVecLaneColumns in
// matmul_vulkan.cpp). chunked == 2: one row of A per invocation (any number
// of rows; item = row * column groups + group), in 32-value blocks, each
// load of A serving all the columns; otherwise all rows (at most four).
const uint kLaneColumns = 8u;
void main() {
  const FennecWeights w = fennec_weights(p.n, p.k, p.wgroup);
  const uint groups = (p.n + kLaneColumns - 1u) / kLaneColumns;
  const uint index = fennec_linear_index();
  if (p.chunked == 2u) {
    const uint row = index / groups;
    if (row >= p.rows) return;
    const uint first = (index % groups) * kLaneColumns;
    const uint count = min(kLaneColumns, p.n - first);
    float acc[kLaneColumns];
    [[unroll]] for (uint c = 0u; c < kLaneColumns; ++c) acc[c] = 0.0;
    const uint blocks = p.k / 32u, base = row * (p.k / 4u);
    for (uint b = 0u; b < blocks; ++b) {
      vec4 x[8];
      [[unroll]] for (uint j = 0u; j < 8u; ++j) x[j] = av[base + b * 8u + j];
      [[unroll]] for (uint c = 0u; c < kLaneColumns; ++c) {
        vec4 v[8];
        fennec_weight32(w, first + min(c, count - 1u), b * 32u, v);
        float sum = 0.0;
        [[unroll]] for (uint j = 0u; j < 8u; ++j) sum += dot(x[j], v[j]);
        acc[c] += sum;
      }
    }
    for (uint c = 0u; c < count; ++c) store_value(row, first + c, acc[c]);
    return;
  }
  const uint first = index * kLaneColumns;
  if (first >= p.n) return;
  for (uint c = 0u; c < min(kLaneColumns, p.n - first); ++c) store(w, first + c, partial_sums(w, first + c, 0u, 1u));
}
#elif defined(FENNEC_SUBGROUP)
// kSubgroupColumns columns per workgroup; each subgroup takes columns
// gl_SubgroupID, + gl_NumSubgroups, ... and reduces a column's lanes with
// subgroupAdd: no shared memory, no barrier (CPU drivers run barriers
// slowly), whatever the subgroup size.
void main() {
  const uint first = (gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x) * kSubgroupColumns;
  const FennecWeights w = fennec_weights(p.n, p.k, p.wgroup);
  for (uint i = gl_SubgroupID; i < kSubgroupColumns; i += gl_NumSubgroups) {
    const uint col = first + i;  // uniform in the subgroup
    if (col >= p.n) return;
    PARTIAL total = subgroupAdd(partial_sums(w, col, gl_SubgroupInvocationID, gl_SubgroupSize));
    if (subgroupElect()) store(w, col, total);
  }
}
#else
shared PARTIAL partial[kLanes];

void main() {
  const uint lane = gl_LocalInvocationID.x;
  const uint col = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;  // uniform
  if (col >= p.n) return;
  const FennecWeights w = fennec_weights(p.n, p.k, p.wgroup);
  partial[lane] = partial_sums(w, col, lane, kLanes);
  barrier();
  for (uint stride = kLanes / 2u; stride > 0u; stride >>= 1u) {
    if (lane < stride) partial[lane] += partial[lane + stride];
    barrier();
  }
  if (lane == 0u) store(w, col, partial[0]);
}
#endif
