// Gather with constant indices, stored as an INT32 graph constant.
#include <limits>
#include <string>

#include "ops/gather.h"
#include "onnx/op_importers.h"

namespace fennec::onnx_import {

void import_gather(ImportContext& ctx) {
  const int data = ctx.float_input(0);
  const Shape shape = ctx.tensor(data).shape;
  const auto rank = static_cast<int64_t>(shape.size());
  int64_t axis = ctx.attr_int("axis", 0);
  if (axis < -rank || axis >= rank)
    ctx.fail("axis " + std::to_string(axis) + " is out of range for data " + shape_to_string(shape));
  if (axis < 0) axis += rank;

  const int index_input = ctx.input(1);
  auto values = ctx.constant_ints(1);
  if (!values)
    ctx.fail("Gather indices input '" + ctx.node().input(1) +
             "' is not a constant; only constant indices are supported");
  const int64_t dim = shape[static_cast<size_t>(axis)];
  HostTensor indices(DataType::INT32, ctx.tensor(index_input).shape);
  auto out = indices.as<int32_t>();
  for (size_t i = 0; i < values->size(); ++i) {
    const int64_t v = (*values)[i];
    // With an unknown axis size only the int32 range can be checked here;
    // the reference kernel checks the bound size.
    const bool in_range = dim == kUnknownDim
                              ? v >= std::numeric_limits<int32_t>::min() &&
                                    v <= std::numeric_limits<int32_t>::max()
                              : v >= -dim && v < dim;
    if (!in_range)
      ctx.fail("index " + std::to_string(v) + " is out of range for axis " + std::to_string(axis) +
               " of data " + shape_to_string(shape));
    out[i] = static_cast<int32_t>(v);
  }
  const int constant = ctx.graph().add_constant(ctx.node().input(1) + "_int32", indices);
  ctx.add_node(std::make_unique<ops::GatherOp>(static_cast<int>(axis)), {data, constant});
}

}  // namespace fennec::onnx_import
