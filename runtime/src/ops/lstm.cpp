#include "ops/lstm.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace fennec::ops {
namespace {

// Known dims must agree; an unknown one agrees with anything.
bool dims_agree(int64_t a, int64_t b) { return a == kUnknownDim || b == kUnknownDim || a == b; }

// The known one of two agreeing dims.
int64_t merge_dims(int64_t a, int64_t b) { return a != kUnknownDim ? a : b; }

bool present(std::span<const Shape> inputs, size_t slot) {
  return slot < inputs.size() && !inputs[slot].empty();
}

Status check_shape(const char* what, const Shape& actual, const Shape& expected) {
  bool ok = actual.size() == expected.size();
  for (size_t d = 0; ok && d < actual.size(); ++d) ok = dims_agree(actual[d], expected[d]);
  if (!ok)
    return make_error(StatusCode::kInvalidModel, "LSTM: {} has shape {}, expected {}", what,
                      shape_to_string(actual), shape_to_string(expected));
  return ok_status();
}

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

}  // namespace

bool combined_weights(std::span<const Shape> inputs) {
  return inputs.size() > kLstmR && inputs[kLstmR].empty() && inputs[kLstmW].size() == 2;
}

Status LstmOp::infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const {
  if (inputs.size() < 3 || inputs.size() > 8)
    return make_error(StatusCode::kInvalidModel,
                      "LSTM takes 3 to 8 inputs (X, W, R, B, sequence_lens, initial_h, "
                      "initial_c, P), got {}",
                      inputs.size());
  if (present(inputs, kLstmSequenceLens))
    return make_error(StatusCode::kInvalidModel,
                      "LSTM: the sequence_lens input must be absent; the converter checks that "
                      "every length equals the sequence length and drops it");
  const int64_t hidden = params_.hidden_size;
  const int64_t dirs = params_.directions();
  const Shape& x = inputs[kLstmX];
  if (x.size() != 3)
    return make_error(StatusCode::kInvalidModel, "LSTM: X must have rank 3, got {}",
                      shape_to_string(x));
  const bool batch_first = params_.layout == 1;
  const int64_t seq = batch_first ? x[1] : x[0];
  int64_t batch = batch_first ? x[0] : x[1];
  int64_t input = x[2];
  const Shape& w = inputs[kLstmW];
  if (combined_weights(inputs)) {
    // W, zeros and R side by side: [dirs * 4 * hidden, >= input + hidden].
    FENNEC_RETURN_IF_ERROR(check_shape("W (with R)", w, {dirs * 4 * hidden, kUnknownDim}));
    if (input != kUnknownDim && w[1] != kUnknownDim && w[1] < input + hidden)
      return make_error(StatusCode::kInvalidModel, "LSTM: W (with R) has {} columns, fewer than input {} + hidden {}",
                        w[1], input, hidden);
  } else {
    FENNEC_RETURN_IF_ERROR(check_shape("W", w, {dirs, 4 * hidden, input}));
    input = merge_dims(input, w[2]);
    FENNEC_RETURN_IF_ERROR(check_shape("R", inputs[kLstmR], {dirs, 4 * hidden, hidden}));
  }
  if (present(inputs, kLstmB))
    FENNEC_RETURN_IF_ERROR(check_shape("B", inputs[kLstmB], {dirs, 8 * hidden}));
  if (present(inputs, kLstmP))
    FENNEC_RETURN_IF_ERROR(check_shape("P", inputs[kLstmP], {dirs, 3 * hidden}));
  for (size_t slot : {kLstmInitialH, kLstmInitialC}) {
    if (!present(inputs, slot)) continue;
    const Shape& s = inputs[slot];
    const char* what = slot == kLstmInitialH ? "initial_h" : "initial_c";
    FENNEC_RETURN_IF_ERROR(check_shape(what, s, batch_first ? Shape{batch, dirs, hidden}
                                                            : Shape{dirs, batch, hidden}));
    batch = merge_dims(batch, batch_first ? s[0] : s[1]);
  }
  if (batch_first)
    outputs = {{batch, seq, dirs, hidden}, {batch, dirs, hidden}, {batch, dirs, hidden}};
  else
    outputs = {{seq, dirs, batch, hidden}, {dirs, batch, hidden}, {dirs, batch, hidden}};
  return ok_status();
}

