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
// elementwise.cpp
void import_add(ImportContext& ctx);
void import_sub(ImportContext& ctx);
void import_mul(ImportContext& ctx);
void import_div(ImportContext& ctx);
// activation.cpp
void import_relu(ImportContext& ctx);
void import_sigmoid(ImportContext& ctx);
void import_hard_sigmoid(ImportContext& ctx);
void import_hard_swish(ImportContext& ctx);
void import_clip(ImportContext& ctx);
// pooling.cpp
void import_global_average_pool(ImportContext& ctx);
// tensor.cpp
void import_concat(ImportContext& ctx);
// resize.cpp
void import_resize(ImportContext& ctx);
void import_upsample(ImportContext& ctx);

}  // namespace fennec::onnx_import
