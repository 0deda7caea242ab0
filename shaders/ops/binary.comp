#version 450
// binary: y = activation(a <op> b) for ADD, SUB, MUL, DIV, POW, MAXIMUM,
// MINIMUM with numpy broadcasting up to rank 6.
// Bindings (set 0): 0 = A (act_t[]), 1 = B (act_t[]), 2 = Y (act_t[]); act_t is float, or
// binary16 in the _a16 variant (storage.glsl)
// Push constants (96 bytes):
//   BinaryPush { uint count; uint mode; int op; int act; float alpha; float beta;
//                uint dims[6]; uint stride_a[6]; uint stride_b[6]; }
//   mode: 0 = broadcast through dims/strides (rank padded on the left to 6,
//             stride 0 on broadcast axes), 1 = A and B have Y's shape,
//         2 = B is one value, 3 = A is one value (dims/strides unused in 1..3)
//   op: 0 add, 1 sub, 2 mul, 3 div, 4 pow, 5 maximum, 6 minimum; act/alpha/beta: fused activation
//   (schema::Activation codes, activation.glsl)
// Specialization constants: 0 = workgroup size (local_size_x), 1 = the same
// value as kFennecWorkgroupSize (index.glsl)
#extension GL_GOOGLE_include_directive : require
#include "storage.glsl"
#include "index.glsl"
#include "activation.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) readonly buffer InA { act_t a[]; };
layout(set = 0, binding = 1) readonly buffer InB { act_t b[]; };
layout(set = 0, binding = 2) writeonly buffer OutY { act_t y[]; };

layout(push_constant) uniform Push {
  uint count;
  uint mode;
  int op;
  int act;
  float alpha;
  float beta;
  uint dims[6];
  uint stride_a[6];
  uint stride_b[6];
} p;

// GLSL's pow is undefined for a negative base (and for 0 ^ b <= 0), while
// ONNX Pow follows C: a negative base with an integer exponent is exact up to
// sign. Small integer exponents (x^2, x^3 in decomposed GELU) multiply out.
float fennec_pow(float a, float b) {
  if (b == 0.0) return 1.0;
  bool integral = floor(b) == b;
  if (integral && abs(b) <= 8.0) {
    float r = 1.0;
    for (int k = int(abs(b)); k > 0; --k) r *= a;
    return b < 0.0 ? 1.0 / r : r;
  }
  float m = abs(a);
  if (m == 0.0) return b > 0.0 ? 0.0 : uintBitsToFloat(0x7f800000u);
  float r = exp2(b * log2(m));
  if (a > 0.0) return r;
  if (!integral) return uintBitsToFloat(0x7fc00000u);  // NaN, as in C
  return mod(b, 2.0) == 1.0 ? -r : r;
}

void main() {
  uint i = fennec_linear_index();
  if (i >= p.count) return;

  uint ia = i, ib = i;
  if (p.mode == 0u) {
    ia = 0u;
    ib = 0u;
    uint rest = i;
    for (int d = 5; d >= 0; --d) {
      uint coord = rest % p.dims[d];
      rest /= p.dims[d];
      ia += coord * p.stride_a[d];
      ib += coord * p.stride_b[d];
    }
  } else if (p.mode == 2u) {
    ib = 0u;
  } else if (p.mode == 3u) {
    ia = 0u;
  }

  float va = a[ia];
  float vb = b[ib];
  precise float v;
  if (p.op == 0) v = va + vb;
  else if (p.op == 1) v = va - vb;
  else if (p.op == 2) v = va * vb;
  else if (p.op == 3) v = va / vb;
  else if (p.op == 4) v = fennec_pow(va, vb);
  else if (p.op == 5) v = max(va, vb);
  else v = min(va, vb);
  y[i] = ACT(fennec_activate(v, p.act, p.alpha, p.beta));
}
