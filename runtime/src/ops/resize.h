// RESIZE: resizes the last two axes of a rank-4 NCHW tensor, by scales or to
// fixed sizes. NEAREST with every ONNX coordinate transform and rounding
// mode, LINEAR (bilinear) and CUBIC (bicubic, Keys kernel).
#pragma once

#include <vector>

#include "ops/op.h"

namespace fennec::ops {

struct ResizeParams {
  schema::ResizeMode mode = schema::ResizeMode::NEAREST;
  schema::CoordinateTransform transform = schema::CoordinateTransform::HALF_PIXEL;
  schema::NearestRounding rounding = schema::NearestRounding::ROUND_PREFER_FLOOR;
  float scale_h = 0.0f, scale_w = 0.0f;  // used when > 0
  int64_t size_h = 0, size_w = 0;        // used when scales are 0
  float cubic_coeff_a = -0.75f;          // CUBIC: the Keys kernel coefficient A
  bool exclude_outside = false;          // CUBIC: drop taps outside the input
};

// The four bicubic taps along one axis: source indices, already clamped into
// [0, in_size), and their weights.
struct CubicTaps {
  int64_t index[4];
  float weight[4];
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

  // Taps at floor(coord)-1 .. floor(coord)+2 with Keys weights for
  // coefficient `a`. Outside taps read the edge pixel, or with
  // `exclude_outside` get weight 0 and the rest are scaled to sum to 1.
  // The shader (resize.comp) mirrors this operation for operation.
  static CubicTaps cubic_taps(float coord, int64_t in_size, float a, bool exclude_outside);

 private:
  void reference_cubic(const float* src, float* dst, int64_t planes, int64_t ih, int64_t iw,
                       int64_t oh, int64_t ow, const std::vector<float>& cy,
                       const std::vector<float>& cx) const;

  ResizeParams params_;
};

Result<std::unique_ptr<Op>> make_resize(const schema::Operator& op);

}  // namespace fennec::ops
