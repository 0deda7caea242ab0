// Pad: pads and value as attributes before opset 11 ("paddings" before opset
// 2), as inputs from 11 on; opset 18 adds an axes input selecting which axes
// the pads apply to.
#include <string>

#include "ops/pad.h"
#include "onnx/op_importers.h"

namespace fennec::onnx_import {
namespace {

std::vector<int64_t> constant_input(ImportContext& ctx, int i, const char* what) {
  auto values = ctx.constant_ints(i);
  if (!values)
    ctx.fail(std::string("Pad ") + what + " input '" + ctx.node().input(i) +
             "' is not a constant; only constant pads are supported");
  return *values;
}

}  // namespace

void import_pad(ImportContext& ctx) {
  const int data = ctx.float_input(0);
  const auto rank = static_cast<int64_t>(ctx.tensor(data).shape.size());
  const std::string mode_name = ctx.attr_string("mode", "constant");
  ops::PadMode mode = ops::PadMode::CONSTANT;
  if (mode_name == "reflect") mode = ops::PadMode::REFLECT;
  else if (mode_name == "edge") mode = ops::PadMode::EDGE;
  else if (mode_name != "constant") ctx.unsupported_attribute("mode", mode_name);

  std::vector<int64_t> pads;
  float value = 0.0f;
  if (ctx.opset() < 11) {
    pads = ctx.attr_ints(ctx.opset() < 2 ? "paddings" : "pads", {});
    value = ctx.attr_float("value", 0.0f);
  } else {
    if (!ctx.has_input(1)) ctx.fail("Pad without a pads input");
    pads = constant_input(ctx, 1, "pads");
    if (ctx.has_input(2)) {
      auto v = ctx.constant_floats(2);
      if (!v)
        ctx.fail("Pad constant_value input '" + ctx.node().input(2) +
                 "' is not a constant; only a constant fill value is supported");
      if (v->size() != 1) ctx.fail("Pad constant_value is not a single value");
      value = (*v)[0];
    }
  }
  if (ctx.has_input(3)) {
    // Pads of the listed axes only: begins then ends. Spread them over all
    // axes, zero elsewhere.
    const std::vector<int64_t> axes = constant_input(ctx, 3, "axes");
    if (pads.size() != 2 * axes.size())
      ctx.fail("pads " + ints_to_string(pads) + " do not match axes " + ints_to_string(axes));
    std::vector<int64_t> full(static_cast<size_t>(2 * rank), 0);
    for (size_t i = 0; i < axes.size(); ++i) {
      int64_t a = axes[i];
      if (a < -rank || a >= rank) ctx.fail("axes " + ints_to_string(axes) + " are out of range");
      if (a < 0) a += rank;
      full[static_cast<size_t>(a)] = pads[i];
      full[static_cast<size_t>(a + rank)] = pads[i + axes.size()];
    }
    pads = std::move(full);
  }
  if (static_cast<int64_t>(pads.size()) != 2 * rank)
    ctx.fail("pads " + ints_to_string(pads) + " need " + std::to_string(2 * rank) +
             " entries for an input of rank " + std::to_string(rank));
  ctx.add_node(std::make_unique<ops::PadOp>(mode, std::move(pads), value), {data});
}

}  // namespace fennec::onnx_import
