// Weight quantization: re-encodes the constant weights of CONV and MATMUL
// nodes in a quantized storage format (quant/weight_format.h). It runs after
// every other pass, when the weights are final (BatchNorm and affine folding
// have already changed them). Other constants (biases, LSTM and
// ConvTranspose weights, shape data) stay as they are.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "passes/calibration.h"
#include "passes/gptq.h"

namespace fennec::passes {

enum class QuantScheme { kNone, kFp16, kInt8, kInt4, kFp8, kW8A8 };

enum class CalibrationMethod { kMinMax, kPercentile, kMse };

// How weights go onto their grid: each to its nearest value, or by GPTQ
// (passes/gptq.h) from the Hessians of the layers' calibration inputs.
enum class Rounding { kNearest, kGptq };

// "fp16", "int8", "int4", "fp8", "w8a8"; throws ConvertError for anything
// else (naming the schemes there are).
QuantScheme parse_quant_scheme(const std::string& text);
const char* quant_scheme_name(QuantScheme scheme);

struct QuantizeOptions {
  QuantScheme scheme = QuantScheme::kNone;
  uint32_t group_size = 32;  // int4
  bool asymmetric = false;   // int4
  // Node names, or op types (CONV, MATMUL; ONNX spellings Conv, MatMul, Gemm
  // too, any case), whose weights stay float32.
  std::vector<std::string> keep_fp32;
  // int4, fp8 and w8a8: the first layer and the last one (usually the classifier
  // or the output projection) take int8 weights with float activations
  // instead. At 4 bits that is what
  // accuracy needs; MX FP8's 3 mantissa bits leave a weight NMSE of about
  // 7e-4 on trained layers where per-channel int8 gives about 1e-4, and the
  // end layers feed the input pixels and the output logits directly. int4
  // rounded by GPTQ protects the first layer only.
  bool protect_ends = true;
  // w8a8: how calibration turns each layer input's values into its scale:
  // max |x| over all samples (min-max, symmetric), the `percentile`-th
  // percentile of |x| (values beyond it clip to +-127), or the clipping
  // point of the smallest squared error of x against its int8 form (mse:
  // 64 candidates between max/16 and max).
  CalibrationMethod calibration_method = CalibrationMethod::kMse;
  double percentile = 99.99;
  // w8a8: activation scale per node name; quantize_weights_calibrated fills
  // it, quantize_weights requires it.
  std::map<std::string, float> activation_scales;
  // w8a8: a layer whose input loses more than this (NMSE of x against its
  // int8 codes times the scale, on the calibration samples) keeps float
  // activations with int8 weights; the report names it.
  double max_activation_nmse = 1e-3;
  // Filled by quantize_weights_calibrated: that NMSE per node name.
  std::map<std::string, double> activation_nmse;
  // kGptq needs calibration: quantize_weights_calibrated fills `hessians`
  // (per node name) and quantize_weights uses them; layers without one round
  // to nearest.
  Rounding rounding = Rounding::kNearest;
  std::map<std::string, std::shared_ptr<const LayerHessian>> hessians;
};

struct QuantizedLayer {
  std::string node;
  std::string op_type;
  std::string weight;
  Shape shape;
  quant::WeightQuant quant;  // kFloat32 when kept
  std::string note;          // why the layer's format differs from the scheme's
  uint64_t bytes_before = 0, bytes_after = 0;
  double weight_nmse = 0.0;  // sum((w - decoded)^2) / sum(w^2)
  double weight_max_abs = 0.0;
  int output = -1;           // the layer's output tensor
  double output_nmse = -1.0; // with calibration: NMSE of that output vs the fp32 model's
  double activation_nmse = -1.0;  // w8a8: NMSE of the layer's input against its int8 form
  size_t gptq_vectors = 0;        // > 0: rounded by GPTQ from this many input vectors
};

// With calibration: the error of one model output, quantized vs fp32.
struct OutputError {
  std::string name;
  double nmse = 0.0;
  double max_abs = 0.0;  // max |fp32 - quantized|
  double max_ref = 0.0;  // max |fp32|
};

// A float32 constant of 8 KiB or more that stays float32 because no
// quantized kernel reads it there (a GATHER's table, for example).
struct KeptConstant {
  std::string node;
  std::string op_type;
  std::string tensor;
  Shape shape;
  uint64_t bytes = 0;
};

struct QuantizeReport {
  std::vector<QuantizedLayer> layers;  // every candidate layer, in graph order
  std::vector<KeptConstant> kept;      // large constants of other nodes, in graph order
  uint64_t weights_before = 0;         // bytes of all constants before
  uint64_t weights_after = 0;          // and after
  size_t calibration_samples = 0;      // 0: no calibration data
  std::vector<OutputError> outputs;    // with calibration, per graph output
};

// Whether `keep` (--keep-fp32) names `node` or its op type (GEMM for MATMUL).
bool kept_by_user(const graph::Node& node, const std::vector<std::string>& keep);

// Called after each layer with (done, total).
using ProgressFn = std::function<void(size_t, size_t)>;

QuantizeReport quantize_weights(graph::Graph& graph, const QuantizeOptions& options,
                                const ProgressFn& progress = {});

// The same, measured on calibration samples: the fp32 graph and the quantized
// one run on the Vulkan device, and the report gains each layer's output
// NMSE (which accumulates the error of every layer before it) and the error
// of every model output.
QuantizeReport quantize_weights_calibrated(graph::Graph& graph, const QuantizeOptions& options,
                                           const std::vector<CalibrationSample>& samples,
                                           const ProgressFn& progress = {});

}  // namespace fennec::passes
