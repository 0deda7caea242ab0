#version 450
// copy: y[i] = x[i]. RESHAPE uses it: a reshape keeps the element order, so
// only the bytes move (into the output's own arena range). CAST uses its
// converting variants: FENNEC_CAST_TO_F16 reads float32 and writes binary16
// (rounded to nearest), FENNEC_CAST_TO_F32 widens binary16 to float32.
// Bindings (set 0): 0 = X, 1 = Y (act_t[] both, unless a cast variant)
// Push constants (4 bytes):
//   CopyPush { uint count; }   count = elements
// Specialization constants: 0 = workgroup size (local_size_x), 1 = the same
// value as kFennecWorkgroupSize (index.glsl)
#extension GL_GOOGLE_include_directive : require
#if defined(FENNEC_CAST_TO_F16) || defined(FENNEC_CAST_TO_F32)
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#endif
#include "storage.glsl"
#include "index.glsl"

layout(local_size_x_id = 0) in;

#if defined(FENNEC_CAST_TO_F16)
layout(set = 0, binding = 0) readonly buffer InX { float x[]; };
layout(set = 0, binding = 1) writeonly buffer OutY { float16_t y[]; };
#define STORE(v) float16_t(v)
#elif defined(FENNEC_CAST_TO_F32)
layout(set = 0, binding = 0) readonly buffer InX { float16_t x[]; };
layout(set = 0, binding = 1) writeonly buffer OutY { float y[]; };
#define STORE(v) float(v)
#else
layout(set = 0, binding = 0) readonly buffer InX { act_t x[]; };
layout(set = 0, binding = 1) writeonly buffer OutY { act_t y[]; };
#define STORE(v) (v)
#endif

layout(push_constant) uniform Push {
  uint count;
} p;

void main() {
  uint i = fennec_linear_index();
  if (i >= p.count) return;
  y[i] = STORE(x[i]);
}
