// Add, Sub, Mul, Div, Pow with numpy broadcasting, and the variadic Max,
// Min, Sum, Mean as chains of binary ops.
#include <algorithm>
#include <string>

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

// Folds every input of the node with `type`, left to right; one input is an
// alias of it. The last step writes the node's output unless `more` steps
// follow, in which case the running value is returned.
int import_chain(ImportContext& ctx, OpType type, bool more = false) {
  const int n = ctx.node().input_size();
  if (n == 0) ctx.fail("the node has no inputs");
  int acc = ctx.float_input(0);
  for (int i = 1; i < n; ++i) {
    auto op = std::make_unique<ops::BinaryOp>(type);
    if (i == n - 1 && !more) {
      ctx.add_node(std::move(op), {acc, ctx.float_input(i)});
      return -1;
    }
    acc = ctx.add_internal_node(std::move(op), {acc, ctx.float_input(i)},
                               "step" + std::to_string(i));
  }
  if (!more) ctx.bind(ctx.node().output(0), acc);
  return acc;
}

}  // namespace

void import_pow(ImportContext& ctx) {
  const int base = ctx.float_input(0);
  int exponent = ctx.input(1);
  // Opset 12 allows integer exponents; a constant one becomes a float
  // constant, a computed one is not supported (computed tensors are fp32).
  if (ctx.tensor(exponent).dtype != DataType::FLOAT32) {
    auto values = ctx.constant_floats(1);
    if (!values) exponent = ctx.float_input(1);  // fails with the data type
    HostTensor t(DataType::FLOAT32, ctx.tensor(exponent).shape);
    std::copy(values->begin(), values->end(), t.as<float>().begin());
    exponent = ctx.graph().add_constant(ctx.node().input(1) + "_float", t);
  }
  ctx.add_node(std::make_unique<ops::BinaryOp>(OpType::POW), {base, exponent});
}

void import_max(ImportContext& ctx) { import_chain(ctx, OpType::MAXIMUM); }
void import_min(ImportContext& ctx) { import_chain(ctx, OpType::MINIMUM); }
void import_sum(ImportContext& ctx) { import_chain(ctx, OpType::ADD); }

void import_mean(ImportContext& ctx) {
  const int n = ctx.node().input_size();
  if (n <= 1) {
    import_chain(ctx, OpType::ADD);
    return;
  }
  const int sum = import_chain(ctx, OpType::ADD, true);
  HostTensor scale(DataType::FLOAT32, {});
  scale.as<float>()[0] = 1.0f / static_cast<float>(n);
  const int constant = ctx.graph().add_constant(ctx.node().output(0) + "/inv_count", scale);
  ctx.add_node(std::make_unique<ops::BinaryOp>(OpType::MUL), {sum, constant});
}

void import_add(ImportContext& ctx) { import_binary(ctx, OpType::ADD); }
void import_sub(ImportContext& ctx) { import_binary(ctx, OpType::SUB); }
void import_mul(ImportContext& ctx) { import_binary(ctx, OpType::MUL); }
void import_div(ImportContext& ctx) { import_binary(ctx, OpType::DIV); }

}  // namespace fennec::onnx_import
