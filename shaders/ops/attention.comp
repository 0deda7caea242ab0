#version 450
// attention: Y[b, s, :] = softmax(scale * Q[b, s, :] . K[b, t, :] + mask[b, s, t]) V[b, t, :]
// without a materialized score matrix. One workgroup of 64 lanes per
// (batch entry, query row, chunk of 256 output columns): it walks the K/V rows
// in blocks of 64, each lane scoring one row; a running maximum and
// denominator rescale the accumulators when a block raises the maximum
// (online softmax). Lane l owns output columns chunk * 256 + l + 64c, c < 4.
// The host dispatches batches * S * chunks * 64 invocations, so the linear
// workgroup id is uniform across the workgroup (the barriers stay legal for
// the padding workgroups past the end). A batch entry
// b = (i0 * dim1 + i1) * dim2 + i2 adds i0 * s0 + i1 * s1 + i2 * s2 to the
// base of Q, K, V and the mask; the mask element of (s, t) is at
// s * mask_s + t * mask_t (zero strides broadcast).
// Bindings (set 0): 0 = Q (act_t[]), 1 = K (act_t[]), 2 = V (act_t[]),
//                   3 = mask (act_t[]; a dummy buffer when has_mask == 0),
//                   4 = Y (act_t[batches*S*Dv]); act_t is float, or binary16
//                   in the _a16 variant (storage.glsl)
// Push constants (96 bytes): AttentionPush in attention_vulkan.cpp, the block below.
// Specialization constants: 0 = workgroup size (local_size_x), 1 = the same
// value as kFennecWorkgroupSize (index.glsl); both must be 64.
#extension GL_GOOGLE_include_directive : require
#include "storage.glsl"
#include "index.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) readonly buffer InQ { act_t q[]; };
layout(set = 0, binding = 1) readonly buffer InK { act_t k[]; };
layout(set = 0, binding = 2) readonly buffer InV { act_t v[]; };
layout(set = 0, binding = 3) readonly buffer InMask { act_t mask[]; };
layout(set = 0, binding = 4) writeonly buffer OutY { act_t y[]; };

layout(push_constant) uniform Push {
  uint s, t, d, dv;
  uint batches, chunks;
  uint dim1, dim2;
  uint q_s0, q_s1, q_s2;
  uint k_s0, k_s1, k_s2;
  uint v_s0, v_s1, v_s2;
  uint m_s0, m_s1, m_s2;
  uint mask_s, mask_t;
  uint has_mask;
  float scale;
} p;

const uint kLanes = 64u;
const uint kColumns = 4u;

shared float scores[kLanes];
shared float probs[kLanes];

void main() {
  const uint lane = gl_LocalInvocationID.x;
  const uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  const uint chunk = wg % p.chunks;
  const uint rest = wg / p.chunks;
  const uint row = rest % p.s;
  const uint batch = rest / p.s;
  const bool in_range = batch < p.batches;
  const float neg_inf = uintBitsToFloat(0xff800000u);

  const uint i2 = batch % p.dim2;
  const uint i1 = (batch / p.dim2) % p.dim1;
  const uint i0 = batch / (p.dim2 * p.dim1);
  const uint q_base = i0 * p.q_s0 + i1 * p.q_s1 + i2 * p.q_s2 + row * p.d;
  const uint k_base = i0 * p.k_s0 + i1 * p.k_s1 + i2 * p.k_s2;
  const uint v_base = i0 * p.v_s0 + i1 * p.v_s1 + i2 * p.v_s2;
  const uint m_base = i0 * p.m_s0 + i1 * p.m_s1 + i2 * p.m_s2 + row * p.mask_s;
  const uint col0 = chunk * kLanes * kColumns + lane;

  float running_max = neg_inf;
  float denom = 0.0;
  vec4 acc = vec4(0.0);
  for (uint t0 = 0u; t0 < p.t; t0 += kLanes) {
    uint t = t0 + lane;
    float score = neg_inf;
    if (in_range && t < p.t) {
      float dot_qk = 0.0;
      uint kr = k_base + t * p.d;
      for (uint i = 0u; i < p.d; ++i) dot_qk += float(q[q_base + i]) * float(k[kr + i]);
      score = p.scale * dot_qk;
      if (p.has_mask != 0u) score += float(mask[m_base + t * p.mask_t]);
    }
    scores[lane] = score;
    barrier();
    float block_max = neg_inf;
    for (uint j = 0u; j < kLanes; ++j) block_max = max(block_max, scores[j]);
    float new_max = max(running_max, block_max);
    // Everything so far is -inf (masked): nothing to add yet.
    bool empty = isinf(new_max) && new_max < 0.0;
    probs[lane] = empty ? 0.0 : exp(score - new_max);
    barrier();
    if (!empty) {
      float correction = exp(running_max - new_max);  // 0 when running_max is -inf
      acc *= correction;
      denom *= correction;
      uint rows = min(kLanes, p.t - t0);
      for (uint j = 0u; j < rows; ++j) {
        float pj = probs[j];
        denom += pj;
        uint vr = v_base + (t0 + j) * p.dv;
        for (uint c = 0u; c < kColumns; ++c) {
          uint col = col0 + c * kLanes;
          if (col < p.dv) acc[c] += pj * float(v[vr + col]);
        }
      }
      running_max = new_max;
    }
  }
  if (!in_range) return;
  uint y_base = (batch * p.s + row) * p.dv;
  for (uint c = 0u; c < kColumns; ++c) {
    uint col = col0 + c * kLanes;
    if (col < p.dv) y[y_base + col] = ACT(denom > 0.0 ? acc[c] / denom : 0.0);
  }
}
