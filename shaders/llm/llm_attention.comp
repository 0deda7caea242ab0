#version 450
// llm_attention: each of `rows` query tokens (row r at the step buffer's
// first position + r) against the cached keys and values 0..its position
// of one layer (causal); one workgroup per (row, query head). Keys are scored in
// blocks held in shared memory and folded into running softmax sums
// (online softmax), so no score matrix is stored. FENNEC_KV_F16: the cache
// holds halves, two per uint; FENNEC_KV_I8: int8 codes, four per uint, with
// a float32 scale per position and head from word scale_offset on.
// Bindings (set 0): 0 = step (uint[]: count, first position),
// 1 = Q (float[rows, n_heads * head_dim]), 2 = cache K, 3 = cache V,
// 4 = Out (float[rows, n_heads * head_dim])
// Push constants: { uint n_heads, n_kv_heads, head_dim, cache_offset; float scale; uint scale_offset; }
#extension GL_GOOGLE_include_directive : require
#include "index.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) readonly buffer Step { uint step[]; };
layout(set = 0, binding = 1) readonly buffer Q { float q[]; };
#if defined(FENNEC_KV_I8)
layout(set = 0, binding = 2) readonly buffer CacheK { uint cache_k[]; };
layout(set = 0, binding = 3) readonly buffer CacheV { uint cache_v[]; };
float key_at(uint i) { return float(bitfieldExtract(int(cache_k[i >> 2]), int((i & 3u) << 3), 8)); }
float value_at(uint i) { return float(bitfieldExtract(int(cache_v[i >> 2]), int((i & 3u) << 3), 8)); }
#elif defined(FENNEC_KV_F16)
layout(set = 0, binding = 2) readonly buffer CacheK { uint cache_k[]; };
layout(set = 0, binding = 3) readonly buffer CacheV { uint cache_v[]; };
float key_at(uint i) { return unpackHalf2x16(cache_k[i / 2u])[i & 1u]; }
float value_at(uint i) { return unpackHalf2x16(cache_v[i / 2u])[i & 1u]; }
#else
layout(set = 0, binding = 2) readonly buffer CacheK { float cache_k[]; };
layout(set = 0, binding = 3) readonly buffer CacheV { float cache_v[]; };
float key_at(uint i) { return cache_k[i]; }
float value_at(uint i) { return cache_v[i]; }
#endif
layout(set = 0, binding = 4) writeonly buffer Out { float o[]; };

layout(push_constant) uniform Push {
  uint n_heads;
  uint n_kv_heads;
  uint head_dim;
  uint cache_offset;
  float scale;
  uint scale_offset;
} p;

// The scales of position t's key and value in head `kv_head` (1 but for int8).
float key_scale(uint t, uint kv_head) {
#if defined(FENNEC_KV_I8)
  return uintBitsToFloat(cache_k[p.scale_offset + t * p.n_kv_heads + kv_head]);
#else
  return 1.0;
#endif
}
float value_scale(uint t, uint kv_head) {
#if defined(FENNEC_KV_I8)
  return uintBitsToFloat(cache_v[p.scale_offset + t * p.n_kv_heads + kv_head]);
#else
  return 1.0;
#endif
}

// Output dims per lane: head_dim up to 4 x the workgroup size.
const uint kMaxDimsPerLane = 4u;
shared float scores[256];

void main() {
  uint row = gl_WorkGroupID.x / p.n_heads;
  uint head = gl_WorkGroupID.x % p.n_heads;
  uint lane = gl_LocalInvocationID.x;
  uint kv_head = head / (p.n_heads / p.n_kv_heads);
  uint stride = p.n_kv_heads * p.head_dim;  // one cached position
  uint kv_base = p.cache_offset + kv_head * p.head_dim;
  uint q_base = (row * p.n_heads + head) * p.head_dim;
  uint last = step[1] + row;
  float running_max = uintBitsToFloat(0xff800000u);
  float running_sum = 0.0;
  float acc[kMaxDimsPerLane];
  for (uint j = 0u; j < kMaxDimsPerLane; ++j) acc[j] = 0.0;

  for (uint block = 0u; block <= last; block += kFennecWorkgroupSize) {
    uint t = block + lane;
    float score = uintBitsToFloat(0xff800000u);
    if (t <= last) {
      float dot_qk = 0.0;
      for (uint d = 0u; d < p.head_dim; ++d) dot_qk += q[q_base + d] * key_at(kv_base + t * stride + d);
      score = dot_qk * p.scale * key_scale(t, kv_head);
    }
    scores[lane] = score;
    barrier();
    uint count = min(kFennecWorkgroupSize, last + 1u - block);
    float block_max = running_max;
    for (uint j = 0u; j < count; ++j) block_max = max(block_max, scores[j]);
    float correction = exp(running_max - block_max);
    running_sum *= correction;
    for (uint j = 0u; j < kMaxDimsPerLane; ++j) acc[j] *= correction;
    for (uint j = 0u; j < count; ++j) {
      float weight = exp(scores[j] - block_max);
      running_sum += weight;
      weight *= value_scale(block + j, kv_head);
      uint row = kv_base + (block + j) * stride;
      for (uint slot = 0u; slot < kMaxDimsPerLane; ++slot) {
        uint d = lane + slot * kFennecWorkgroupSize;
        if (d < p.head_dim) acc[slot] += weight * value_at(row + d);
      }
    }
    running_max = block_max;
    barrier();
  }
  for (uint slot = 0u; slot < kMaxDimsPerLane; ++slot) {
    uint d = lane + slot * kFennecWorkgroupSize;
    if (d < p.head_dim) o[q_base + d] = acc[slot] / running_sum;
  }
}
