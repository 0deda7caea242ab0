// ATTENTION: Y = softmax(scale * Q K^T + mask) V over the trailing two axes.
// Q [..., S, D], K [..., T, D], V [..., T, Dv], optional additive mask
// broadcasting to [..., S, T]; Y [..., S, Dv]. The leading (batch) axes of
// Q, K and V broadcast (numpy rules). A query row whose scores are all -inf
// (fully masked) gives zeros.
#pragma once

#include "ops/op.h"

namespace fennec::ops {

// The geometry of one ATTENTION call, from the input shapes.
struct AttentionDims {
  int64_t s = 0, t = 0, d = 0, dv = 0;
  Shape batch;  // broadcast batch axes of Y
};

class AttentionOp final : public Op {
 public:
  explicit AttentionOp(float scale) : scale_(scale) {}

  OpType type() const override { return OpType::ATTENTION; }
  // inputs: Q, K, V, optional mask
  Status infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const override;
  Status reference(std::span<const HostTensor* const> inputs,
                   std::span<HostTensor> outputs) const override;
  OptionsOffset write_options(flatbuffers::FlatBufferBuilder& fbb) const override;
  std::string describe() const override;

  float scale() const { return scale_; }

  // S, T, D, Dv and the batch axes; fails on mismatched sizes.
  static Result<AttentionDims> dims(const Shape& q, const Shape& k, const Shape& v);

 private:
  float scale_;
};

// The mask right-aligned against [batch..., S, T] (rank-0/1 masks padded with
// size-1 axes): its batch shape, the strides along S and T and the elements
// of one [S, T] matrix.
struct MaskLayout {
  Shape batch;
  int64_t s_stride = 0, t_stride = 0, matrix = 1;
};
MaskLayout mask_layout(const Shape& mask);

Result<std::unique_ptr<Op>> make_attention(const schema::Operator& op);

}  // namespace fennec::ops
