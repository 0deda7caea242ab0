// Elementwise activations as standalone ops: RELU, CLIP, SIGMOID,
// HARD_SIGMOID, HARD_SWISH, and UNARY (any Activation kind, UnaryOptions).
// One input, one output of the same shape.
// They share the Activation formula used for fusion, so a fused and an
// unfused activation compute the same value.
#pragma once

#include "ops/op.h"

namespace fennec::ops {

class UnaryOp final : public Op {
 public:
  UnaryOp(OpType type, Activation activation) : type_(type), activation_(activation) {}

  OpType type() const override { return type_; }
  bool elementwise() const override { return true; }
  Status infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const override;
  Status reference(std::span<const HostTensor* const> inputs,
                   std::span<HostTensor> outputs) const override;
  OptionsOffset write_options(flatbuffers::FlatBufferBuilder& fbb) const override;
  std::string describe() const override { return activation_.to_string(); }

  const Activation& activation() const { return activation_; }

  // The activation that this op type computes, for ops without options
  // (RELU, SIGMOID, HARD_SWISH) or with them (CLIP, HARD_SIGMOID).
  static Activation activation_for(OpType type, float alpha, float beta);

 private:
  OpType type_;
  Activation activation_;
};

Result<std::unique_ptr<Op>> make_unary(const schema::Operator& op);

}  // namespace fennec::ops
