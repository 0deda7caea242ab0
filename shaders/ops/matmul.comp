#version 450
// matmul: Y[b] = act(alpha * op(A)[b] @ op(B)[b] + beta * C[b]) for every
// batch entry b of Y viewed as [batches, M, N].
// Tiling: one workgroup of 64 lanes computes a 32x32 block of one output
// matrix, walking K in steps of 16 through shared-memory tiles of op(A)
// (32x16) and op(B) (16x32); lane (tx, ty) = (lane % 8, lane / 8) owns the
// 4x4 outputs at rows ty + 8i and columns tx + 8j. The host dispatches
// batches * tiles_m * tiles_n * 64 invocations, so the linear workgroup id is
// the tile (uniform across the workgroup, which keeps the barriers legal for
// the padding workgroups past the end).
// Operands are addressed through strides, so transposes, rank-1 operands and
// broadcast batch axes (stride 0) need no copies: op(A)[i, p] is
// A[a_batch + i * a_row + p * a_col], op(B)[p, j] is B[b_batch + p * b_row +
// j * b_col], C[i, j] is C[c_batch + i * c_row + j * c_col]. A batch entry
// b = (i0 * dim1 + i1) * dim2 + i2 adds i0 * s0 + i1 * s1 + i2 * s2 per operand.
// Bindings (set 0): 0 = A (act_t[]), 1 = B (act_t[]; in the variants compiled
//                   with a weights.glsl format define, a quantized matrix
//                   W[N, K] with op(B)[p, j] = W[j, p], shared by all batches),
//                   2 = C (act_t[]; a dummy buffer when has_c == 0),
//                   3 = Y (act_t[batches*M*N]); act_t is float, or binary16
//                   in the _a16 variant (storage.glsl)
// Push constants (128 bytes): MatMulPush in matmul_vulkan.cpp, the block below
// (wgroup: the group size of an int4 or grouped int8 B; act_scale / act_inverse: the
// w8a8 variant's activation scale of A and its reciprocal).
// Specialization constants: 0 = workgroup size (local_size_x), 1 = the same
// value as kFennecWorkgroupSize (index.glsl); both must be 64.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#if defined(FENNEC_A_I8_DOT)
#extension GL_EXT_spirv_intrinsics : require
#endif
#include "storage.glsl"
#include "index.glsl"
#include "activation.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) readonly buffer InA { act_t a[]; };
#define FENNEC_W_BINDING 1
#include "weights.glsl"
#ifndef FENNEC_W_QUANTIZED
layout(set = 0, binding = 1) readonly buffer InB { act_t b[]; };
#endif
layout(set = 0, binding = 2) readonly buffer InC { act_t c[]; };
layout(set = 0, binding = 3) writeonly buffer OutY { act_t y[]; };

layout(push_constant) uniform Push {
  uint m, n, k;
  uint tiles_m, tiles_n, batches;
  uint a_row, a_col;
  uint b_row, b_col;
  uint c_row, c_col;
  uint dim1, dim2;
  uint a_s0, a_s1, a_s2;
  uint b_s0, b_s1, b_s2;
  uint c_s0, c_s1, c_s2;
  float alpha, beta;
  uint has_c;
  int kind;
  float act_alpha, act_beta;
  uint wgroup;
  float act_scale;    // w8a8: activation scale of A
  float act_inverse;  // w8a8: its float32 reciprocal
} p;

const uint kTile = 32u;
const uint kStep = 16u;

#if defined(FENNEC_A_I8)
// w8a8: tiles of int8 codes, int32 sums scaled once at the end.
#define TILE int
#define TILE4 ivec4
#define A_VALUE(v) fennec_quantize_act(float(v), p.act_inverse)
#define B_VALUE(row, col) fennec_weight_q(wts, row, col)
#else
#define TILE float
#define TILE4 vec4
#define A_VALUE(v) float(v)
#define B_VALUE(row, col) fennec_weight(wts, row, col)
#endif
#if defined(FENNEC_A_I8_DOT)
// Packed int8 codes, four K values per word: tile_a4[q][i] holds
// op(A)[row0 + i, k0 + 4q .. k0 + 4q + 3], tile_b4[q][j] the same of B's column.
shared int tile_a4[kStep / 4u][kTile];
shared int tile_b4[kStep / 4u][kTile];
#else
shared TILE tile_a[kStep][kTile];  // tile_a[q][i] = op(A)[row0 + i, k0 + q]
shared TILE tile_b[kStep][kTile];  // tile_b[q][j] = op(B)[k0 + q, col0 + j]
#endif

