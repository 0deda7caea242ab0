#version 450
// concat: copies one input into its place in the output. The host records
// one dispatch per input; viewing every tensor as [outer, axis, inner], the
// input block of axis_in * inner elements lands at `offset` (axis offset *
// inner) inside each output block of axis_out * inner elements.
// Bindings (set 0): 0 = X (act_t[], one input), 1 = Y (act_t[], the output);
// act_t is float, or binary16 in the _a16 variant (storage.glsl)
// Push constants (16 bytes):
//   ConcatPush { uint count; uint in_block; uint out_block; uint offset; }
//   count = outer * in_block (elements of X)
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
  uint in_block;
  uint out_block;
  uint offset;
} p;

void main() {
  uint i = fennec_linear_index();
  if (i >= p.count) return;
  uint outer = i / p.in_block;
  uint r = i - outer * p.in_block;
  y[outer * p.out_block + p.offset + r] = ACT(x[i]);
}
