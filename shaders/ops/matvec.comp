#version 450
// matvec: Y = act(alpha * A @ B + beta * C) for a few rows of A (R <= 4)
// against a float32 B [K, N] (row-major), one output column per invocation:
// neighbouring lanes read neighbouring B values, and each B value is loaded
// once for all R rows. MATMUL takes it when A is R contiguous rows of K
// values (batch axes of A folded into R) and B is an untransposed matrix.
// Bindings (set 0): 0 = A (act_t[R*K]), 1 = B (act_t[K*N]),
//                   2 = C (act_t[N]: one bias per column; a dummy buffer when
//                   has_c == 0), 3 = Y (act_t[R*N]); act_t is float, or
//                   binary16 in the _a16 variant (storage.glsl)
// Push constants (52 bytes): MatVecPush in matmul_vulkan.cpp, the block below.
// Specialization constants: 0 = workgroup size (local_size_x), 1 = the same
// value as kFennecWorkgroupSize (index.glsl)
#extension GL_GOOGLE_include_directive : require
#include "storage.glsl"
#include "index.glsl"
#include "activation.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) readonly buffer InA { act_t a[]; };
layout(set = 0, binding = 1) readonly buffer InB { act_t b[]; };
layout(set = 0, binding = 2) readonly buffer InC { act_t c[]; };
layout(set = 0, binding = 3) writeonly buffer OutY { act_t y[]; };

layout(push_constant) uniform Push {
  uint rows, n, k;
  float alpha, beta;
  uint has_c;
  int kind;
  float act_alpha, act_beta;
  uint wgroup;  // unused (the quantized variant's int4 group size)
  uint chunked;  // unused
  float act_scale, act_inverse;  // unused (the w8a8 variant's activation scale)
} p;

// A[r, kk .. kk+3] for row r < rows; rows past the end read row rows - 1
// (its sums are never stored), so every loop below has a fixed shape.
vec4 a4(uint r, uint kk) {
  uint at = min(r, p.rows - 1u) * p.k + kk;
  return vec4(a[at], a[at + 1u], a[at + 2u], a[at + 3u]);
}

void main() {
  uint col = fennec_linear_index();
  if (col >= p.n) return;
  uint k4 = p.k & ~3u;
  vec4 acc = vec4(0.0);
  if (p.rows == 1u) {
    for (uint kk = 0u; kk < k4; kk += 4u) {
      vec4 bv = vec4(b[kk * p.n + col], b[(kk + 1u) * p.n + col], b[(kk + 2u) * p.n + col],
                     b[(kk + 3u) * p.n + col]);
      acc.x += dot(a4(0u, kk), bv);
    }
  } else {
    for (uint kk = 0u; kk < k4; kk += 4u) {
      vec4 bv = vec4(b[kk * p.n + col], b[(kk + 1u) * p.n + col], b[(kk + 2u) * p.n + col],
                     b[(kk + 3u) * p.n + col]);
      acc += vec4(dot(a4(0u, kk), bv), dot(a4(1u, kk), bv), dot(a4(2u, kk), bv), dot(a4(3u, kk), bv));
    }
  }
  for (uint kk = k4; kk < p.k; ++kk) {
    float bv = b[kk * p.n + col];
    acc += bv * vec4(a[kk], a[min(1u, p.rows - 1u) * p.k + kk], a[min(2u, p.rows - 1u) * p.k + kk],
                     a[min(3u, p.rows - 1u) * p.k + kk]);
  }
  float bias = p.has_c != 0u ? p.beta * float(c[col]) : 0.0;
  y[col] = ACT(fennec_activate(p.alpha * acc.x + bias, p.kind, p.act_alpha, p.act_beta));
  if (p.rows > 1u) y[p.n + col] = ACT(fennec_activate(p.alpha * acc.y + bias, p.kind, p.act_alpha, p.act_beta));
  if (p.rows > 2u) y[2u * p.n + col] = ACT(fennec_activate(p.alpha * acc.z + bias, p.kind, p.act_alpha, p.act_beta));
  if (p.rows > 3u) y[3u * p.n + col] = ACT(fennec_activate(p.alpha * acc.w + bias, p.kind, p.act_alpha, p.act_beta));
}
