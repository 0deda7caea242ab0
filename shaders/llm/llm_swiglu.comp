#version 450
// llm_swiglu: h[i] = silu(gate[i]) * up[i], in place over gate.
// Bindings (set 0): 0 = gate (float[], in place), 1 = up (float[])
// Push constants: { uint count; }
#extension GL_GOOGLE_include_directive : require
#include "index.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) buffer Gate { float gate[]; };
layout(set = 0, binding = 1) readonly buffer Up { float up[]; };

layout(push_constant) uniform Push { uint count; } p;

void main() {
  uint i = fennec_linear_index();
  if (i >= p.count) return;
  float g = gate[i];
  gate[i] = g / (1.0 + exp(-g)) * up[i];
}
