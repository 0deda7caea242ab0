#version 450
// gather: viewing X as [outer, axis_dim, inner] and Y as
// [outer, index_count, inner], y[o, j, k] = x[o, indices[j], k]; a negative
// index counts from the end. Indices were range-checked by the converter;
// out-of-range ones are clamped so a bad model cannot read out of bounds.
// Bindings (set 0): 0 = X (act_t[]), 1 = indices (int[]), 2 = Y (act_t[]);
// act_t is float, or binary16 in the _a16 variant (storage.glsl)
// Push constants (16 bytes):
//   GatherPush { uint count; uint inner; uint index_count; uint axis_dim; }
//   count = elements of Y
// Specialization constants: 0 = workgroup size (local_size_x), 1 = the same
// value as kFennecWorkgroupSize (index.glsl)
#extension GL_GOOGLE_include_directive : require
#include "storage.glsl"
#include "index.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) readonly buffer InX { act_t x[]; };
layout(set = 0, binding = 1) readonly buffer InIndices { int indices[]; };
layout(set = 0, binding = 2) writeonly buffer OutY { act_t y[]; };

layout(push_constant) uniform Push {
  uint count;
  uint inner;
  uint index_count;
  uint axis_dim;
} p;

void main() {
  uint i = fennec_linear_index();
  if (i >= p.count) return;
  uint k = i % p.inner;
  uint rest = i / p.inner;
  uint j = rest % p.index_count;
  uint o = rest / p.index_count;
  int index = indices[j];
  if (index < 0) index += int(p.axis_dim);
  uint src_row = uint(clamp(index, 0, int(p.axis_dim) - 1));
  y[i] = ACT(x[(o * p.axis_dim + src_row) * p.inner + k]);
}
