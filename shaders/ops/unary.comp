#version 450
// unary: y[i] = activation(x[i]) for the standalone activation ops.
// Bindings (set 0): 0 = X (act_t[]), 1 = Y (act_t[]); act_t is float, or
// binary16 in the _a16 variant (storage.glsl)
// Push constants: UnaryPush { uint count; int kind; float alpha; float beta; }
// Specialization constants: 0 = workgroup size (local_size_x), 1 = the same
// value as kFennecWorkgroupSize (index.glsl)
#extension GL_GOOGLE_include_directive : require
#include "storage.glsl"
#include "index.glsl"
#include "activation.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) readonly buffer InX { act_t x[]; };
layout(set = 0, binding = 1) writeonly buffer OutY { act_t y[]; };

layout(push_constant) uniform Push {
  uint count;
  int kind;
  float alpha;
  float beta;
} p;

void main() {
  uint i = fennec_linear_index();
  if (i >= p.count) return;
  y[i] = ACT(fennec_activate(float(x[i]), p.kind, p.alpha, p.beta));
}
