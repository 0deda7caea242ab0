// Transpose (perm defaults to reversing the axes).
#include <string>

#include "ops/transpose.h"
#include "onnx/op_importers.h"

namespace fennec::onnx_import {

void import_transpose(ImportContext& ctx) {
  const int data = ctx.float_input(0);
  const auto rank = static_cast<int64_t>(ctx.tensor(data).shape.size());
  std::vector<int64_t> reversed;
  for (int64_t d = rank - 1; d >= 0; --d) reversed.push_back(d);
  const std::vector<int64_t> perm = ctx.attr_ints("perm", reversed);
  if (static_cast<int64_t>(perm.size()) != rank)
    ctx.fail("perm " + ints_to_string(perm) + " has " + std::to_string(perm.size()) +
             " entries but the input has rank " + std::to_string(rank));
  std::vector<int32_t> normalized;
  for (int64_t p : perm) {
    if (p < -rank || p >= rank) ctx.unsupported_attribute("perm", ints_to_string(perm));
    normalized.push_back(static_cast<int32_t>(p < 0 ? p + rank : p));
  }
  ctx.add_node(std::make_unique<ops::TransposeOp>(std::move(normalized)), {data});
}

}  // namespace fennec::onnx_import
