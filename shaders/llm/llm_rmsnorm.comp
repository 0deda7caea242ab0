#version 450
// llm_rmsnorm: y = x * w / sqrt(mean(x^2) + eps), one workgroup per row.
// Bindings (set 0): 0 = X (float[]), 1 = W (float[dim]), 2 = Y (float[])
// Push constants: { uint dim; float eps; }
#extension GL_GOOGLE_include_directive : require
#include "index.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) readonly buffer InX { float x[]; };
layout(set = 0, binding = 1) readonly buffer InW { float w[]; };
layout(set = 0, binding = 2) writeonly buffer OutY { float y[]; };

layout(push_constant) uniform Push {
  uint dim;
  float eps;
} p;

shared float partial[256];

void main() {
  uint lane = gl_LocalInvocationID.x;
  uint row = gl_WorkGroupID.x * p.dim;
  float sum = 0.0;
  for (uint i = lane; i < p.dim; i += kFennecWorkgroupSize) sum += x[row + i] * x[row + i];
  partial[lane] = sum;
  barrier();
  for (uint stride = kFennecWorkgroupSize / 2; stride > 0; stride /= 2) {
    if (lane < stride) partial[lane] += partial[lane + stride];
    barrier();
  }
  float scale = 1.0 / sqrt(partial[0] / float(p.dim) + p.eps);
  for (uint i = lane; i < p.dim; i += kFennecWorkgroupSize) y[row + i] = x[row + i] * scale * w[i];
}
