// CONCAT: joins any number of inputs along `axis` (non-negative).
#pragma once

#include "ops/op.h"

namespace fennec::ops {

class ConcatOp final : public Op {
 public:
  explicit ConcatOp(int axis) : axis_(axis) {}

  OpType type() const override { return OpType::CONCAT; }
  Status infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const override;
  Status reference(std::span<const HostTensor* const> inputs,
                   std::span<HostTensor> outputs) const override;
  OptionsOffset write_options(flatbuffers::FlatBufferBuilder& fbb) const override;
  std::string describe() const override;

  int axis() const { return axis_; }

 private:
  int axis_;
};

Result<std::unique_ptr<Op>> make_concat(const schema::Operator& op);

}  // namespace fennec::ops
