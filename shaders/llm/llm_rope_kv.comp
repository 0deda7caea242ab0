#version 450
// llm_rope_kv: for each of `rows` tokens (row r at the step buffer's first
// position + r), rotates q and k by that position (RoPE) and stores k and v
// into the layer's cache row for it. Step buffer (uint[]): count, first
// position.
// Pairs are (2i, 2i+1) within each head, or (i, i + head_dim/2) with NEOX.
// q is rotated in place, one rotation pair per invocation; the cache is
// written two adjacent elements per invocation (one packed word with
// FENNEC_KV_F16: the cache holds halves, two per uint). FENNEC_KV_I8: one
// invocation per key/value head writes the head whole: int8 codes, four per
// uint, and after every layer's codes a float32 scale per position and head
// (words from scale_offset on; llm/config.h, KvCache).
// Bindings (set 0): 0 = step, 1 = Q (float[rows, n_heads * head_dim], in
// place), 2 = K (float[rows, kv]), 3 = V (float[rows, kv]), 4 = cache K,
// 5 = cache V
// Push constants: { uint n_heads, n_kv_heads, head_dim, neox, cache_offset; float theta; uint rows, scale_offset; }
#extension GL_GOOGLE_include_directive : require
#include "index.glsl"
#include "rounding.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) readonly buffer Step { uint step[]; };
layout(set = 0, binding = 1) buffer Q { float q[]; };
layout(set = 0, binding = 2) readonly buffer K { float k[]; };
layout(set = 0, binding = 3) readonly buffer V { float v[]; };
#if defined(FENNEC_KV_F16) || defined(FENNEC_KV_I8)
layout(set = 0, binding = 4) writeonly buffer CacheK { uint cache_k[]; };
layout(set = 0, binding = 5) writeonly buffer CacheV { uint cache_v[]; };
#else
layout(set = 0, binding = 4) writeonly buffer CacheK { float cache_k[]; };
layout(set = 0, binding = 5) writeonly buffer CacheV { float cache_v[]; };
#endif

layout(push_constant) uniform Push {
  uint n_heads;
  uint n_kv_heads;
  uint head_dim;
  uint neox;
  uint cache_offset;  // elements: this layer's cache start
  float theta;
  uint rows;
  uint scale_offset;  // FENNEC_KV_I8: word index of this layer's scales
} p;

// The two element indices of rotation pair `i` of a head and its frequency.
void pair(uint i, out uint a, out uint b, out float freq) {
  uint half_dim = p.head_dim / 2;
  if (p.neox != 0u) {
    a = i;
    b = i + half_dim;
  } else {
    a = 2u * i;
    b = 2u * i + 1u;
  }
  freq = pow(p.theta, -float(2u * i) / float(p.head_dim));
}

// Element e of head `base` of k after rotation by `pos`.
float rotated_k(uint base, uint e, float pos) {
  uint half_dim = p.head_dim / 2;
  uint i = p.neox != 0u ? e % half_dim : e / 2u;
  uint a, b;
  float freq;
  pair(i, a, b, freq);
  float angle = pos * freq;
  float c = cos(angle), s = sin(angle);
  float x0 = k[base + a], x1 = k[base + b];
  return e == a ? x0 * c - x1 * s : x0 * s + x1 * c;
}

#ifdef FENNEC_KV_I8
// The int8 code of x under the reciprocal of its scale.
uint code(float x, float inverse) {
  precise float v = x * inverse;
  return uint(int(clamp(trunc(v + (v < 0.0 ? -0.5 : 0.5)), -127.0, 127.0))) & 255u;
}
#endif

void main() {
  uint index = fennec_linear_index();
  uint half_dim = p.head_dim / 2;
  uint q_pairs = p.n_heads * half_dim;
#ifdef FENNEC_KV_I8
  uint kv_pairs = p.n_kv_heads;  // one item per head
#else
  uint kv_pairs = p.n_kv_heads * half_dim;
#endif
  uint per_row = q_pairs + kv_pairs;
  if (index >= per_row * p.rows) return;
  uint row = index / per_row;
  index %= per_row;
  uint position = step[1] + row;
  float pos = float(position);
  if (index < q_pairs) {
    uint base = row * p.n_heads * p.head_dim + (index / half_dim) * p.head_dim;
    uint a, b;
    float freq;
    pair(index % half_dim, a, b, freq);
    float angle = pos * freq;
    float c = cos(angle), s = sin(angle);
    float x0 = q[base + a], x1 = q[base + b];
    q[base + a] = x0 * c - x1 * s;
    q[base + b] = x0 * s + x1 * c;
    return;
  }
  uint local = index - q_pairs;
  uint kv_dim = p.n_kv_heads * p.head_dim;
#ifdef FENNEC_KV_I8
  {
    uint base = row * kv_dim + local * p.head_dim;
    float k_max = 0.0, v_max = 0.0;
    for (uint e = 0u; e < p.head_dim; ++e) {
      k_max = max(k_max, abs(rotated_k(base, e, pos)));
      v_max = max(v_max, abs(v[base + e]));
    }
    float k_scale = k_max > 0.0 ? divide(k_max, 127.0) : 1.0, v_scale = v_max > 0.0 ? divide(v_max, 127.0) : 1.0;
    float k_inverse = divide(1.0, k_scale), v_inverse = divide(1.0, v_scale);
    uint word = (p.cache_offset + position * kv_dim + local * p.head_dim) / 4u;
    for (uint e = 0u; e < p.head_dim; e += 4u, ++word) {
      uint kw = 0u, vw = 0u;
      for (uint i = 0u; i < 4u; ++i) {
        kw |= code(rotated_k(base, e + i, pos), k_inverse) << (8u * i);
        vw |= code(v[base + e + i], v_inverse) << (8u * i);
      }
      cache_k[word] = kw;
      cache_v[word] = vw;
    }
    uint scale_at = p.scale_offset + position * p.n_kv_heads + local;
    cache_k[scale_at] = floatBitsToUint(k_scale);
    cache_v[scale_at] = floatBitsToUint(v_scale);
  }
#else
  // Adjacent elements e, e + 1 of one kv head.
  uint head = (local / half_dim) * p.head_dim;
  uint base = row * kv_dim + head;
  uint e = 2u * (local % half_dim);
  float k0 = rotated_k(base, e, pos), k1 = rotated_k(base, e + 1u, pos);
  uint slot = p.cache_offset + position * kv_dim + head + e;
#ifdef FENNEC_KV_F16
  cache_k[slot / 2u] = pack_half2(k0, k1);
  cache_v[slot / 2u] = pack_half2(v[base + e], v[base + e + 1u]);
#else
  cache_k[slot] = k0;
  cache_k[slot + 1u] = k1;
  cache_v[slot] = v[base + e];
  cache_v[slot + 1u] = v[base + e + 1u];
#endif
#endif
}
