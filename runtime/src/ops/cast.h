// CAST: converts a FLOAT32 tensor to FLOAT16 storage or back (binary16
// rounded to nearest even). The converter places casts where activations
// change storage: at graph inputs and outputs of a model with FLOAT16
// activations, and around nodes kept in float32.
#pragma once

#include "ops/op.h"

namespace fennec::ops {

class CastOp final : public Op {
 public:
  explicit CastOp(DataType to) : to_(to) {}

  OpType type() const override { return OpType::CAST; }
  bool elementwise() const override { return true; }
  Status infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const override;
  Status reference(std::span<const HostTensor* const> inputs,
                   std::span<HostTensor> outputs) const override;
  OptionsOffset write_options(flatbuffers::FlatBufferBuilder& fbb) const override;
  std::string describe() const override;

  DataType to() const { return to_; }

 private:
  DataType to_;
};

Result<std::unique_ptr<Op>> make_cast(const schema::Operator& op);

}  // namespace fennec::ops
