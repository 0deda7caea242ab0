// RESHAPE: the same elements in the same order under a new shape. Output dim
// i is input dim copy_from[i] when copy_from[i] >= 0 (so symbolic dims pass
// through), else shape[i]; at most one such shape[i] is -1, inferred from the
// element count.
#pragma once

#include <cstdint>
#include <vector>

#include "ops/op.h"

namespace fennec::ops {

class ReshapeOp final : public Op {
 public:
  // `copy_from` is empty or has one entry per output axis (-1 = use shape[i]).
  ReshapeOp(std::vector<int64_t> shape, std::vector<int32_t> copy_from);

  OpType type() const override { return OpType::RESHAPE; }
  Status infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const override;
  Status reference(std::span<const HostTensor* const> inputs,
                   std::span<HostTensor> outputs) const override;
  OptionsOffset write_options(flatbuffers::FlatBufferBuilder& fbb) const override;
  std::string describe() const override;

  const std::vector<int64_t>& shape() const { return shape_; }
  const std::vector<int32_t>& copy_from() const { return copy_from_; }

 private:
  std::vector<int64_t> shape_;
  std::vector<int32_t> copy_from_;
};

Result<std::unique_ptr<Op>> make_reshape(const schema::Operator& op);

}  // namespace fennec::ops
