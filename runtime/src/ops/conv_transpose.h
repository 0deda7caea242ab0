// CONV_TRANSPOSE: 2-D transposed convolution, NCHW input, weights
// [C, O/group, kh, kw] (ONNX layout), optional bias, optional fused activation.
// Output size per axis: stride*(in-1) + output_pad + ((k-1)*dilation+1) - pad_begin - pad_end.
#pragma once

#include "ops/op.h"

namespace fennec::ops {

struct ConvTransposeParams {
  int group = 1;
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int output_pad_h = 0, output_pad_w = 0;
  Activation activation;
};

class ConvTransposeOp final : public Op {
 public:
  explicit ConvTransposeOp(ConvTransposeParams params) : params_(params) {}

  OpType type() const override { return OpType::CONV_TRANSPOSE; }
  // inputs: X [N,C,H,W], W [C,O/group,kh,kw], optional B [O]
  Status infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const override;
  Status reference(std::span<const HostTensor* const> inputs,
                   std::span<HostTensor> outputs) const override;
  OptionsOffset write_options(flatbuffers::FlatBufferBuilder& fbb) const override;
  Activation* fused_activation() override { return &params_.activation; }
  std::string describe() const override;

  const ConvTransposeParams& params() const { return params_; }
  ConvTransposeParams& mutable_params() { return params_; }

 private:
  ConvTransposeParams params_;
};

Result<std::unique_ptr<Op>> make_conv_transpose(const schema::Operator& op);

}  // namespace fennec::ops
