// SLICE: ONNX Slice with constant parameters. For each listed axis, starts
// and ends count from the end when negative and are clamped against the
// bound input dim; steps may be negative (reversed traversal). Unlisted axes
// are kept whole.
#pragma once

#include <cstdint>
#include <vector>

#include "ops/op.h"
#include "ops/strided.h"

namespace fennec::ops {

struct SliceParams {
  std::vector<int32_t> axes;   // non-negative, distinct
  std::vector<int64_t> starts;
  std::vector<int64_t> ends;
  std::vector<int64_t> steps;  // empty = all 1; never 0
};

class SliceOp final : public Op {
 public:
  explicit SliceOp(SliceParams params) : params_(std::move(params)) {}

  OpType type() const override { return OpType::SLICE; }
  Status infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const override;
  Status reference(std::span<const HostTensor* const> inputs,
                   std::span<HostTensor> outputs) const override;
  OptionsOffset write_options(flatbuffers::FlatBufferBuilder& fbb) const override;
  std::string describe() const override;

  const SliceParams& params() const { return params_; }
  // The input as read in output order; `in` is static.
  StridedView view(const Shape& in) const;

 private:
  SliceParams params_;
};

Result<std::unique_ptr<Op>> make_slice(const schema::Operator& op);

}  // namespace fennec::ops
