// REDUCE: SUM, MEAN, MAXIMUM, MINIMUM, PROD, L1, L2, SUM_SQUARE, LOG_SUM,
// LOG_SUM_EXP over a set of axes (sorted, non-negative; empty = every axis),
// keeping the reduced axes as size 1 or dropping them.
#pragma once

#include "ops/op.h"

namespace fennec::ops {

using schema::ReduceKind;

class ReduceOp final : public Op {
 public:
  ReduceOp(ReduceKind kind, std::vector<int> axes, bool keep_dims)
      : kind_(kind), axes_(std::move(axes)), keep_dims_(keep_dims) {}

  OpType type() const override { return OpType::REDUCE; }
  Status infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const override;
  Status reference(std::span<const HostTensor* const> inputs,
                   std::span<HostTensor> outputs) const override;
  OptionsOffset write_options(flatbuffers::FlatBufferBuilder& fbb) const override;
  std::string describe() const override;

  ReduceKind kind() const { return kind_; }
  const std::vector<int>& axes() const { return axes_; }
  bool keep_dims() const { return keep_dims_; }
  // Per axis of an input of `rank`: true when that axis is reduced.
  std::vector<bool> reduced_mask(size_t rank) const;

 private:
  ReduceKind kind_;
  std::vector<int> axes_;
  bool keep_dims_;
};

Result<std::unique_ptr<Op>> make_reduce(const schema::Operator& op);

}  // namespace fennec::ops
