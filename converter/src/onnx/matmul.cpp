// MatMul and Gemm, both as MATMUL. Gemm's C broadcasts to Y in every opset
// (opset < 7 asks for it with `broadcast`, which the op does anyway).
#include <string>

#include "ops/matmul.h"
#include "onnx/op_importers.h"

namespace fennec::onnx_import {

void import_matmul(ImportContext& ctx) {
  const int a = ctx.float_input(0);
  const int b = ctx.float_input(1);
  ctx.add_node(std::make_unique<ops::MatMulOp>(ops::MatMulParams{}), {a, b});
}

void import_gemm(ImportContext& ctx) {
  const int a = ctx.float_input(0);
  const int b = ctx.float_input(1);
  const int c = ctx.has_input(2) ? ctx.float_input(2) : -1;
  for (int operand : {a, b}) {
    const Shape s = ctx.tensor(operand).shape;
    // Gemm is defined on matrices only; rank-1 operands would take numpy's
    // vector rules here, which Gemm does not have.
    if (s.size() != 2)
      ctx.fail("input '" + ctx.tensor(operand).name + "' has shape " + shape_to_string(s) +
               "; Gemm needs rank-2 A and B");
  }
  ops::MatMulParams p;
  const int64_t trans_a = ctx.attr_int("transA", 0);
  const int64_t trans_b = ctx.attr_int("transB", 0);
  if (trans_a != 0 && trans_a != 1) ctx.unsupported_attribute("transA", std::to_string(trans_a));
  if (trans_b != 0 && trans_b != 1) ctx.unsupported_attribute("transB", std::to_string(trans_b));
  p.transpose_a = trans_a == 1;
  p.transpose_b = trans_b == 1;
  p.alpha = ctx.attr_float("alpha", 1.0f);
  p.beta = ctx.attr_float("beta", 1.0f);
  if (ctx.opset() < 7 && c >= 0 && ctx.attr_int("broadcast", 0) == 0) {
    // Without `broadcast`, old Gemm wants C of Y's exact shape [M, N].
    const Shape sc = ctx.tensor(c).shape;
    const Shape sa = ctx.tensor(a).shape;
    const Shape sb = ctx.tensor(b).shape;
    const Shape y{p.transpose_a ? sa[1] : sa[0], p.transpose_b ? sb[0] : sb[1]};
    if (sc.size() != 2 || (sc[0] >= 0 && y[0] >= 0 && sc[0] != y[0]) ||
        (sc[1] >= 0 && y[1] >= 0 && sc[1] != y[1]))
      ctx.fail("C has shape " + shape_to_string(sc) + " but broadcast=0 needs " +
               shape_to_string(y));
  }
  std::vector<int> inputs = {a, b};
  if (c >= 0) inputs.push_back(c);
  ctx.add_node(std::make_unique<ops::MatMulOp>(p), inputs);
}

}  // namespace fennec::onnx_import
