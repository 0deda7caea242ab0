// LSTM: one LSTM layer with ONNX semantics (gate order i, o, f, c; default
// activations sigmoid / tanh / tanh), forward, reverse or bidirectional, with
// optional bias, initial state, peepholes, cell clip, coupled input-forget
// gate and either ONNX layout. See LstmOptions in fennec.fbs for the inputs
// and outputs; all three outputs always exist (unused ones are simply not
// read), which lets the Vulkan kernel keep its recurrent state in Y, Y_h and
// Y_c.
#pragma once

#include "ops/op.h"

namespace fennec::ops {

struct LstmParams {
  int hidden_size = 0;
  schema::LstmDirection direction = schema::LstmDirection::FORWARD;
  float clip = 0.0f;  // 0 = no clipping
  int layout = 0;     // 0: [seq, batch, ...]; 1: [batch, seq, ...]
  bool input_forget = false;

  int directions() const { return direction == schema::LstmDirection::BIDIRECTIONAL ? 2 : 1; }
  // Whether direction `d` (0 or 1) walks the sequence from its end.
  bool reversed(int d) const { return d == 1 || direction == schema::LstmDirection::REVERSE; }
};

// Sizes and element strides of one LSTM's tensors for a bound X shape, in
// either layout. Element (t, b, k) of X is at t * x_t + b * x_b + k; element
// (t, d, b, j) of Y at t * y_t + d * y_d + b * y_b + j; element (d, b, j) of
// initial_h, initial_c, Y_h and Y_c at d * s_d + b * s_b + j.
struct LstmGeometry {
  int64_t seq = 0, batch = 0, input = 0, hidden = 0, dirs = 1;
  int64_t x_t = 0, x_b = 0;
  int64_t y_t = 0, y_d = 0, y_b = 0;
  int64_t s_d = 0, s_b = 0;
};

// Input slots (ONNX order).
enum LstmInput : size_t {
  kLstmX = 0,
  kLstmW = 1,
  kLstmR = 2,
  kLstmB = 3,
  kLstmSequenceLens = 4,
  kLstmInitialH = 5,
  kLstmInitialC = 6,
  kLstmP = 7,
};

// Whether W holds R too: R absent and W [dirs * 4 * hidden, C] with
// C >= input + hidden, each row W's, zeros, then R's in its last hidden
// columns (the converter's form for quantized weights: one matrix that one
// kernel binding decodes, R starting at a scale-group boundary).
bool combined_weights(std::span<const Shape> inputs);

class LstmOp final : public Op {
 public:
  explicit LstmOp(LstmParams params) : params_(params) {}

  OpType type() const override { return OpType::LSTM; }
  // inputs: 3 to 8 in ONNX order (missing trailing ones are absent);
  // sequence_lens must be absent; R may be absent when W holds it
  // (combined_weights). outputs: Y, Y_h, Y_c.
  Status infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const override;
  Status reference(std::span<const HostTensor* const> inputs,
                   std::span<HostTensor> outputs) const override;
  OptionsOffset write_options(flatbuffers::FlatBufferBuilder& fbb) const override;
  std::string describe() const override;

  const LstmParams& params() const { return params_; }
  // The geometry for a static X shape (as checked by infer_shapes).
  LstmGeometry geometry(const Shape& x) const;

 private:
  LstmParams params_;
};

Result<std::unique_ptr<Op>> make_lstm(const schema::Operator& op);

}  // namespace fennec::ops
