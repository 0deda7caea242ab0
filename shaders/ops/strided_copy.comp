#version 450
// strided_copy: y[i] = x[offset + sum_d coord_d(i) * strides[d]], the
// strided view (ops/strided.h) that TRANSPOSE, SLICE and EXPAND read their
// input through. Strides are signed: negative for reversed slices, zero for
// broadcast axes.
// Bindings (set 0): 0 = X (act_t[]), 1 = Y (act_t[]); act_t is float, or
// binary16 in the _a16 variant (storage.glsl)
// Push constants (56 bytes):
//   StridedPush { uint count; int offset; uint dims[6]; int strides[6]; }
//   count = elements of Y; dims = Y's shape padded on the left with 1s to
//   rank 6 (stride 0 there)
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
  int offset;
  uint dims[6];
  int strides[6];
} p;

void main() {
  uint i = fennec_linear_index();
  if (i >= p.count) return;
  int src = p.offset;
  uint rest = i;
  for (int d = 5; d >= 0; --d) {
    uint coord = rest % p.dims[d];
    rest /= p.dims[d];
    src += int(coord) * p.strides[d];
  }
  y[i] = ACT(x[src]);
}
