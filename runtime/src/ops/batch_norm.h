// BATCH_NORM: inference-mode batch normalization over axis 1 of a rank >= 2
// input. inputs: X, scale [C], bias [C], mean [C], var [C].
// y = (x - mean) / sqrt(var + epsilon) * scale + bias
#pragma once

#include "ops/op.h"

namespace fennec::ops {

class BatchNormOp final : public Op {
 public:
  explicit BatchNormOp(float epsilon) : epsilon_(epsilon) {}

  OpType type() const override { return OpType::BATCH_NORM; }
  Status infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const override;
  Status reference(std::span<const HostTensor* const> inputs,
                   std::span<HostTensor> outputs) const override;
  OptionsOffset write_options(flatbuffers::FlatBufferBuilder& fbb) const override;
  std::string describe() const override;

  float epsilon() const { return epsilon_; }

 private:
  float epsilon_;
};

Result<std::unique_ptr<Op>> make_batch_norm(const schema::Operator& op);

}  // namespace fennec::ops
