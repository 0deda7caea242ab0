#version 450
// pad: Y is X grown (or cropped) by begin pads; output coordinate c reads
// input coordinate c - begin on each axis. Outside the input, mode 0
// (CONSTANT) writes `value`, mode 1 (REFLECT) mirrors without repeating the
// border (period 2(n-1)), mode 2 (EDGE) clamps to the border.
// Bindings (set 0): 0 = X (act_t[]), 1 = Y (act_t[]); act_t is float, or
// binary16 in the _a16 variant (storage.glsl)
// Push constants (84 bytes):
//   PadPush { uint count; uint mode; float value; uint out_dims[6];
//             uint in_dims[6]; int begin[6]; }
//   count = elements of Y; shapes padded on the left with 1s to rank 6
//   (begin 0 there); mode = schema::PadMode
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
  uint mode;
  float value;
  uint out_dims[6];
  uint in_dims[6];
  int begin[6];
} p;

int source_index(int c, int n) {
  if (p.mode == 2u || n == 1) return clamp(c, 0, n - 1);
  int period = 2 * (n - 1);
  int r = abs(c) % period;
  return r < n ? r : period - r;
}

void main() {
  uint i = fennec_linear_index();
  if (i >= p.count) return;
  uint rest = i;
  uint src = 0u;
  uint stride = 1u;
  for (int d = 5; d >= 0; --d) {
    uint coord = rest % p.out_dims[d];
    rest /= p.out_dims[d];
    int n = int(p.in_dims[d]);
    int c = int(coord) - p.begin[d];
    if (c < 0 || c >= n) {
      if (p.mode == 0u) {
        y[i] = ACT(p.value);
        return;
      }
      c = source_index(c, n);
    }
    src += uint(c) * stride;
    stride *= p.in_dims[d];
  }
  y[i] = ACT(x[src]);
}
