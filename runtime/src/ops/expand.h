// EXPAND: broadcasts the input to `shape` by numpy rules (shapes aligned on
// the right; a dim of 1 on either side takes the other side's size).
#pragma once

#include <cstdint>
#include <vector>

#include "ops/op.h"
#include "ops/strided.h"

namespace fennec::ops {

class ExpandOp final : public Op {
 public:
  explicit ExpandOp(std::vector<int64_t> shape) : shape_(std::move(shape)) {}

  OpType type() const override { return OpType::EXPAND; }
  Status infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const override;
  Status reference(std::span<const HostTensor* const> inputs,
                   std::span<HostTensor> outputs) const override;
  OptionsOffset write_options(flatbuffers::FlatBufferBuilder& fbb) const override;
  std::string describe() const override;

  const std::vector<int64_t>& shape() const { return shape_; }
  // The input as read in output order; `in` is static, `out` its inferred
  // output shape.
  StridedView view(const Shape& in, const Shape& out) const;

 private:
  std::vector<int64_t> shape_;
};

Result<std::unique_ptr<Op>> make_expand(const schema::Operator& op);

}  // namespace fennec::ops
