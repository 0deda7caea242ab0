#version 450
// copy: y[i] = x[i]. RESHAPE uses it: a reshape keeps the element order, so
// only the bytes move (into the output's own arena range).
// Bindings (set 0): 0 = X (float[]), 1 = Y (float[])
// Push constants (4 bytes):
//   CopyPush { uint count; }   count = elements
// Specialization constants: 0 = workgroup size (local_size_x), 1 = the same
// value as kFennecWorkgroupSize (index.glsl)
#extension GL_GOOGLE_include_directive : require
#include "index.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) readonly buffer InX { float x[]; };
layout(set = 0, binding = 1) writeonly buffer OutY { float y[]; };

layout(push_constant) uniform Push {
  uint count;
} p;

void main() {
  uint i = fennec_linear_index();
  if (i >= p.count) return;
  y[i] = x[i];
}
