// CONV_TRANSPOSE: 2-D transposed convolution, NCHW input, weights
// [C, O/group, kh, kw] (ONNX layout), optional bias, optional fused activation.
// Output size per axis: stride*(in-1) + output_pad + ((k-1)*dilation+1) - pad_begin - pad_end.
#pragma once

#include "ops/window2d.h"

namespace fennec::ops {

struct ConvTransposeParams : Window2D {
  int output_pad_h = 0, output_pad_w = 0;
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
