#version 450
// resize: NEAREST, LINEAR (bilinear) or CUBIC (bicubic) resize of the last
// two axes of an NCHW tensor, one invocation per output element. The
// coordinate transform, the nearest rounding and the cubic taps mirror
// ResizeOp::source_coordinate, ResizeOp::cubic_taps and the reference in
// runtime/src/ops/resize.cpp operation for operation (same float
// expressions, no contraction), so the picked source pixels agree.
// Bindings (set 0): 0 = X (act_t[], [N,C,in_h,in_w]), 1 = Y (act_t[], [N,C,out_h,out_w]);
// act_t is float, or binary16 in the _a16 variant (storage.glsl)
// Push constants (48 bytes):
//   ResizePush { uint count; uint in_h; uint in_w; uint out_h; uint out_w;
//                uint mode; uint transform; uint rounding;
//                float scale_h; float scale_w; float cubic_a; uint exclude_outside; }
//   mode: schema::ResizeMode (0 nearest, 1 linear, 2 cubic)
//   transform: schema::CoordinateTransform (0 half_pixel, 1 asymmetric,
//     2 align_corners, 3 pytorch_half_pixel, 4 tf_half_pixel_for_nearest)
//   rounding: schema::NearestRounding (0 round_prefer_floor,
//     1 round_prefer_ceil, 2 floor, 3 ceil)
//   scale_h/scale_w: the scales the transform divides by (given, or out/in)
//   cubic_a: the Keys kernel coefficient A (cubic only)
//   exclude_outside: 1 = taps outside the input get weight 0 and the rest are
//     renormalized; 0 = they read the edge pixel (cubic only)
// Specialization constants: 0 = workgroup size (local_size_x), 1 = the same
// value as kFennecWorkgroupSize (index.glsl)
#extension GL_GOOGLE_include_directive : require
#include "storage.glsl"
#include "index.glsl"
#include "rounding.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) readonly buffer InX { act_t x[]; };
layout(set = 0, binding = 1) writeonly buffer OutY { act_t y[]; };

layout(push_constant) uniform Push {
  uint count;
  uint in_h;
  uint in_w;
  uint out_h;
  uint out_w;
  uint mode;
  uint transform;
  uint rounding;
  float scale_h;
  float scale_w;
  float cubic_a;
  uint exclude_outside;
} p;

float source_coordinate(uint out_i, float scale, uint in_size, uint out_size) {
  precise float x = float(out_i);
  if (scale == 1.0) return x;
  precise float r;
  if (p.transform == 0u) {
    r = divide(x + 0.5, scale) - 0.5;
  } else if (p.transform == 1u) {
    r = divide(x, scale);
  } else if (p.transform == 2u) {
    // The resized length is in * scale (fractional when scales are given).
    r = out_size == 1u ? 0.0 : divide(x * (float(in_size) - 1.0), float(in_size) * scale - 1.0);
  } else if (p.transform == 3u) {
    r = out_size > 1u ? divide(x + 0.5, scale) - 0.5 : 0.0;
  } else {
    r = divide(x + 0.5, scale);
  }
  return r;
}

uint nearest_index(float coord, uint in_size) {
  precise float f = floor(coord);
  precise float frac = coord - f;
  float r = f;
  if (p.rounding == 0u) r = frac > 0.5 ? f + 1.0 : f;
  else if (p.rounding == 1u) r = frac >= 0.5 ? f + 1.0 : f;
  else if (p.rounding == 3u) r = ceil(coord);
  return uint(clamp(int(r), 0, int(in_size) - 1));
}

// Edge-clamped linear taps: indices i0, i1 and their weights w0, w1.
void linear_tap(float coord, uint in_size, out uint i0, out uint i1, out float w0,
                out float w1) {
  precise float c = clamp(coord, 0.0, float(in_size - 1u));
  i0 = min(uint(c), in_size - 1u);
  i1 = min(i0 + 1u, in_size - 1u);
  if (i0 == i1) {
    w0 = 0.5;
    w1 = 0.5;
  } else {
    w1 = abs(c - float(i0));
    w0 = abs(c - float(i1));
  }
}

