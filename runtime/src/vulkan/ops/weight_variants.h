// Shader variants per weight storage format (shaders/include/weights.glsl):
// the kernels of CONV and MATMUL pick the variant that decodes their
// weight's format in registers.
#pragma once

#include "quant/weight_format.h"
#include "vulkan/recorder.h"

namespace fennec::vulkan {

// One shader per format; `float32` is the plain kernel, `w8a8` the one for
// INT8 weights with int8 activations and `w8a8_dot` its variant with packed
// integer dot products (the same as w8a8 where a kernel has none).
struct WeightVariants {
  ShaderId float32, float16, int8, int4, int4_asymmetric, mxfp8, w8a8, w8a8_dot, int8_grouped;

  ShaderId pick(const quant::WeightQuant& quant, bool integer_dot_product) const {
    // Graph::validate(): int8 activations come with INT8 weights.
    if (quant.int8_activations()) return integer_dot_product ? w8a8_dot : w8a8;
    switch (quant.format) {
      case quant::WeightFormat::kFloat16: return float16;
      case quant::WeightFormat::kInt8: return int8;
      case quant::WeightFormat::kInt4: return int4;
      case quant::WeightFormat::kInt4Asymmetric: return int4_asymmetric;
      case quant::WeightFormat::kMxFp8: return mxfp8;
      case quant::WeightFormat::kInt8Grouped: return int8_grouped;
      case quant::WeightFormat::kFloat32: break;
    }
    return float32;
  }
};

// The push-constant fields that every quantized-weight kernel takes after its
// own: the group size (int4, grouped int8) and, for w8a8, the activation scale of its input
// with the float32 reciprocal the shader multiplies by (0 and 0 otherwise).
template <typename Push>
void set_weight_push(Push& push, const quant::WeightQuant& quant) {
  push.weight_group = quant.group_size;
  push.act_scale = quant.int8_activations() ? quant.activation_scale : 0.0f;
  push.act_inverse = quant.int8_activations() ? 1.0f / quant.activation_scale : 0.0f;
}

}  // namespace fennec::vulkan