LstmGeometry LstmOp::geometry(const Shape& x) const {
  LstmGeometry g;
  const bool batch_first = params_.layout == 1;
  g.seq = batch_first ? x[1] : x[0];
  g.batch = batch_first ? x[0] : x[1];
  g.input = x[2];
  g.hidden = params_.hidden_size;
  g.dirs = params_.directions();
  if (batch_first) {
    g.x_t = g.input;
    g.x_b = g.seq * g.input;
    g.y_d = g.hidden;
    g.y_t = g.dirs * g.hidden;
    g.y_b = g.seq * g.y_t;
    g.s_d = g.hidden;
    g.s_b = g.dirs * g.hidden;
  } else {
    g.x_b = g.input;
    g.x_t = g.batch * g.input;
    g.y_b = g.hidden;
    g.y_d = g.batch * g.hidden;
    g.y_t = g.dirs * g.y_d;
    g.s_b = g.hidden;
    g.s_d = g.batch * g.hidden;
  }
  return g;
}

Status LstmOp::reference(std::span<const HostTensor* const> inputs,
                         std::span<HostTensor> outputs) const {
  FENNEC_RETURN_IF_ERROR(require_float32(*this, inputs));
  auto input_at = [&](size_t slot) -> const float* {
    return slot < inputs.size() && inputs[slot] ? inputs[slot]->as<float>().data() : nullptr;
  };
  const LstmGeometry g = geometry(inputs[kLstmX]->shape);
  const float* x = input_at(kLstmX);
  const bool combined = !input_at(kLstmR);
  const int64_t cols = combined ? inputs[kLstmW]->shape[1] : 0;  // R in the last hidden columns
  const float* w_all = input_at(kLstmW);
  const float* r_all = combined ? w_all + (cols - g.hidden) : input_at(kLstmR);
  const float* b_all = input_at(kLstmB);
  const float* h0 = input_at(kLstmInitialH);
  const float* c0 = input_at(kLstmInitialC);
  const float* p_all = input_at(kLstmP);
  float* y = outputs[0].as<float>().data();
  float* y_h = outputs[1].as<float>().data();
  float* y_c = outputs[2].as<float>().data();

  const int64_t H = g.hidden, I = g.input;
  const float clip = params_.clip;
  // ONNX clips the input of every activation, the cell state's included;
  // the stored cell state itself stays unclipped.
  auto clipped = [clip](float v) { return clip > 0.0f ? std::clamp(v, -clip, clip) : v; };
  std::vector<float> h(static_cast<size_t>(H)), c(static_cast<size_t>(H));
  std::vector<float> h_next(static_cast<size_t>(H));
  // Row strides: W and R rows side by side when combined.
  const int64_t w_row = combined ? cols : I, r_row = combined ? cols : H;
  for (int64_t d = 0; d < g.dirs; ++d) {
    const float* w = w_all + d * 4 * H * w_row;
    const float* r = r_all + d * 4 * H * r_row;
    const float* bias = b_all ? b_all + d * 8 * H : nullptr;
    const float* p = p_all ? p_all + d * 3 * H : nullptr;
    const bool reversed = params_.reversed(static_cast<int>(d));
    for (int64_t b = 0; b < g.batch; ++b) {
      const int64_t state = d * g.s_d + b * g.s_b;
      for (int64_t j = 0; j < H; ++j) {
        h[static_cast<size_t>(j)] = h0 ? h0[state + j] : 0.0f;
        c[static_cast<size_t>(j)] = c0 ? c0[state + j] : 0.0f;
      }
      for (int64_t step = 0; step < g.seq; ++step) {
        const int64_t t = reversed ? g.seq - 1 - step : step;
        const float* xt = x + t * g.x_t + b * g.x_b;
        for (int64_t j = 0; j < H; ++j) {
          float gate[4];  // i, o, f, c
          for (int64_t k = 0; k < 4; ++k) {
            const int64_t row = k * H + j;
            double sum = bias ? static_cast<double>(bias[row]) + bias[4 * H + row] : 0.0;
            for (int64_t e = 0; e < I; ++e)
              sum += static_cast<double>(w[row * w_row + e]) * xt[e];
            for (int64_t e = 0; e < H; ++e)
              sum += static_cast<double>(r[row * r_row + e]) * h[static_cast<size_t>(e)];
            gate[k] = static_cast<float>(sum);
          }
          const float c_prev = c[static_cast<size_t>(j)];
          const float in = sigmoid(clipped(gate[0] + (p ? p[j] * c_prev : 0.0f)));
          const float forget = params_.input_forget
                                   ? 1.0f - in
                                   : sigmoid(clipped(gate[2] + (p ? p[2 * H + j] * c_prev : 0.0f)));
          const float cell = std::tanh(clipped(gate[3]));
          const float c_new = forget * c_prev + in * cell;
          const float out = sigmoid(clipped(gate[1] + (p ? p[H + j] * c_new : 0.0f)));
          c[static_cast<size_t>(j)] = c_new;
          h_next[static_cast<size_t>(j)] = out * std::tanh(clipped(c_new));
        }
        std::copy(h_next.begin(), h_next.end(), h.begin());
        std::copy(h.begin(), h.end(), y + t * g.y_t + d * g.y_d + b * g.y_b);
      }
      std::copy(h.begin(), h.end(), y_h + state);
      std::copy(c.begin(), c.end(), y_c + state);
    }
  }
  return ok_status();
}

