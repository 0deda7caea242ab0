// GATHER: picks entries of `data` along `axis` by an INT32 index tensor
// (negative indices count from the end). Output shape is
// data[:axis] + indices + data[axis+1:]; rank-0 indices remove the axis.
#pragma once

#include "ops/op.h"

namespace fennec::ops {

class GatherOp final : public Op {
 public:
  explicit GatherOp(int axis) : axis_(axis) {}

  OpType type() const override { return OpType::GATHER; }
  Status infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const override;
  Status reference(std::span<const HostTensor* const> inputs,
                   std::span<HostTensor> outputs) const override;
  OptionsOffset write_options(flatbuffers::FlatBufferBuilder& fbb) const override;
  std::string describe() const override;

  int axis() const { return axis_; }

 private:
  int axis_;
};

Result<std::unique_ptr<Op>> make_gather(const schema::Operator& op);

}  // namespace fennec::ops