// Bicubic taps along one axis: clamped indices idx[0..3] for floor(coord)-1
// .. floor(coord)+2 and their Keys weights w[0..3].
void cubic_taps(float coord, uint in_size, out int idx[4], out float w[4]) {
  precise float f = floor(coord);
  precise float t = coord - f;
  float a = p.cubic_a;
  if (t == 0.0) {
    w[0] = 0.0;
    w[1] = 1.0;
    w[2] = 0.0;
    w[3] = 0.0;
  } else {
    precise float d0 = 1.0 + t;
    precise float d2 = 1.0 - t;
    precise float d3 = 2.0 - t;
    precise float w0 = ((a * d0 - 5.0 * a) * d0 + 8.0 * a) * d0 - 4.0 * a;
    precise float w1 = ((a + 2.0) * t - (a + 3.0)) * t * t + 1.0;
    precise float w2 = ((a + 2.0) * d2 - (a + 3.0)) * d2 * d2 + 1.0;
    precise float w3 = ((a * d3 - 5.0 * a) * d3 + 8.0 * a) * d3 - 4.0 * a;
    w[0] = w0;
    w[1] = w1;
    w[2] = w2;
    w[3] = w3;
  }
  int first = int(f) - 1;
  int last = int(in_size) - 1;
  precise float sum = 0.0;
  for (int k = 0; k < 4; ++k) {
    int i = first + k;
    if (p.exclude_outside != 0u && (i < 0 || i > last)) w[k] = 0.0;
    sum += w[k];
    idx[k] = clamp(i, 0, last);
  }
  if (p.exclude_outside != 0u && sum != 0.0)
    for (int k = 0; k < 4; ++k) w[k] = w[k] / sum;
}

void main() {
  uint i = fennec_linear_index();
  if (i >= p.count) return;
  uint ox = i % p.out_w;
  uint rest = i / p.out_w;
  uint oy = rest % p.out_h;
  uint plane = rest / p.out_h;
  uint base = plane * p.in_h * p.in_w;

  float cy = source_coordinate(oy, p.scale_h, p.in_h, p.out_h);
  float cx = source_coordinate(ox, p.scale_w, p.in_w, p.out_w);
  if (p.mode == 0u) {
    uint iy = nearest_index(cy, p.in_h);
    uint ix = nearest_index(cx, p.in_w);
    y[i] = ACT(x[base + iy * p.in_w + ix]);
  } else if (p.mode == 2u) {
    int ry[4], rx[4];
    float wy[4], wx[4];
    cubic_taps(cy, p.in_h, ry, wy);
    cubic_taps(cx, p.in_w, rx, wx);
    // Along W within each of the four rows, then along H, as the reference.
    precise float v = 0.0;
    for (int r = 0; r < 4; ++r) {
      uint row = base + uint(ry[r]) * p.in_w;
      precise float h = 0.0;
      for (int c = 0; c < 4; ++c) h += wx[c] * float(x[row + uint(rx[c])]);
      v += wy[r] * h;
    }
    y[i] = ACT(v);
  } else {
    uint y0, y1, x0, x1;
    float wy0, wy1, wx0, wx1;
    linear_tap(cy, p.in_h, y0, y1, wy0, wy1);
    linear_tap(cx, p.in_w, x0, x1, wx0, wx1);
    y[i] = ACT(wx0 * wy0 * float(x[base + y0 * p.in_w + x0]) + wx1 * wy0 * float(x[base + y0 * p.in_w + x1]) +
               wx0 * wy1 * float(x[base + y1 * p.in_w + x0]) + wx1 * wy1 * float(x[base + y1 * p.in_w + x1]));
  }
}
