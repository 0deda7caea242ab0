#version 450
// llm_rope_kv: rotates q and k by the step buffer's position (RoPE) and
// stores k and v into the layer's cache row for that position.
// Pairs are (2i, 2i+1) within each head, or (i, i + head_dim/2) with NEOX.
// Bindings (set 0): 0 = step (uint[]: token, position), 1 = Q (float[], in
// place), 2 = K (float[]), 3 = V (float[]), 4 = cache K (float[]),
// 5 = cache V (float[])
// Push constants: { uint n_heads, n_kv_heads, head_dim, neox, cache_offset; float theta; }
#extension GL_GOOGLE_include_directive : require
#include "index.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) readonly buffer Step { uint step[]; };
layout(set = 0, binding = 1) buffer Q { float q[]; };
layout(set = 0, binding = 2) readonly buffer K { float k[]; };
layout(set = 0, binding = 3) readonly buffer V { float v[]; };
layout(set = 0, binding = 4) writeonly buffer CacheK { float cache_k[]; };
layout(set = 0, binding = 5) writeonly buffer CacheV { float cache_v[]; };

layout(push_constant) uniform Push {
  uint n_heads;
  uint n_kv_heads;
  uint head_dim;
  uint neox;
  uint cache_offset;  // elements: this layer's cache start
  float theta;
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

void main() {
  uint index = fennec_linear_index();
  uint half_dim = p.head_dim / 2;
  uint q_pairs = p.n_heads * half_dim;
  uint kv_pairs = p.n_kv_heads * half_dim;
  if (index >= q_pairs + kv_pairs) return;
  float pos = float(step[1]);
  bool is_q = index < q_pairs;
  uint local = is_q ? index : index - q_pairs;
  uint head = local / half_dim;
  uint a, b;
  float freq;
  pair(local % half_dim, a, b, freq);
  float angle = pos * freq;
  float c = cos(angle), s = sin(angle);
  uint base = head * p.head_dim;
  if (is_q) {
    float x0 = q[base + a], x1 = q[base + b];
    q[base + a] = x0 * c - x1 * s;
    q[base + b] = x0 * s + x1 * c;
  } else {
    float x0 = k[base + a], x1 = k[base + b];
    uint row = p.cache_offset + step[1] * p.n_kv_heads * p.head_dim + base;
    cache_k[row + a] = x0 * c - x1 * s;
    cache_k[row + b] = x0 * s + x1 * c;
    cache_v[row + a] = v[base + a];
    cache_v[row + b] = v[base + b];
  }
}
