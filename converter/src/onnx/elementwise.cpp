// Add, Sub, Mul, Div with numpy broadcasting.
#include "ops/binary.h"
#include "onnx/op_importers.h"

namespace fennec::onnx_import {
namespace {

void import_binary(ImportContext& ctx, OpType type) {
  // Opsets before 7 broadcast only with broadcast=1; an explicit axis aligns
  // the second operand somewhere other than the trailing axes, which numpy
  // broadcasting cannot express.
  if (ctx.opset() < 7 && ctx.attr_int("broadcast", 0) != 0 && ctx.attribute("axis"))
    ctx.unsupported_attribute("axis", std::to_string(ctx.attr_int("axis", 0)));
  ctx.add_node(std::make_unique<ops::BinaryOp>(type), {ctx.input(0), ctx.input(1)});
}

}  // namespace

void import_add(ImportContext& ctx) { import_binary(ctx, OpType::ADD); }
void import_sub(ImportContext& ctx) { import_binary(ctx, OpType::SUB); }
void import_mul(ImportContext& ctx) { import_binary(ctx, OpType::MUL); }
void import_div(ImportContext& ctx) { import_binary(ctx, OpType::DIV); }

}  // namespace fennec::onnx_import
