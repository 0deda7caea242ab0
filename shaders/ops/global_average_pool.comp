#version 450
// global_average_pool: y[plane] = mean of x over one spatial plane, for each
// (n, c) plane of an [N, C, spatial...] tensor.
// One workgroup per plane: the host dispatches planes * workgroup-size
// invocations, so the linear workgroup id of the Recorder's 2-D grid is the
// plane (uniform across the workgroup); the lanes stride over the plane and
// reduce their partial sums in shared memory.
// Bindings (set 0): 0 = X (act_t[]), 1 = Y (act_t[]); act_t is float, or
// binary16 in the _a16 variant (storage.glsl)
// Push constants (16 bytes):
//   GapPush { uint planes; uint plane_size; float inv_size; uint pad; }
// Specialization constants: 0 = workgroup size (local_size_x), 1 = the same
// value as kFennecWorkgroupSize (index.glsl); any size works
// (the reduction does not assume a power of two)
#extension GL_GOOGLE_include_directive : require
#include "storage.glsl"
#include "index.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) readonly buffer InX { act_t x[]; };
layout(set = 0, binding = 1) writeonly buffer OutY { act_t y[]; };

layout(push_constant) uniform Push {
  uint planes;
  uint plane_size;
  float inv_size;
  uint pad;
} p;

shared float partial[kFennecWorkgroupSize];

void main() {
  const uint lanes = kFennecWorkgroupSize;
  const uint lane = gl_LocalInvocationID.x;
  // Every lane of a workgroup gets the same plane, so the barriers below are
  // in uniform control flow even for the padding workgroups past the end.
  // One workgroup per plane, so the plane is the workgroup's linear index.
  const uint plane = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  const bool in_range = plane < p.planes;

  float sum = 0.0;
  if (in_range) {
    uint base = plane * p.plane_size;
    for (uint i = lane; i < p.plane_size; i += lanes) sum += float(x[base + i]);
  }
  partial[lane] = sum;
  barrier();

  for (uint n = lanes; n > 1u;) {
    uint half_n = (n + 1u) / 2u;
    if (lane < n - half_n) partial[lane] += partial[lane + half_n];
    barrier();
    n = half_n;
  }
  if (in_range && lane == 0u) y[plane] = ACT(partial[0] * p.inv_size);
}