OptionsOffset LstmOp::write_options(flatbuffers::FlatBufferBuilder& fbb) const {
  return {schema::OpOptions::LstmOptions,
          schema::CreateLstmOptions(fbb, params_.hidden_size, params_.direction, params_.clip,
                                    params_.layout, params_.input_forget)
              .Union()};
}

std::string LstmOp::describe() const {
  std::string text = fmt::format("hidden={} direction={}", params_.hidden_size,
                                 schema::EnumNameLstmDirection(params_.direction));
  if (params_.clip > 0.0f) text += fmt::format(" clip={}", params_.clip);
  if (params_.layout == 1) text += " layout=batch_first";
  if (params_.input_forget) text += " input_forget";
  return text;
}

Result<std::unique_ptr<Op>> make_lstm(const schema::Operator& op) {
  const auto* o = op.options_as_LstmOptions();
  if (!o)
    return make_error(StatusCode::kInvalidModel, "LSTM operator without LstmOptions; re-convert the model");
  LstmParams p;
  p.hidden_size = o->hidden_size();
  p.direction = o->direction();
  p.clip = o->clip();
  p.layout = o->layout();
  p.input_forget = o->input_forget();
  if (p.hidden_size <= 0)
    return make_error(StatusCode::kInvalidModel, "LSTM: hidden_size {} must be positive",
                      p.hidden_size);
  if (p.direction > schema::LstmDirection::MAX)
    return make_error(StatusCode::kInvalidModel, "LSTM: unknown direction {}; upgrade Fennec",
                      static_cast<int>(p.direction));
  if (p.layout != 0 && p.layout != 1)
    return make_error(StatusCode::kInvalidModel, "LSTM: layout {} must be 0 or 1", p.layout);
  if (!(p.clip >= 0.0f))
    return make_error(StatusCode::kInvalidModel, "LSTM: clip {} must be >= 0 (0 = none)", p.clip);
  return std::unique_ptr<Op>(std::make_unique<LstmOp>(p));
}

}  // namespace fennec::ops
