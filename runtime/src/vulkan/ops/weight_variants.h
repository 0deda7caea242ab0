// Shader variants per weight storage format (shaders/include/weights.glsl):
// the kernels of CONV and MATMUL pick the variant that decodes their
// weight's format in registers.
#pragma once

#include "quant/weight_format.h"
#include "vulkan/recorder.h"

namespace fennec::vulkan {

// One shader per format; `float32` is the plain kernel (nullopt-free: every
// format has an entry).
struct WeightVariants {
  ShaderId float32, float16, int8, int4, int4_asymmetric, mxfp8;

  ShaderId pick(quant::WeightFormat format) const {
    switch (format) {
      case quant::WeightFormat::kFloat16: return float16;
      case quant::WeightFormat::kInt8: return int8;
      case quant::WeightFormat::kInt4: return int4;
      case quant::WeightFormat::kInt4Asymmetric: return int4_asymmetric;
      case quant::WeightFormat::kMxFp8: return mxfp8;
      case quant::WeightFormat::kFloat32: break;
    }
    return float32;
  }
};

}  // namespace fennec::vulkan
