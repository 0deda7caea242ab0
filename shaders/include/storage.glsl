// storage.glsl: the element type of activation buffers.
//
// A shader includes this first (right after its #extension lines) and
// declares every activation binding (the tensors that flow between ops) with
// `act_t` (vectors `act4_t`), every parameter binding (biases, norm
// statistics, float weights) with `float`. Reads convert implicitly to
// float; every store into an activation buffer goes through ACT(v).
//
// Built with FENNEC_ACT_F16 (the `_a16` variants of the manifest), act_t is
// binary16: tensors take half the memory and bandwidth, while all arithmetic
// and accumulation stay float32 (loads widen, stores round to nearest). The
// SPIR-V needs only the StorageBuffer16BitAccess capability (16-bit storage),
// not shaderFloat16.
#ifndef FENNEC_STORAGE_GLSL
#define FENNEC_STORAGE_GLSL

#ifdef FENNEC_ACT_F16
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#define act_t float16_t
#define act4_t f16vec4
#define ACT(v) float16_t(v)
#define ACT4(v) f16vec4(v)
#else
#define act_t float
#define act4_t vec4
#define ACT(v) (v)
#define ACT4(v) (v)
#endif

#endif
