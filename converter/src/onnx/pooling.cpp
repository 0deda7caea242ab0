// GlobalAveragePool.
#include "ops/global_average_pool.h"
#include "onnx/op_importers.h"

namespace fennec::onnx_import {

void import_global_average_pool(ImportContext& ctx) {
  ctx.add_node(std::make_unique<ops::GlobalAveragePoolOp>(), {ctx.input(0)});
}

}  // namespace fennec::onnx_import
