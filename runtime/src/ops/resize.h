// RESIZE: resizes the last two axes of a rank-4 NCHW tensor, by scales or to
// fixed sizes. NEAREST with every ONNX coordinate transform and rounding
// mode, and LINEAR (bilinear).
#pragma once

#include "ops/op.h"

namespace fennec::ops {

struct ResizeParams {
  schema::ResizeMode mode = schema::ResizeMode::NEAREST;
  schema::CoordinateTransform transform = schema::CoordinateTransform::HALF_PIXEL;
  schema::NearestRounding rounding = schema::NearestRounding::ROUND_PREFER_FLOOR;
  float scale_h = 0.0f, scale_w = 0.0f;  // used when > 0
  int64_t size_h = 0, size_w = 0;        // used when scales are 0
};

class ResizeOp final : public Op {
 public:
  explicit ResizeOp(ResizeParams params) : params_(params) {}

  OpType type() const override { return OpType::RESIZE; }
  // One input X [N,C,H,W]; output [N,C,H',W'].
  Status infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const override;
  Status reference(std::span<const HostTensor* const> inputs,
                   std::span<HostTensor> outputs) const override;
  OptionsOffset write_options(flatbuffers::FlatBufferBuilder& fbb) const override;
  std::string describe() const override;

  const ResizeParams& params() const { return params_; }

  // Input coordinate for output coordinate `out` along one axis (ONNX's
  // coordinate_transformation_mode); shared by the reference and the shader's
  // host-side parameter setup.
  static float source_coordinate(schema::CoordinateTransform transform, int64_t out,
                                 float scale, int64_t in_size, int64_t out_size);

 private:
  ResizeParams params_;
};

Result<std::unique_ptr<Op>> make_resize(const schema::Operator& op);

}  // namespace fennec::ops
