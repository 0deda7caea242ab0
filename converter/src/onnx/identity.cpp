// Identity, Cast to FLOAT and inference-mode Dropout: the output is the input tensor itself,
// so no node is added; the ONNX output name is bound to the input.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "onnx/op_importers.h"

namespace fennec::onnx_import {

void import_identity(ImportContext& ctx) { ctx.bind(ctx.node().output(0), ctx.input(0)); }

// Cast of a computed (fp32) tensor: only to FLOAT, where it is the identity.
// Casts of integer and constant values are evaluated on the host earlier.
void import_cast(ImportContext& ctx) {
  const int64_t to = ctx.attr_int("to", 0);
  if (to != 1) ctx.unsupported_attribute("to", std::to_string(to) + " (computed tensors are FLOAT)");
  ctx.bind(ctx.node().output(0), ctx.float_input(0));
}

void import_dropout(ImportContext& ctx) {
  const int data = ctx.float_input(0);
  // Opset 12 moved training_mode to input 2; when true, dropout is active.
  if (ctx.opset() >= 12 && ctx.has_input(2)) {
    const int training = ctx.input(2);
    if (!ctx.tensor(training).is_constant())
      ctx.fail("Dropout training_mode input '" + ctx.node().input(2) +
               "' is not a constant; only inference (training_mode = false) is supported");
    const HostTensor value = ctx.graph().constant_value(training);
    if (std::any_of(value.bytes.begin(), value.bytes.end(), [](std::byte b) { return b != std::byte{0}; }))
    {
      // Training with ratio 0 drops nothing; any other ratio is random.
      std::optional<std::vector<float>> ratio;
      if (ctx.has_input(1)) ratio = ctx.constant_floats(1);
      if (!ratio || ratio->size() != 1 || (*ratio)[0] != 0.0f)
        ctx.unsupported_attribute("training_mode", "true (random dropout; only ratio 0 is supported)");
    }
  }
  ctx.bind(ctx.node().output(0), data);
  if (ctx.node().output_size() < 2 || ctx.node().output(1).empty()) return;
  // In inference the mask keeps every element.
  const Shape shape = ctx.tensor(data).shape;
  if (!is_static(shape))
    ctx.fail("Dropout mask output of input " + shape_to_string(shape) +
             " with unknown dims is not supported");
  HostTensor mask(DataType::BOOL, shape);
  std::fill(mask.bytes.begin(), mask.bytes.end(), std::byte{1});
  ctx.add_constant_output(1, mask);
}

}  // namespace fennec::onnx_import
