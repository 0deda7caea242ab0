// CONV: 2-D convolution, NCHW input, OIHW weights (I = C / group), optional
// bias, optional fused activation. Covers depthwise (group = C) and strides.
#pragma once

#include "ops/window2d.h"

namespace fennec::ops {

struct ConvParams : Window2D {};

class ConvOp final : public Op {
 public:
  explicit ConvOp(ConvParams params) : params_(params) {}

  OpType type() const override { return OpType::CONV; }
  // inputs: X [N,C,H,W], W [O,C/group,kh,kw], optional B [O]
  Status infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const override;
  Status reference(std::span<const HostTensor* const> inputs,
                   std::span<HostTensor> outputs) const override;
  OptionsOffset write_options(flatbuffers::FlatBufferBuilder& fbb) const override;
  Activation* fused_activation() override { return &params_.activation; }
  std::string describe() const override;

  const ConvParams& params() const { return params_; }
  ConvParams& mutable_params() { return params_; }

 private:
  ConvParams params_;
};

Result<std::unique_ptr<Op>> make_conv(const schema::Operator& op);

}  // namespace fennec::ops
