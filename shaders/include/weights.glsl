// weights.glsl: decoding of quantized weight matrices in registers.
//
// The including shader defines FENNEC_W_BINDING (the weight buffer's binding
// in set 0) and is compiled with at most one of the format defines
//   FENNEC_W_F16, FENNEC_W_I8, FENNEC_W_I4, FENNEC_W_I4A, FENNEC_W_MXFP8,
//   FENNEC_W_I8G.
// With one, this file declares `readonly buffer InW { uint wq[]; }` and
// FENNEC_W_QUANTIZED; with none it declares nothing (the float32 variant
// declares its own float buffer). FENNEC_A_I8 (with FENNEC_W_I8) adds the
// integer helpers of the w8a8 kernels, and FENNEC_A_I8_DOT the packed
// integer dot product of their variants for devices with
// VK_KHR_shader_integer_dot_product.
// The bytes are one matrix W[rows, cols] (a row per output channel, cols
// along the reduction) in the layout of runtime/src/quant/weight_format.h:
// arrays back to back, each at a multiple of 16 bytes; all little-endian.
//   F16:   binary16 [rows, cols]
//   I8:    int8 [rows, cols]; float32 scale [rows]
//   I4:    nibbles [rows, padded_cols / 2] (low nibble = even column), signed;
//          binary16 scale [rows, groups]
//   I4A:   as I4 with unsigned nibbles; then uint8 zero point [rows, groups]
//   MXFP8: E4M3 bytes [rows, padded_cols]; UE8M0 scale bytes [rows, padded_cols / 32]
//   I8G:   int8 [rows, padded_cols]; binary16 scale [rows, groups]

#if defined(FENNEC_W_F16) || defined(FENNEC_W_I8) || defined(FENNEC_W_I4) || \
    defined(FENNEC_W_I4A) || defined(FENNEC_W_MXFP8) || defined(FENNEC_W_I8G)
#define FENNEC_W_QUANTIZED 1

layout(set = 0, binding = FENNEC_W_BINDING) readonly buffer InW { uint wq[]; };
// The same bytes as 16-byte words, for fennec_weight32.
layout(set = 0, binding = FENNEC_W_BINDING) readonly buffer InW4 { uvec4 wq4[]; };

struct FennecWeights {
  uint cols;         // unpadded columns
  uint padded_cols;  // columns including the zero padding of the last group
  uint groups;       // scale groups per row
  uint group;        // columns per scale group
  uint scales;       // byte offset of the scale array
  uint zero_points;  // byte offset of the zero-point array (I4A)
};

uint fennec_align16(uint v) { return (v + 15u) & ~15u; }

// `group` is the int4 / grouped int8 group size; other formats ignore it.
FennecWeights fennec_weights(uint rows, uint cols, uint group) {
  FennecWeights w;
  w.cols = cols;
#if defined(FENNEC_W_I4) || defined(FENNEC_W_I4A) || defined(FENNEC_W_I8G)
  w.group = group;
#elif defined(FENNEC_W_MXFP8)
  w.group = 32u;
#else
  w.group = cols;
#endif
  w.groups = (cols + w.group - 1u) / w.group;
  w.padded_cols = w.groups * w.group;
#if defined(FENNEC_W_I8)
  w.scales = fennec_align16(rows * cols);
#elif defined(FENNEC_W_I4) || defined(FENNEC_W_I4A)
  w.scales = fennec_align16(rows * (w.padded_cols / 2u));
#elif defined(FENNEC_W_MXFP8) || defined(FENNEC_W_I8G)
  w.scales = fennec_align16(rows * w.padded_cols);
#else
  w.scales = 0u;
#endif
  w.zero_points = fennec_align16(w.scales + rows * w.groups * 2u);
  return w;
}

uint fennec_wbyte(uint offset) { return (wq[offset >> 2] >> ((offset & 3u) << 3)) & 0xFFu; }
float fennec_whalf(uint offset) {
  return unpackHalf2x16((wq[offset >> 2] >> ((offset & 2u) << 3)) & 0xFFFFu).x;
}

