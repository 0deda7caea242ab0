// SOFTMAX: softmax (or log-softmax) along one axis. One input, one output of
// the same shape. The axis is non-negative after conversion.
#pragma once

#include "ops/op.h"

namespace fennec::ops {

class SoftmaxOp final : public Op {
 public:
  SoftmaxOp(int axis, bool log) : axis_(axis), log_(log) {}

  OpType type() const override { return OpType::SOFTMAX; }
  Status infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const override;
  Status reference(std::span<const HostTensor* const> inputs,
                   std::span<HostTensor> outputs) const override;
  OptionsOffset write_options(flatbuffers::FlatBufferBuilder& fbb) const override;
  std::string describe() const override;

  int axis() const { return axis_; }
  bool log() const { return log_; }

 private:
  int axis_;
  bool log_;
};

Result<std::unique_ptr<Op>> make_softmax(const schema::Operator& op);

}  // namespace fennec::ops
