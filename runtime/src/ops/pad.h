// PAD: grows (or, with negative pads, crops) every axis. `pads` holds the
// begin pad of every axis, then the end pad of every axis (ONNX order).
// CONSTANT fills with `value`; REFLECT mirrors without repeating the border
// element; EDGE repeats the border element.
#pragma once

#include <cstdint>
#include <vector>

#include "ops/op.h"

namespace fennec::ops {

using PadMode = schema::PadMode;

class PadOp final : public Op {
 public:
  PadOp(PadMode mode, std::vector<int64_t> pads, float value)
      : mode_(mode), pads_(std::move(pads)), value_(value) {}

  OpType type() const override { return OpType::PAD; }
  Status infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const override;
  Status reference(std::span<const HostTensor* const> inputs,
                   std::span<HostTensor> outputs) const override;
  OptionsOffset write_options(flatbuffers::FlatBufferBuilder& fbb) const override;
  std::string describe() const override;

  PadMode mode() const { return mode_; }
  const std::vector<int64_t>& pads() const { return pads_; }
  float value() const { return value_; }

 private:
  PadMode mode_;
  std::vector<int64_t> pads_;
  float value_;
};

// The input coordinate that REFLECT / EDGE read for coordinate `c` (relative
// to the input's start) on an axis of `n` >= 1 elements. Reflection repeats
// with period 2(n-1), so pads wider than the axis keep mirroring.
int64_t pad_source_index(PadMode mode, int64_t c, int64_t n);

Result<std::unique_ptr<Op>> make_pad(const schema::Operator& op);

}  // namespace fennec::ops