// OCP FP8 E4M3 (E4M3FN): bias 7, subnormals, 0x7F / 0xFF NaN, no infinities.
float fennec_e4m3(uint b) {
  uint e = (b >> 3) & 15u;
  uint m = b & 7u;
  float mag = e == 0u ? float(m) * (1.0 / 512.0) : uintBitsToFloat(((e + 120u) << 23) | (m << 20));
  if (e == 15u && m == 7u) mag = uintBitsToFloat(0x7FC00000u);
  return (b & 0x80u) != 0u ? -mag : mag;
}

// UE8M0: 2^(code - 127); 0xFF is NaN.
float fennec_ue8m0(uint code) {
  return code == 255u ? uintBitsToFloat(0x7FC00000u) : ldexp(1.0, int(code) - 127);
}

#if defined(FENNEC_W_I8)
// The int8 code of W[row, col] (w8a8 kernels multiply codes in integers).
int fennec_weight_q(FennecWeights w, uint row, uint col) {
  uint at = row * w.cols + col;
  return bitfieldExtract(int(wq[at >> 2]), int((at & 3u) << 3), 8);
}
#endif

#if defined(FENNEC_A_I8_DOT)
// VK_KHR_shader_integer_dot_product: OpSDot (SPIR-V opcode 4450, capabilities
// DotProduct 6019 and DotProductInput4x8BitPacked 6018) on two 32-bit words
// of four packed int8 each (PackedVectorFormat4x8Bit = 0), summed in int32.
// The including shader enables GL_EXT_spirv_intrinsics.
spirv_instruction(extensions = ["SPV_KHR_integer_dot_product"], capabilities = [6019, 6018], id = 4450)
int fennec_sdot_packed(int a, int b, spirv_literal int format);
int fennec_dot4(int a, int b) { return fennec_sdot_packed(a, b, 0); }
int fennec_pack4(int a, int b, int c, int d) {
  return (a & 255) | ((b & 255) << 8) | ((c & 255) << 16) | (d << 24);
}
// W[row, col .. col + 3] as one packed word, codes past the row's end 0.
int fennec_weight_q4(FennecWeights w, uint row, uint col) {
  uint at = row * w.cols + col;
  if (col + 3u < w.cols && (at & 3u) == 0u) return int(wq[at >> 2]);
  return fennec_pack4(fennec_weight_q(w, row, col),
                      col + 1u < w.cols ? fennec_weight_q(w, row, col + 1u) : 0,
                      col + 2u < w.cols ? fennec_weight_q(w, row, col + 2u) : 0,
                      col + 3u < w.cols ? fennec_weight_q(w, row, col + 3u) : 0);
}
#endif

#if defined(FENNEC_A_I8)
// int8 activation code: clamp(round_half_away(x * inverse), -127, 127),
// `inverse` being the float32 reciprocal of the activation scale (the same
// arithmetic as quant::quantize_activation on the host).
int fennec_quantize_act(float x, float inverse) {
  float v = x * inverse;
  return int(clamp(trunc(v + (v < 0.0 ? -0.5 : 0.5)), -127.0, 127.0));
}
#endif

// Scale of the group holding (row, col).
float fennec_wscale(FennecWeights w, uint row, uint col) {
#if defined(FENNEC_W_I8)
  return uintBitsToFloat(wq[(w.scales >> 2) + row]);
#elif defined(FENNEC_W_I4) || defined(FENNEC_W_I4A) || defined(FENNEC_W_I8G)
  return fennec_whalf(w.scales + (row * w.groups + col / w.group) * 2u);
#elif defined(FENNEC_W_MXFP8)
  return fennec_ue8m0(fennec_wbyte(w.scales + row * w.groups + col / 32u));
#else
  return 1.0;
#endif
}

