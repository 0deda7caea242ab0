// ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM with numpy (multidirectional) broadcasting, up to rank 6,
// optional fused activation.
#pragma once

#include "ops/op.h"

namespace fennec::ops {

// The broadcast shape of a and b; unknown dims stay unknown where they decide
// the result. Fails on incompatible static dims.
Result<Shape> broadcast_shapes(const Shape& a, const Shape& b);

class BinaryOp final : public Op {
 public:
  BinaryOp(OpType type, Activation activation = {}) : type_(type), activation_(activation) {}

  OpType type() const override { return type_; }
  bool elementwise() const override { return true; }
  Status infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const override;
  Status reference(std::span<const HostTensor* const> inputs,
                   std::span<HostTensor> outputs) const override;
  OptionsOffset write_options(flatbuffers::FlatBufferBuilder& fbb) const override;
  Activation* fused_activation() override { return &activation_; }
  std::string describe() const override;

  const Activation& activation() const { return activation_; }
  // The scalar function (without activation): 0 add, 1 sub, 2 mul, 3 div,
  // 4 pow, 5 maximum, 6 minimum.
  int function_code() const;

 private:
  OpType type_;
  Activation activation_;
};

Result<std::unique_ptr<Op>> make_binary(const schema::Operator& op);

}  // namespace fennec::ops
