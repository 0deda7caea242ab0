#version 450
// layer_norm: viewing X and Y as [rows, size] (size = product of the
// normalized trailing dims), each invocation normalizes one row:
//   y[r, j] = (x[r, j] - mean) / sqrt(var + epsilon) * scale[j] + bias[j]
// with mean and biased variance over the row (two passes, Kahan sums).
// Bindings (set 0): 0 = X (act_t[]), 1 = scale (float[]), 2 = bias (float[];
// a dummy buffer when has_bias = 0), 3 = Y (act_t[]); act_t is float, or
// binary16 in the _a16 variant (storage.glsl)
// Push constants (24 bytes):
//   LayerNormPush { uint rows; uint size; float epsilon; uint scale_step;
//                   uint bias_step; uint has_bias; }
//   *_step: 1 when the parameter has one value per normalized element, 0
//   when it is a single value
// Specialization constants: 0 = workgroup size (local_size_x), 1 = the same
// value as kFennecWorkgroupSize (index.glsl)
#extension GL_GOOGLE_include_directive : require
#include "storage.glsl"
#include "index.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) readonly buffer InX { act_t x[]; };
layout(set = 0, binding = 1) readonly buffer InScale { float scale[]; };
layout(set = 0, binding = 2) readonly buffer InBias { float bias[]; };
layout(set = 0, binding = 3) writeonly buffer OutY { act_t y[]; };

layout(push_constant) uniform Push {
  uint rows;
  uint size;
  float epsilon;
  uint scale_step;
  uint bias_step;
  uint has_bias;
} p;

void main() {
  uint row = fennec_linear_index();
  if (row >= p.rows) return;
  uint base = row * p.size;
  float n = float(p.size);

  precise float sum = 0.0;
  precise float carry = 0.0;
  for (uint j = 0u; j < p.size; ++j) {
    precise float term = float(x[base + j]) - carry;
    precise float next = sum + term;
    carry = (next - sum) - term;
    sum = next;
  }
  float mean = sum / n;

  sum = 0.0;
  carry = 0.0;
  for (uint j = 0u; j < p.size; ++j) {
    float d = float(x[base + j]) - mean;
    precise float term = d * d - carry;
    precise float next = sum + term;
    carry = (next - sum) - term;
    sum = next;
  }
  float inv_std = 1.0 / sqrt(sum / n + p.epsilon);

  for (uint j = 0u; j < p.size; ++j) {
    float v = (float(x[base + j]) - mean) * inv_std * scale[j * p.scale_step];
    if (p.has_bias != 0u) v += bias[j * p.bias_step];
    y[base + j] = ACT(v);
  }
}