// The value of W[row, col], col < cols.
float fennec_weight(FennecWeights w, uint row, uint col) {
#if defined(FENNEC_W_F16)
  return fennec_whalf((row * w.cols + col) * 2u);
#elif defined(FENNEC_W_I8)
  uint at = row * w.cols + col;
  int q = bitfieldExtract(int(wq[at >> 2]), int((at & 3u) << 3), 8);
  return float(q) * fennec_wscale(w, row, col);
#elif defined(FENNEC_W_I4) || defined(FENNEC_W_I4A)
  uint at = row * (w.padded_cols / 2u) + col / 2u;
  int bit = int(((at & 3u) << 3) + ((col & 1u) << 2));
#if defined(FENNEC_W_I4)
  int q = bitfieldExtract(int(wq[at >> 2]), bit, 4);
#else
  uint g = row * w.groups + col / w.group;
  int q = int(bitfieldExtract(wq[at >> 2], bit, 4)) - int(fennec_wbyte(w.zero_points + g));
#endif
  return float(q) * fennec_wscale(w, row, col);
#elif defined(FENNEC_W_MXFP8)
  return fennec_e4m3(fennec_wbyte(row * w.padded_cols + col)) * fennec_wscale(w, row, col);
#elif defined(FENNEC_W_I8G)
  uint at = row * w.padded_cols + col;
  return float(bitfieldExtract(int(wq[at >> 2]), int((at & 3u) << 3), 8)) * fennec_wscale(w, row, col);
#else
#error "weights.glsl: define one weight format"
#endif
}

// W[row, col .. col + 7] into lo (first four) and hi, for col a multiple of 8
// whose eight columns share one scale group and lie inside the row (padding
// included). One or two word loads for I4 / MXFP8 / I8G rows (16-byte
// aligned by construction); element loads otherwise.
void fennec_weight8(FennecWeights w, uint row, uint col, out vec4 lo, out vec4 hi) {
#if defined(FENNEC_W_I4) || defined(FENNEC_W_I4A)
  uint word = wq[(row * (w.padded_cols / 2u) + col / 2u) >> 2];
  float s = fennec_wscale(w, row, col);
#if defined(FENNEC_W_I4)
  int iw = int(word);
  lo = vec4(bitfieldExtract(iw, 0, 4), bitfieldExtract(iw, 4, 4), bitfieldExtract(iw, 8, 4),
            bitfieldExtract(iw, 12, 4)) * s;
  hi = vec4(bitfieldExtract(iw, 16, 4), bitfieldExtract(iw, 20, 4), bitfieldExtract(iw, 24, 4),
            bitfieldExtract(iw, 28, 4)) * s;
#else
  float z = float(fennec_wbyte(w.zero_points + row * w.groups + col / w.group));
  lo = (vec4(word & 15u, (word >> 4) & 15u, (word >> 8) & 15u, (word >> 12) & 15u) - z) * s;
  hi = (vec4((word >> 16) & 15u, (word >> 20) & 15u, (word >> 24) & 15u, word >> 28) - z) * s;
#endif
#elif defined(FENNEC_W_MXFP8)
  uint at = (row * w.padded_cols + col) >> 2;
  uint a = wq[at], b = wq[at + 1u];
  float s = fennec_wscale(w, row, col);
  lo = vec4(fennec_e4m3(a & 255u), fennec_e4m3((a >> 8) & 255u), fennec_e4m3((a >> 16) & 255u),
            fennec_e4m3(a >> 24)) * s;
  hi = vec4(fennec_e4m3(b & 255u), fennec_e4m3((b >> 8) & 255u), fennec_e4m3((b >> 16) & 255u),
            fennec_e4m3(b >> 24)) * s;
#elif defined(FENNEC_W_I8G)
  uint at = (row * w.padded_cols + col) >> 2;
  int a = int(wq[at]), b = int(wq[at + 1u]);
  float s = fennec_wscale(w, row, col);
  lo = vec4(bitfieldExtract(a, 0, 8), bitfieldExtract(a, 8, 8), bitfieldExtract(a, 16, 8), bitfieldExtract(a, 24, 8)) * s;
  hi = vec4(bitfieldExtract(b, 0, 8), bitfieldExtract(b, 8, 8), bitfieldExtract(b, 16, 8), bitfieldExtract(b, 24, 8)) * s;
#else
  lo = vec4(fennec_weight(w, row, col), fennec_weight(w, row, col + 1u), fennec_weight(w, row, col + 2u),
            fennec_weight(w, row, col + 3u));
  hi = vec4(fennec_weight(w, row, col + 4u), fennec_weight(w, row, col + 5u), fennec_weight(w, row, col + 6u),
            fennec_weight(w, row, col + 7u));
#endif
}