void main() {
  const uint lane = gl_LocalInvocationID.x;
  const uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  const uint tile_n = wg % p.tiles_n;
  const uint t = wg / p.tiles_n;
  const uint tile_m = t % p.tiles_m;
  const uint batch = t / p.tiles_m;
  const bool in_range = batch < p.batches;

  const uint i2 = batch % p.dim2;
  const uint i1 = (batch / p.dim2) % p.dim1;
  const uint i0 = batch / (p.dim2 * p.dim1);
  const uint a_base = i0 * p.a_s0 + i1 * p.a_s1 + i2 * p.a_s2;
  const uint b_base = i0 * p.b_s0 + i1 * p.b_s1 + i2 * p.b_s2;
  const uint row0 = tile_m * kTile;
  const uint col0 = tile_n * kTile;
  const uint tx = lane % 8u;
  const uint ty = lane / 8u;

#ifdef FENNEC_W_QUANTIZED
  const FennecWeights wts = fennec_weights(p.n, p.k, p.wgroup);
#endif
  TILE4 acc0 = TILE4(0), acc1 = TILE4(0), acc2 = TILE4(0), acc3 = TILE4(0);
  for (uint k0 = 0u; k0 < p.k; k0 += kStep) {
#if defined(FENNEC_A_I8_DOT)
    for (uint e = lane; e < (kStep / 4u) * kTile; e += 64u) {
      uint q = e % (kStep / 4u), i = e / (kStep / 4u);
      uint row = row0 + i, kk = k0 + 4u * q;
      int v[4];
      for (uint t = 0u; t < 4u; ++t)
        v[t] = (in_range && row < p.m && kk + t < p.k) ? A_VALUE(a[a_base + row * p.a_row + (kk + t) * p.a_col]) : 0;
      tile_a4[q][i] = fennec_pack4(v[0], v[1], v[2], v[3]);
      uint j = e % kTile, qb = e / kTile;
      uint col = col0 + j, kb = k0 + 4u * qb;
      tile_b4[qb][j] = (in_range && col < p.n && kb < p.k) ? fennec_weight_q4(wts, col, kb) : 0;
    }
    barrier();
    for (uint q = 0u; q < kStep / 4u; ++q) {
      ivec4 av = ivec4(tile_a4[q][ty], tile_a4[q][ty + 8u], tile_a4[q][ty + 16u], tile_a4[q][ty + 24u]);
      ivec4 bv = ivec4(tile_b4[q][tx], tile_b4[q][tx + 8u], tile_b4[q][tx + 16u], tile_b4[q][tx + 24u]);
      acc0 += ivec4(fennec_dot4(av.x, bv.x), fennec_dot4(av.x, bv.y), fennec_dot4(av.x, bv.z), fennec_dot4(av.x, bv.w));
      acc1 += ivec4(fennec_dot4(av.y, bv.x), fennec_dot4(av.y, bv.y), fennec_dot4(av.y, bv.z), fennec_dot4(av.y, bv.w));
      acc2 += ivec4(fennec_dot4(av.z, bv.x), fennec_dot4(av.z, bv.y), fennec_dot4(av.z, bv.z), fennec_dot4(av.z, bv.w));
      acc3 += ivec4(fennec_dot4(av.w, bv.x), fennec_dot4(av.w, bv.y), fennec_dot4(av.w, bv.z), fennec_dot4(av.w, bv.w));
    }
    barrier();
#else
    // 512 elements per tile, 8 per lane. A walks K fastest (contiguous for
    // an untransposed A), B walks N fastest (contiguous for a [K, N] weight).
    for (uint e = lane; e < kStep * kTile; e += 64u) {
      uint q = e % kStep, i = e / kStep;
      uint row = row0 + i, kk = k0 + q;
      tile_a[q][i] = (in_range && row < p.m && kk < p.k)
                         ? A_VALUE(a[a_base + row * p.a_row + kk * p.a_col]) : TILE(0);
      uint j = e % kTile, qb = e / kTile;
      uint col = col0 + j, kb = k0 + qb;
#ifdef FENNEC_W_QUANTIZED
      tile_b[qb][j] = (in_range && col < p.n && kb < p.k) ? B_VALUE(col, kb) : TILE(0);
#else
      tile_b[qb][j] = (in_range && col < p.n && kb < p.k)
                          ? float(b[b_base + kb * p.b_row + col * p.b_col]) : 0.0;
#endif
    }
    barrier();
    for (uint q = 0u; q < kStep; ++q) {
      TILE4 av = TILE4(tile_a[q][ty], tile_a[q][ty + 8u], tile_a[q][ty + 16u], tile_a[q][ty + 24u]);
      TILE4 bv = TILE4(tile_b[q][tx], tile_b[q][tx + 8u], tile_b[q][tx + 16u], tile_b[q][tx + 24u]);
      acc0 += av.x * bv;
      acc1 += av.y * bv;
      acc2 += av.z * bv;
      acc3 += av.w * bv;
    }
    barrier();
#endif
  }
  if (!in_range) return;

  const uint c_base = i0 * p.c_s0 + i1 * p.c_s1 + i2 * p.c_s2;
  const uint y_base = batch * p.m * p.n;
  for (uint r = 0u; r < 4u; ++r) {
    uint row = row0 + ty + 8u * r;
    if (row >= p.m) break;
    vec4 acc = vec4(r == 0u ? acc0 : (r == 1u ? acc1 : (r == 2u ? acc2 : acc3)));
    for (uint s = 0u; s < 4u; ++s) {
      uint col = col0 + tx + 8u * s;
      if (col >= p.n) break;
#if defined(FENNEC_A_I8)
      float v = p.alpha * (acc[s] * (p.act_scale * fennec_wscale(wts, col, 0u)));
#else
      float v = p.alpha * acc[s];
#endif
      if (p.has_c != 0u) v += p.beta * float(c[c_base + row * p.c_row + col * p.c_col]);
      y[y_base + row * p.n + col] = ACT(fennec_activate(v, p.kind, p.act_alpha, p.act_beta));
    }
  }
}
