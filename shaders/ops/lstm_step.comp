#version 450
// lstm_step: one time step of an LSTM (ONNX equations, default activations)
// for every (direction, batch, hidden unit) item. Item (d, b, j) computes
// its four gate pre-activations (i, o, f, c rows of W, R and B) over x_t and
// h_{t-1}, updates its cell state and writes h_t. The host records one
// dispatch per step with a barrier between steps. Direction d walks the
// sequence backwards when d == 1 or the REVERSE flag is set.
// The recurrent state lives in the outputs: h_{t-1} is read back from Y at
// the previous time index (or initial_h / zero at step 0) and c in Y_c,
// which each item reads and writes only at its own position.
// With FENNEC_LSTM_COMBINED, W holds R: W [dirs * 4H, w_cols], each row W's
// I values, zeros, then R's in its last H columns, float or (with a
// weights.glsl format define) quantized and decoded in registers; binding 2
// is then not read.
// Bindings (set 0): 0 = X, 1 = W [dirs, 4H, I], 2 = R [dirs, 4H, H],
//   3 = B [dirs, 8H], 4 = initial_h, 5 = initial_c, 6 = P [dirs, 3H],
//   7 = Y, 8 = Y_h, 9 = Y_c (all float[]; absent inputs are bound to a dummy
//   buffer and not read, see flags)
// Push constants (80 bytes):
//   LstmStepPush { uint step; uint seq; uint batch; uint input; uint hidden;
//                  uint dirs; uint flags; float clip; uint x_t; uint x_b;
//                  uint y_t; uint y_d; uint y_b; uint s_d; uint s_b; uint weight_group;
//                  uint w_cols; uint pad[3]; }
//   flags: 1 = bias, 2 = initial_h, 4 = initial_c, 8 = peepholes,
//          16 = input_forget, 32 = direction 0 is REVERSE
//   clip: 0 = none, else activation inputs are clamped to [-clip, clip]
//   strides (elements): X (t, b, k) at t*x_t + b*x_b + k; Y (t, d, b, j) at
//   t*y_t + d*y_d + b*y_b + j; states (d, b, j) at d*s_d + b*s_b + j
// Specialization constants: 0 = workgroup size (local_size_x), 1 = the same
// value as kFennecWorkgroupSize (index.glsl)
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "index.glsl"

layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) readonly buffer InX { float x[]; };
#if defined(FENNEC_LSTM_COMBINED)
#define FENNEC_W_BINDING 1
#include "weights.glsl"
#if !defined(FENNEC_W_QUANTIZED)
layout(set = 0, binding = 1) readonly buffer InW { float w[]; };
#endif
#else
layout(set = 0, binding = 1) readonly buffer InW { float w[]; };
layout(set = 0, binding = 2) readonly buffer InR { float r[]; };
#endif
layout(set = 0, binding = 3) readonly buffer InB { float bias[]; };
layout(set = 0, binding = 4) readonly buffer InH0 { float h0[]; };
layout(set = 0, binding = 5) readonly buffer InC0 { float c0[]; };
layout(set = 0, binding = 6) readonly buffer InP { float peep[]; };
layout(set = 0, binding = 7) buffer OutY { float y[]; };
layout(set = 0, binding = 8) writeonly buffer OutYh { float y_h[]; };
layout(set = 0, binding = 9) buffer OutYc { float y_c[]; };

layout(push_constant) uniform Push {
  uint step;
  uint seq;
  uint batch;
  uint input_size;
  uint hidden;
  uint dirs;
  uint flags;
  float clip;
  uint x_t;
  uint x_b;
  uint y_t;
  uint y_d;
  uint y_b;
  uint s_d;
  uint s_b;
  uint weight_group;  // int4 / grouped int8 group size (FENNEC_LSTM_COMBINED)
  uint w_cols;        // columns of W holding R (FENNEC_LSTM_COMBINED)
  uint pad0;
  uint pad1;
  uint pad2;
} p;

const uint kBias = 1u;
const uint kInitialH = 2u;
const uint kInitialC = 4u;
const uint kPeepholes = 8u;
const uint kInputForget = 16u;
const uint kReverse0 = 32u;

