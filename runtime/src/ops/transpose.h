// TRANSPOSE: output axis i is input axis perm[i].
#pragma once

#include <cstdint>
#include <vector>

#include "ops/op.h"
#include "ops/strided.h"

namespace fennec::ops {

class TransposeOp final : public Op {
 public:
  explicit TransposeOp(std::vector<int32_t> perm) : perm_(std::move(perm)) {}

  OpType type() const override { return OpType::TRANSPOSE; }
  Status infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const override;
  Status reference(std::span<const HostTensor* const> inputs,
                   std::span<HostTensor> outputs) const override;
  OptionsOffset write_options(flatbuffers::FlatBufferBuilder& fbb) const override;
  std::string describe() const override;

  const std::vector<int32_t>& perm() const { return perm_; }
  // The input as read in output order; `in` is static and matches perm.
  StridedView view(const Shape& in) const;

 private:
  std::vector<int32_t> perm_;
};

Result<std::unique_ptr<Op>> make_transpose(const schema::Operator& op);

}  // namespace fennec::ops
