// POOL2D: max or average pooling over the trailing two axes of an NCHW
// tensor, with strides, dilations, asymmetric pads and ceil_mode. A window
// tap at row oy * stride_h - pad_top + ky * dilation_h (likewise for columns)
// reads the input when it lies inside it. AVERAGE divides by the taps inside
// the input, or with count_include_pad by the taps inside the padded input
// (pads counted, the extra ceil_mode area not). With ceil_mode a window that
// would start past the input and its end padding is dropped (ONNX's rule). A
// window without any input tap gives 0.
#pragma once

#include "ops/op.h"

namespace fennec::ops {

using PoolKind = schema::PoolKind;

struct Pool2DParams {
  PoolKind kind = PoolKind::MAXIMUM;
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  bool ceil_mode = false;
  bool count_include_pad = false;
};

class Pool2DOp final : public Op {
 public:
  explicit Pool2DOp(Pool2DParams params) : params_(params) {}

  OpType type() const override { return OpType::POOL2D; }
  // input: X [N, C, H, W]
  Status infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const override;
  Status reference(std::span<const HostTensor* const> inputs,
                   std::span<HostTensor> outputs) const override;
  OptionsOffset write_options(flatbuffers::FlatBufferBuilder& fbb) const override;
  std::string describe() const override;

  const Pool2DParams& params() const { return params_; }

 private:
  Pool2DParams params_;
};

// The output extent of one axis, kUnknownDim for an unknown input extent;
// fails when the dilated kernel is larger than the padded input.
Result<int64_t> pool_output_extent(int64_t in, int kernel, int stride, int dilation,
                                   int pad_begin, int pad_end, bool ceil_mode);

Result<std::unique_ptr<Op>> make_pool2d(const schema::Operator& op);

}  // namespace fennec::ops
