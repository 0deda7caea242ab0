// GLOBAL_AVERAGE_POOL: mean over all axes after the first two; [N,C,...] -> [N,C,1,...].
#pragma once

#include "ops/op.h"

namespace fennec::ops {

class GlobalAveragePoolOp final : public Op {
 public:
  OpType type() const override { return OpType::GLOBAL_AVERAGE_POOL; }
  Status infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const override;
  Status reference(std::span<const HostTensor* const> inputs,
                   std::span<HostTensor> outputs) const override;
  OptionsOffset write_options(flatbuffers::FlatBufferBuilder& fbb) const override {
    return {schema::OpOptions::NONE, 0};
  }
};

Result<std::unique_ptr<Op>> make_global_average_pool(const schema::Operator& op);

}  // namespace fennec::ops
