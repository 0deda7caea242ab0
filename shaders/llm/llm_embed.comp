#version 450
// llm_embed: row r of X = row tokens[r] of the table, for the `rows` tokens
// of the step buffer, so that one recorded command buffer serves every
// position. Step buffer (uint[]): count, first position, then the tokens.
// Bindings (set 0): 0 = step, 1 = table (float[]), 2 = X (float[])
// Push constants: { uint dim; uint rows; }
#extension GL_GOOGLE_include_directive : require
#include "index.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) readonly buffer Step { uint step[]; };
layout(set = 0, binding = 1) readonly buffer Table { float table[]; };
layout(set = 0, binding = 2) writeonly buffer OutX { float x[]; };

layout(push_constant) uniform Push {
  uint dim;
  uint rows;
} p;

void main() {
  uint i = fennec_linear_index();
  if (i >= p.dim * p.rows) return;
  uint row = i / p.dim;
  x[i] = table[step[2u + row] * p.dim + i % p.dim];
}
