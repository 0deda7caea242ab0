// LAYER_NORM: y = (x - mean) / sqrt(var + epsilon) * scale + bias, with mean
// and (biased) variance over the axes [axis, rank). Inputs: X, scale,
// optional bias; scale and bias hold either one value or X's trailing dims
// [axis, rank) (leading size-1 dims allowed). Output: X's shape.
#pragma once

#include "ops/op.h"

namespace fennec::ops {

class LayerNormOp final : public Op {
 public:
  LayerNormOp(int axis, float epsilon) : axis_(axis), epsilon_(epsilon) {}

  OpType type() const override { return OpType::LAYER_NORM; }
  Status infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const override;
  Status reference(std::span<const HostTensor* const> inputs,
                   std::span<HostTensor> outputs) const override;
  OptionsOffset write_options(flatbuffers::FlatBufferBuilder& fbb) const override;
  std::string describe() const override;

  int axis() const { return axis_; }
  float epsilon() const { return epsilon_; }

 private:
  int axis_;
  float epsilon_;
};

Result<std::unique_ptr<Op>> make_layer_norm(const schema::Operator& op);

}  // namespace fennec::ops
