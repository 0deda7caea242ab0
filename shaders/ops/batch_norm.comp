#version 450
// batch_norm: inference-mode batch normalization over axis 1,
// y = (x - mean[c]) * (scale[c] / sqrt(var[c] + epsilon)) + bias[c].
// Bindings (set 0): 0 = X (act_t[count]), 1 = scale (float[C]), 2 = bias (float[C]),
//                   3 = mean (float[C]), 4 = var (float[C]), 5 = Y (act_t[count]);
// act_t is float, or binary16 in the _a16 variant (storage.glsl)
// Push constants (16 bytes): BatchNormPush {
//   uint count;     // elements of X
//   uint channels;  // C = extent of axis 1
//   uint inner;     // product of the extents after axis 1 (1 for rank 2)
//   float epsilon;
// }
// Specialization constants: 0 = workgroup size (local_size_x), 1 = the same
// value as kFennecWorkgroupSize (index.glsl)
//
// One work item per element. The per-channel scale and shift are recomputed
// by every item from the four parameter buffers: they are tiny and cached,
// and it saves a separate folding dispatch and a scratch buffer.
#extension GL_GOOGLE_include_directive : require
#include "storage.glsl"
#include "index.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) readonly buffer InX { act_t x[]; };
layout(set = 0, binding = 1) readonly buffer InScale { float scale[]; };
layout(set = 0, binding = 2) readonly buffer InBias { float bias[]; };
layout(set = 0, binding = 3) readonly buffer InMean { float mean[]; };
layout(set = 0, binding = 4) readonly buffer InVar { float var_[]; };
layout(set = 0, binding = 5) writeonly buffer OutY { act_t y[]; };

layout(push_constant) uniform Push {
  uint count;
  uint channels;
  uint inner;
  float epsilon;
} p;

void main() {
  uint i = fennec_linear_index();
  if (i >= p.count) return;
  uint c = (i / p.inner) % p.channels;
  float k = scale[c] / sqrt(var_[c] + p.epsilon);
  y[i] = ACT((float(x[i]) - mean[c]) * k + bias[c]);
}
