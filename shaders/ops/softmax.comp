#version 450
// softmax: viewing X and Y as [outer, dim, inner], each invocation handles one
// row (o, k) along the middle axis:
//   softmax:     y[o, j, k] = exp(x[o, j, k] - m) / sum_j exp(x[o, j, k] - m)
//   log-softmax: y[o, j, k] = x[o, j, k] - m - log(sum_j exp(x[o, j, k] - m))
// with m the row maximum (so exp never overflows).
// Bindings (set 0): 0 = X (act_t[]), 1 = Y (act_t[]); act_t is float, or
// binary16 in the _a16 variant (storage.glsl)
// Push constants (16 bytes):
//   SoftmaxPush { uint rows; uint dim; uint inner; uint log; }
//   rows = outer * inner
// Specialization constants: 0 = workgroup size (local_size_x), 1 = the same
// value as kFennecWorkgroupSize (index.glsl)
#extension GL_GOOGLE_include_directive : require
#include "storage.glsl"
#include "index.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) readonly buffer InX { act_t x[]; };
layout(set = 0, binding = 1) writeonly buffer OutY { act_t y[]; };

layout(push_constant) uniform Push {
  uint rows;
  uint dim;
  uint inner;
  uint log_softmax;
} p;

void main() {
  uint row = fennec_linear_index();
  if (row >= p.rows) return;
  uint k = row % p.inner;
  uint o = row / p.inner;
  uint base = o * p.dim * p.inner + k;

  float m = uintBitsToFloat(0xff800000u);  // -inf
  for (uint j = 0u; j < p.dim; ++j) m = max(m, float(x[base + j * p.inner]));
  // Kahan summation keeps long rows accurate.
  precise float sum = 0.0;
  precise float carry = 0.0;
  for (uint j = 0u; j < p.dim; ++j) {
    precise float term = exp(float(x[base + j * p.inner]) - m) - carry;
    precise float next = sum + term;
    carry = (next - sum) - term;
    sum = next;
  }
  if (p.log_softmax != 0u) {
    float log_sum = log(sum);
    for (uint j = 0u; j < p.dim; ++j) y[base + j * p.inner] = ACT((float(x[base + j * p.inner]) - m) - log_sum);
  } else {
    float inv = 1.0 / sum;
    for (uint j = 0u; j < p.dim; ++j) y[base + j * p.inner] = ACT(exp(float(x[base + j * p.inner]) - m) * inv);
  }
}
