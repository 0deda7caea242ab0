#include <algorithm>
#include <limits>

#include "ops/lstm.h"
#include "vulkan/ops/kernels.h"
#include "vulkan/ops/weight_variants.h"

namespace fennec::vulkan {
namespace {

struct LstmStepPush {
  uint32_t step;
  uint32_t seq;
  uint32_t batch;
  uint32_t input;
  uint32_t hidden;
  uint32_t dirs;
  uint32_t flags;
  float clip;
  uint32_t x_t;
  uint32_t x_b;
  uint32_t y_t;
  uint32_t y_d;
  uint32_t y_b;
  uint32_t s_d;
  uint32_t s_b;
  uint32_t weight_group;
  uint32_t w_cols;
  uint32_t pad[3];
};
static_assert(sizeof(LstmStepPush) == 80, "must match the push block of lstm_step.comp");

// W holding R (ops::combined_weights), per weight format; LSTM activations
// stay float, so INT8 weights take the int8 variant under w8a8 too.
constexpr WeightVariants kCombined{ShaderId::lstm_step_wr,     ShaderId::lstm_step_wr_f16,
                                   ShaderId::lstm_step_wr_i8,  ShaderId::lstm_step_wr_i4,
                                   ShaderId::lstm_step_wr_i4a, ShaderId::lstm_step_wr_mxfp8,
                                   ShaderId::lstm_step_wr_i8,  ShaderId::lstm_step_wr_i8,
                                   ShaderId::lstm_step_wr_i8g};

constexpr uint32_t kBias = 1, kInitialH = 2, kInitialC = 4, kPeepholes = 8, kInputForget = 16,
                   kReverse0 = 32;

bool has(std::span<const TensorBinding> inputs, size_t slot) {
  return slot < inputs.size() && inputs[slot].slice.valid();
}

BufferSlice slice_or_dummy(std::span<const TensorBinding> inputs, size_t slot) {
  return has(inputs, slot) ? inputs[slot].slice : BufferSlice{};
}

}  // namespace

// The recurrence is sequential, so each time step is its own dispatch (the
// sequence length is fixed when a plan is recorded); both directions of a
// bidirectional LSTM advance in the same dispatch. The state needs no
// scratch buffer: h_{t-1} is read from Y, c is updated in place in Y_c, and
// the session allocates every declared output even when nothing reads it.
Status record_lstm(const ops::Op& op, Recorder& recorder, std::span<const TensorBinding> inputs,
                   std::span<const TensorBinding> outputs) {
  const auto& lstm = static_cast<const ops::LstmOp&>(op);
  const ops::LstmParams& params = lstm.params();
  const ops::LstmGeometry g = lstm.geometry(inputs[ops::kLstmX].shape);
  if (has(inputs, ops::kLstmSequenceLens))
    return make_error(StatusCode::kInvalidModel,
                      "LSTM: sequence_lens must be absent; re-convert the model");
  if (outputs.size() != 3 || !outputs[0].slice.valid() || !outputs[1].slice.valid() ||
      !outputs[2].slice.valid())
    return make_error(StatusCode::kInternal, "LSTM: the kernel needs all three outputs bound");
  if (g.batch == 0) return ok_status();
  if (g.seq == 0)
    return make_error(StatusCode::kUnsupported,
                      "LSTM: the sequence is empty; give at least one time step");
  const int64_t largest = std::max({element_count(inputs[ops::kLstmX].shape),
                                    element_count(inputs[ops::kLstmW].shape),
                                    element_count(inputs[ops::kLstmR].shape),
                                    element_count(outputs[0].shape)});
  if (largest > std::numeric_limits<int32_t>::max())
    return make_error(StatusCode::kUnsupported,
                      "LSTM: X {} or Y {} is too large for 32-bit indexing; split the sequence",
                      shape_to_string(inputs[ops::kLstmX].shape), shape_to_string(outputs[0].shape));

  LstmStepPush push{};
  push.seq = static_cast<uint32_t>(g.seq);
  push.batch = static_cast<uint32_t>(g.batch);
  push.input = static_cast<uint32_t>(g.input);
  push.hidden = static_cast<uint32_t>(g.hidden);
  push.dirs = static_cast<uint32_t>(g.dirs);
  push.clip = params.clip;
  push.flags = (has(inputs, ops::kLstmB) ? kBias : 0) |
               (has(inputs, ops::kLstmInitialH) ? kInitialH : 0) |
               (has(inputs, ops::kLstmInitialC) ? kInitialC : 0) |
               (has(inputs, ops::kLstmP) ? kPeepholes : 0) | (params.input_forget ? kInputForget : 0) |
               (params.direction == schema::LstmDirection::REVERSE ? kReverse0 : 0);
  push.x_t = static_cast<uint32_t>(g.x_t);
  push.x_b = static_cast<uint32_t>(g.x_b);
  push.y_t = static_cast<uint32_t>(g.y_t);
  push.y_d = static_cast<uint32_t>(g.y_d);
  push.y_b = static_cast<uint32_t>(g.y_b);
  push.s_d = static_cast<uint32_t>(g.s_d);
  push.s_b = static_cast<uint32_t>(g.s_b);
  const bool combined = !has(inputs, ops::kLstmR);
  const quant::WeightQuant& wq = inputs[ops::kLstmW].quant;
  if (!combined && wq.quantized())
    return make_error(StatusCode::kInternal, "LSTM: a quantized W must hold R; re-convert the model");
  const ShaderId shader = combined ? kCombined.pick(wq, false) : ShaderId::lstm_step;
  push.weight_group = static_cast<uint32_t>(wq.group_size);
  if (combined) push.w_cols = static_cast<uint32_t>(inputs[ops::kLstmW].shape[1]);
  const auto items = static_cast<uint64_t>(g.dirs * g.batch * g.hidden);
  for (int64_t step = 0; step < g.seq; ++step) {
    push.step = static_cast<uint32_t>(step);
    FENNEC_RETURN_IF_ERROR(recorder.dispatch(
        shader,
        {inputs[ops::kLstmX].slice, inputs[ops::kLstmW].slice, slice_or_dummy(inputs, ops::kLstmR),
         slice_or_dummy(inputs, ops::kLstmB), slice_or_dummy(inputs, ops::kLstmInitialH),
         slice_or_dummy(inputs, ops::kLstmInitialC), slice_or_dummy(inputs, ops::kLstmP),
         outputs[0].slice, outputs[1].slice, outputs[2].slice},
        push, items));
  }
  return ok_status();
}

}  // namespace fennec::vulkan
