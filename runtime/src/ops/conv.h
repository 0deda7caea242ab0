// CONV: 2-D convolution, NCHW input, OIHW weights (I = C / group), optional
// bias, optional fused activation. Covers depthwise (group = C) and strides.
#pragma once

#include "ops/op.h"

namespace fennec::ops {

struct ConvParams {
  int group = 1;
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  Activation activation;
};

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
