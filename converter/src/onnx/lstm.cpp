// LSTM (opsets 7 and 14) with its default activations. sequence_lens is
// accepted only when it is known at conversion and every entry equals the
// sequence length (then it changes nothing and is dropped); variable-length
// batches are not supported. Absent outputs still become graph tensors (the
// runtime op always has Y, Y_h and Y_c).
#include <string>

#include "ops/lstm.h"
#include "onnx/op_importers.h"

namespace fennec::onnx_import {
namespace {

std::string join(const std::vector<std::string>& values) {
  std::string text = "[";
  for (size_t i = 0; i < values.size(); ++i) text += (i ? "," : "") + values[i];
  return text + "]";
}

void check_activations(ImportContext& ctx, int directions) {
  if (const auto* a = ctx.attribute("activations")) {
    std::vector<std::string> names(a->strings().begin(), a->strings().end());
    bool defaults = names.size() == static_cast<size_t>(3 * directions);
    for (size_t i = 0; defaults && i < names.size(); ++i)
      defaults = names[i] == (i % 3 == 0 ? "Sigmoid" : "Tanh");
    if (!defaults) ctx.unsupported_attribute("activations", join(names));
  }
  // Alpha and beta only parameterize non-default activations.
  for (const char* name : {"activation_alpha", "activation_beta"}) {
    const std::vector<float> values = ctx.attr_floats(name, {});
    if (!values.empty()) {
      std::string text;
      for (float v : values) text += (text.empty() ? "" : ",") + std::to_string(v);
      ctx.unsupported_attribute(name, "[" + text + "]");
    }
  }
}

// Fails unless sequence_lens (input 4) is known and equals the sequence
// length of X under every probe of the input sizes.
void check_sequence_lens(ImportContext& ctx, int x, int layout) {
  const auto lens = ctx.known_input(4);
  if (!lens)
    ctx.fail("sequence_lens input '" + ctx.node().input(4) +
             "' is computed at run time; only sequence_lens known at conversion, with every "
             "length equal to the sequence length, is supported");
  for (int probe = 0; probe < kProbes; ++probe) {
    const int64_t seq = ctx.probe_shape(x, probe)[layout == 1 ? 1 : 0];
    const HostValue& value = (*lens)[static_cast<size_t>(probe)];
    for (size_t i = 0; i < static_cast<size_t>(value.count()); ++i)
      if (value.as_int(i) != seq)
        ctx.fail("sequence_lens entry " + std::to_string(value.as_int(i)) +
                 " differs from the sequence length " + std::to_string(seq) +
                 "; variable-length sequences are not supported");
  }
}

}  // namespace

void import_lstm(ImportContext& ctx) {
  ops::LstmParams p;
  const int64_t hidden = ctx.attr_int("hidden_size", 0);
  if (hidden <= 0 || hidden > (int64_t{1} << 24))
    ctx.unsupported_attribute("hidden_size", std::to_string(hidden));
  p.hidden_size = static_cast<int>(hidden);
  const std::string direction = ctx.attr_string("direction", "forward");
  if (direction == "forward") p.direction = schema::LstmDirection::FORWARD;
  else if (direction == "reverse") p.direction = schema::LstmDirection::REVERSE;
  else if (direction == "bidirectional") p.direction = schema::LstmDirection::BIDIRECTIONAL;
  else ctx.unsupported_attribute("direction", direction);
  if (const auto* clip = ctx.attribute("clip")) {
    if (!(clip->f() > 0.0f)) ctx.unsupported_attribute("clip", std::to_string(clip->f()));
    p.clip = clip->f();
  }
  const int64_t input_forget = ctx.attr_int("input_forget", 0);
  if (input_forget != 0 && input_forget != 1)
    ctx.unsupported_attribute("input_forget", std::to_string(input_forget));
  p.input_forget = input_forget == 1;
  const int64_t layout = ctx.attr_int("layout", 0);
  if (layout != 0 && layout != 1) ctx.unsupported_attribute("layout", std::to_string(layout));
  p.layout = static_cast<int>(layout);
  check_activations(ctx, p.directions());

  const int x = ctx.float_input(0);
  std::vector<int> inputs = {x, ctx.float_input(1), ctx.float_input(2)};
  for (int slot = 3; slot < 8; ++slot) {
    if (slot == ops::kLstmSequenceLens) {
      if (ctx.has_input(slot)) check_sequence_lens(ctx, x, p.layout);
      inputs.push_back(-1);
      continue;
    }
    const int index = ctx.has_input(slot) ? ctx.float_input(slot) : -1;
    inputs.push_back(index);
  }
  ctx.add_node(std::make_unique<ops::LstmOp>(p), std::move(inputs));
}

}  // namespace fennec::onnx_import
