#version 450
// reduce: each invocation computes one output element, folding the input
// elements that map to it. The host merges adjacent axes of the same kind
// (kept / reduced) and drops size-1 axes, so a contiguous reduction becomes
// kept [outer, inner] x reduced [n]; any other axis set still works through
// general strided indexing (no transpose).
//   out index i -> kept coordinates over kept_dims -> input base offset
//   (sum of coordinate * kept_strides); the reduced elements are visited by
//   an odometer over red_dims / red_strides.
// Bindings (set 0): 0 = X (act_t[]), 1 = Y (act_t[]); act_t is float, or
// binary16 in the _a16 variant (storage.glsl)
// Push constants (112 bytes):
//   ReducePush { uint count; uint reduce_count; int kind; uint pad;
//                uint kept_dims[6]; uint kept_strides[6];
//                uint red_dims[6]; uint red_strides[6]; }
//   count = output elements; reduce_count = product of red_dims; unused
//   entries have dim 1 and stride 0 (the innermost axis is entry 5)
//   kind: schema::ReduceKind (0 sum, 1 mean, 2 max, 3 min, 4 prod, 5 L1,
//   6 L2, 7 sum of squares, 8 log-sum, 9 log-sum-exp)
// Specialization constants: 0 = workgroup size (local_size_x), 1 = the same
// value as kFennecWorkgroupSize (index.glsl)
#extension GL_GOOGLE_include_directive : require
#include "storage.glsl"
#include "index.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) readonly buffer InX { act_t x[]; };
layout(set = 0, binding = 1) writeonly buffer OutY { act_t y[]; };

layout(push_constant) uniform Push {
  uint count;
  uint reduce_count;
  int kind;
  uint pad;
  uint kept_dims[6];
  uint kept_strides[6];
  uint red_dims[6];
  uint red_strides[6];
} p;

#define K_SUM 0
#define K_MEAN 1
#define K_MAX 2
#define K_MIN 3
#define K_PROD 4
#define K_L1 5
#define K_L2 6
#define K_SUM_SQUARE 7
#define K_LOG_SUM 8
#define K_LOG_SUM_EXP 9

// Folds the reduced elements starting at `base`. `mode` is K_MAX, K_MIN,
// K_PROD, or a summing kind: then the terms are x, |x|, x^2 or exp(x - shift)
// for K_SUM, K_L1, K_SUM_SQUARE and K_LOG_SUM_EXP, summed with Kahan
// compensation.
float fold(uint base, int mode, float shift) {
  uint c[6] = uint[6](0u, 0u, 0u, 0u, 0u, 0u);
  uint offset = base;
  float acc = mode == K_MAX ? uintBitsToFloat(0xff800000u)
                            : (mode == K_MIN ? uintBitsToFloat(0x7f800000u)
                                             : (mode == K_PROD ? 1.0 : 0.0));
  precise float sum = 0.0;
  precise float carry = 0.0;
  for (uint r = 0u; r < p.reduce_count; ++r) {
    float v = float(x[offset]);
    if (mode == K_MAX) {
      acc = max(acc, v);
    } else if (mode == K_MIN) {
      acc = min(acc, v);
    } else if (mode == K_PROD) {
      acc *= v;
    } else {
      float t = v;
      if (mode == K_L1) t = abs(v);
      else if (mode == K_SUM_SQUARE) t = v * v;
      else if (mode == K_LOG_SUM_EXP) t = exp(v - shift);
      precise float term = t - carry;
      precise float next = sum + term;
      carry = (next - sum) - term;
      sum = next;
    }
    // Odometer step over the reduced axes, innermost first.
    for (int d = 5; d >= 0; --d) {
      c[d] += 1u;
      offset += p.red_strides[d];
      if (c[d] < p.red_dims[d]) break;
      offset -= c[d] * p.red_strides[d];
      c[d] = 0u;
    }
  }
  return (mode == K_MAX || mode == K_MIN || mode == K_PROD) ? acc : sum;
}

void main() {
  uint i = fennec_linear_index();
  if (i >= p.count) return;
  uint base = 0u;
  uint rest = i;
  for (int d = 5; d >= 0; --d) {
    base += (rest % p.kept_dims[d]) * p.kept_strides[d];
    rest /= p.kept_dims[d];
  }

  float result;
  if (p.kind == K_MAX || p.kind == K_MIN || p.kind == K_PROD) {
    result = fold(base, p.kind, 0.0);
  } else if (p.kind == K_LOG_SUM_EXP) {
    float m = fold(base, K_MAX, 0.0);
    // An empty or all -inf row: sum 0, log gives -inf.
    if (isinf(m)) m = 0.0;
    result = log(fold(base, K_LOG_SUM_EXP, m)) + m;
  } else if (p.kind == K_L1) {
    result = fold(base, K_L1, 0.0);
  } else if (p.kind == K_L2 || p.kind == K_SUM_SQUARE) {
    result = fold(base, K_SUM_SQUARE, 0.0);
    if (p.kind == K_L2) result = sqrt(result);
  } else {
    result = fold(base, K_SUM, 0.0);
    if (p.kind == K_MEAN) result /= float(p.reduce_count);
    else if (p.kind == K_LOG_SUM) result = log(result);
  }
  y[i] = ACT(result);
}