float clipped(float v) { return p.clip > 0.0 ? clamp(v, -p.clip, p.clip) : v; }
float sigmoid(float v) { return 1.0 / (1.0 + exp(-v)); }
// Drivers may evaluate tanh through exp(2v), which overflows to inf / inf
// for large v; at |v| = 15 tanh is 1 in fp32 already.
float safe_tanh(float v) { return tanh(clamp(v, -15.0, 15.0)); }

#if defined(FENNEC_LSTM_COMBINED)
// Column `col` of combined row `row`: W's for col < I, R's from w_cols - H.
float weight_at(uint row, uint col) {
#if defined(FENNEC_W_QUANTIZED)
  return fennec_weight(fennec_weights(p.dirs * 4u * p.hidden, p.w_cols, p.weight_group), row, col);
#else
  return w[row * p.w_cols + col];
#endif
}
#endif

void main() {
  uint i = fennec_linear_index();
  uint H = p.hidden;
  if (i >= p.dirs * p.batch * H) return;
  uint j = i % H;
  uint rest = i / H;
  uint b = rest % p.batch;
  uint d = rest / p.batch;
  bool reversed = d == 1u || (p.flags & kReverse0) != 0u;
  uint t = reversed ? p.seq - 1u - p.step : p.step;
  uint state = d * p.s_d + b * p.s_b;

  // h_{t-1}: initial_h (or zero) at the first step, else Y at the previous index.
  bool first = p.step == 0u;
  bool h_from_y = !first;
  bool h_from_h0 = first && (p.flags & kInitialH) != 0u;
  uint h_base = state;
  if (h_from_y) {
    uint t_prev = reversed ? t + 1u : t - 1u;
    h_base = t_prev * p.y_t + d * p.y_d + b * p.y_b;
  }

  float g[4];
  uint x_base = t * p.x_t + b * p.x_b;
  for (uint k = 0u; k < 4u; ++k) {
    uint row = d * 4u * H + k * H + j;
    float sum = 0.0;
    if ((p.flags & kBias) != 0u) sum = bias[d * 8u * H + k * H + j] + bias[d * 8u * H + 4u * H + k * H + j];
#if defined(FENNEC_LSTM_COMBINED)
    uint r_at = p.w_cols - H;
    for (uint e = 0u; e < p.input_size; ++e) sum += weight_at(row, e) * x[x_base + e];
    if (h_from_y) {
      for (uint e = 0u; e < H; ++e) sum += weight_at(row, r_at + e) * y[h_base + e];
    } else if (h_from_h0) {
      for (uint e = 0u; e < H; ++e) sum += weight_at(row, r_at + e) * h0[h_base + e];
    }
#else
    uint w_row = row * p.input_size;
    for (uint e = 0u; e < p.input_size; ++e) sum += w[w_row + e] * x[x_base + e];
    uint r_row = row * H;
    if (h_from_y) {
      for (uint e = 0u; e < H; ++e) sum += r[r_row + e] * y[h_base + e];
    } else if (h_from_h0) {
      for (uint e = 0u; e < H; ++e) sum += r[r_row + e] * h0[h_base + e];
    }
#endif
    g[k] = sum;
  }

  float c_prev = 0.0;
  if (!first) c_prev = y_c[state + j];
  else if ((p.flags & kInitialC) != 0u) c_prev = c0[state + j];
  bool peepholes = (p.flags & kPeepholes) != 0u;
  uint pb = d * 3u * H + j;
  float gi = sigmoid(clipped(g[0] + (peepholes ? peep[pb] * c_prev : 0.0)));
  float gf = (p.flags & kInputForget) != 0u
                 ? 1.0 - gi
                 : sigmoid(clipped(g[2] + (peepholes ? peep[pb + 2u * H] * c_prev : 0.0)));
  float gc = safe_tanh(clipped(g[3]));
  float c_new = gf * c_prev + gi * gc;
  float go = sigmoid(clipped(g[1] + (peepholes ? peep[pb + H] * c_new : 0.0)));
  float h_new = go * safe_tanh(clipped(c_new));

  y[t * p.y_t + d * p.y_d + b * p.y_b + j] = h_new;
  y_c[state + j] = c_new;
  if (p.step + 1u == p.seq) y_h[state + j] = h_new;
}
