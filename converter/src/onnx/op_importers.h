// The per-op import functions, one file per op family. Each reads the
// current node of `ctx`, validates its attributes and adds graph nodes (or
// constants). The table in importer.cpp maps ONNX op_type to these.
#pragma once

#include "onnx/import_context.h"

namespace fennec::onnx_import {

// constant.cpp
void import_constant(ImportContext& ctx);
// conv.cpp
void import_conv(ImportContext& ctx);
void import_conv_transpose(ImportContext& ctx);
// normalization.cpp
void import_batch_normalization(ImportContext& ctx);
void import_layer_normalization(ImportContext& ctx);
// elementwise.cpp
void import_add(ImportContext& ctx);
void import_sub(ImportContext& ctx);
void import_mul(ImportContext& ctx);
void import_div(ImportContext& ctx);
void import_pow(ImportContext& ctx);
void import_max(ImportContext& ctx);
void import_min(ImportContext& ctx);
void import_sum(ImportContext& ctx);
void import_mean(ImportContext& ctx);
// activation.cpp
void import_relu(ImportContext& ctx);
void import_sigmoid(ImportContext& ctx);
void import_hard_sigmoid(ImportContext& ctx);
void import_hard_swish(ImportContext& ctx);
void import_clip(ImportContext& ctx);
void import_leaky_relu(ImportContext& ctx);
void import_elu(ImportContext& ctx);
void import_selu(ImportContext& ctx);
void import_celu(ImportContext& ctx);
void import_thresholded_relu(ImportContext& ctx);
void import_shrink(ImportContext& ctx);
void import_gelu(ImportContext& ctx);
// unary.cpp: one UNARY op of `kind` (instantiated there for the math
// functions, Softsign, Softplus and Mish)
template <schema::Activation kind>
void import_math(ImportContext& ctx);
// softmax.cpp
void import_softmax(ImportContext& ctx);
void import_log_softmax(ImportContext& ctx);
// reduce.cpp (instantiated there for every ReduceKind)
template <schema::ReduceKind kind>
void import_reduce(ImportContext& ctx);
void import_global_max_pool(ImportContext& ctx);
// pooling.cpp
void import_global_average_pool(ImportContext& ctx);
void import_max_pool(ImportContext& ctx);
void import_average_pool(ImportContext& ctx);
// tensor.cpp
void import_concat(ImportContext& ctx);
// resize.cpp
void import_resize(ImportContext& ctx);
void import_upsample(ImportContext& ctx);
// reshape.cpp
void import_reshape(ImportContext& ctx);
void import_flatten(ImportContext& ctx);
void import_squeeze(ImportContext& ctx);
void import_unsqueeze(ImportContext& ctx);
// transpose.cpp
void import_transpose(ImportContext& ctx);
// slice.cpp
void import_slice(ImportContext& ctx);
void import_split(ImportContext& ctx);
// gather.cpp
void import_gather(ImportContext& ctx);
// pad.cpp
void import_pad(ImportContext& ctx);
// expand.cpp
void import_expand(ImportContext& ctx);
// matmul.cpp
void import_matmul(ImportContext& ctx);
void import_gemm(ImportContext& ctx);
// lstm.cpp
void import_lstm(ImportContext& ctx);
// identity.cpp
void import_cast(ImportContext& ctx);
void import_identity(ImportContext& ctx);
void import_dropout(ImportContext& ctx);

// RESHAPE options for an ONNX Reshape target `values` (0 copies the input
// dim at that index unless `allow_zero`; one -1 is inferred). Fails through
// `ctx` on invalid targets. reshape.cpp; reusable wherever target values
// become known.
struct ReshapeTarget {
  std::vector<int64_t> shape;
  std::vector<int32_t> copy_from;
};
ReshapeTarget reshape_target(ImportContext& ctx, const std::vector<int64_t>& values,
                             bool allow_zero, size_t input_rank);

}  // namespace fennec::onnx_import