// Four signed bytes of a word, as floats.
vec4 fennec_i8x4(uint word) {
  int iw = int(word);
  return vec4(bitfieldExtract(iw, 0, 8), bitfieldExtract(iw, 8, 8), bitfieldExtract(iw, 16, 8),
              bitfieldExtract(iw, 24, 8));
}

// W[row, col .. col + 31] into v[0..7] (four values each), for col a
// multiple of 32 whose 32 columns share one scale group, in a row whose
// values start at a multiple of 16 bytes (fennec_wide_rows). 16-byte loads.
void fennec_weight32(FennecWeights w, uint row, uint col, out vec4 v[8]) {
  float s = fennec_wscale(w, row, col);
#if defined(FENNEC_W_I4) || defined(FENNEC_W_I4A)
  uvec4 q = wq4[(row * (w.padded_cols / 2u) + col / 2u) >> 4];
#if defined(FENNEC_W_I4A)
  float z = float(fennec_wbyte(w.zero_points + row * w.groups + col / w.group));
#endif
  [[unroll]] for (int i = 0; i < 4; ++i) {
    uint word = q[i];
#if defined(FENNEC_W_I4)
    int iw = int(word);
    v[2 * i] = vec4(bitfieldExtract(iw, 0, 4), bitfieldExtract(iw, 4, 4), bitfieldExtract(iw, 8, 4),
                    bitfieldExtract(iw, 12, 4)) * s;
    v[2 * i + 1] = vec4(bitfieldExtract(iw, 16, 4), bitfieldExtract(iw, 20, 4), bitfieldExtract(iw, 24, 4),
                        bitfieldExtract(iw, 28, 4)) * s;
#else
    v[2 * i] = (vec4(word & 15u, (word >> 4) & 15u, (word >> 8) & 15u, (word >> 12) & 15u) - z) * s;
    v[2 * i + 1] = (vec4((word >> 16) & 15u, (word >> 20) & 15u, (word >> 24) & 15u, word >> 28) - z) * s;
#endif
  }
#elif defined(FENNEC_W_I8) || defined(FENNEC_W_I8G) || defined(FENNEC_W_MXFP8)
#if defined(FENNEC_W_I8)
  uint at = (row * w.cols + col) >> 4;
#else
  uint at = (row * w.padded_cols + col) >> 4;
#endif
  uvec4 q0 = wq4[at], q1 = wq4[at + 1u];
  [[unroll]] for (int i = 0; i < 4; ++i) {
#if defined(FENNEC_W_MXFP8)
    v[i] = vec4(fennec_e4m3(q0[i] & 255u), fennec_e4m3((q0[i] >> 8) & 255u), fennec_e4m3((q0[i] >> 16) & 255u),
                fennec_e4m3(q0[i] >> 24)) * s;
    v[4 + i] = vec4(fennec_e4m3(q1[i] & 255u), fennec_e4m3((q1[i] >> 8) & 255u), fennec_e4m3((q1[i] >> 16) & 255u),
                    fennec_e4m3(q1[i] >> 24)) * s;
#else
    v[i] = fennec_i8x4(q0[i]) * s;
    v[4 + i] = fennec_i8x4(q1[i]) * s;
#endif
  }
#elif defined(FENNEC_W_F16)
  uint at = (row * w.cols + col) >> 3;
  [[unroll]] for (uint i = 0u; i < 4u; ++i) {
    uvec4 q = wq4[at + i];
    v[2u * i] = vec4(unpackHalf2x16(q.x), unpackHalf2x16(q.y));
    v[2u * i + 1u] = vec4(unpackHalf2x16(q.z), unpackHalf2x16(q.w));
  }
#endif
}

#endif  // FENNEC_W_QUANTIZED
