#version 450
// llm_embed: x[i] = table[token * dim + i], the token read from the step
// buffer so that one recorded command buffer serves every position.
// Bindings (set 0): 0 = step (uint[]: token, position), 1 = table (float[]),
// 2 = X (float[])
// Push constants: { uint dim; }
#extension GL_GOOGLE_include_directive : require
#include "index.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) readonly buffer Step { uint step[]; };
layout(set = 0, binding = 1) readonly buffer Table { float table[]; };
layout(set = 0, binding = 2) writeonly buffer OutX { float x[]; };

layout(push_constant) uniform Push { uint dim; } p;

void main() {
  uint i = fennec_linear_index();
  if (i >= p.dim) return;
  x[i] = table[step[0] * p.dim + i];
}
