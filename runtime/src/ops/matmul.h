// MATMUL: Y = act(alpha * op(A) @ op(B) + beta * C), op() transposing the
// trailing two axes when asked. Numpy matmul semantics: a rank-1 A is a row
// [1,K] whose axis is removed from Y, a rank-1 B a column [K,1] likewise (the
// transpose flags do not apply to rank-1 operands); leading (batch) axes
// broadcast. The optional C broadcasts to Y. Covers ONNX MatMul and Gemm.
#pragma once

#include "ops/op.h"

namespace fennec::ops {

struct MatMulParams {
  bool transpose_a = false;
  bool transpose_b = false;
  float alpha = 1.0f;
  float beta = 1.0f;
  Activation activation;
};

// The matrix geometry of one MATMUL call, from the input shapes.
struct MatMulDims {
  int64_t m = 0, k = 0, n = 0;
  Shape a_batch, b_batch;  // leading axes of A and B (empty for rank <= 2)
  Shape batch;             // broadcast batch axes of Y
  bool a_vector = false, b_vector = false;
};

class MatMulOp final : public Op {
 public:
  explicit MatMulOp(MatMulParams params) : params_(params) {}

  OpType type() const override { return OpType::MATMUL; }
  // inputs: A, B, optional C
  Status infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const override;
  Status reference(std::span<const HostTensor* const> inputs,
                   std::span<HostTensor> outputs) const override;
  OptionsOffset write_options(flatbuffers::FlatBufferBuilder& fbb) const override;
  Activation* fused_activation() override { return &params_.activation; }
  std::string describe() const override;

  const MatMulParams& params() const { return params_; }

  // M, K, N and the batch axes for A and B (unknown dims stay -1); fails
  // when the contracted sizes or the batch axes disagree.
  Result<MatMulDims> dims(const Shape& a, const Shape& b) const;

 private:
  MatMulParams params_;
};

Result<std::unique_ptr<Op>> make_matmul(const schema::Operator& op);

}  // namespace fennec::ops
