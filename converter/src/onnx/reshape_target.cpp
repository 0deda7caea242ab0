#include "onnx/reshape_target.h"

namespace fennec::onnx_import {

ReshapeTarget resolve_reshape_target(ImportContext& ctx, int data, const ProbedValue& target,
                                     bool allow_zero) {
  if (target[0].shape.size() != 1)
    ctx.fail("the Reshape target must be 1-D, got " + shape_to_string(target[0].shape));
  const size_t rank = target[0].v.size();
  const Shape in[kProbes] = {ctx.probe_shape(data, 0), ctx.probe_shape(data, 1)};
  ReshapeTarget out{std::vector<int64_t>(rank, 0), std::vector<int32_t>(rank, -1)};
  int inferred = -1;
  auto infer_here = [&](size_t i) {
    if (inferred >= 0)
      ctx.fail("the Reshape target has two dimensions (" + std::to_string(inferred) + " and " +
               std::to_string(i) + ") that depend on the input size and match no input dimension; "
               "only one can be inferred");
    inferred = static_cast<int>(i);
    out.shape[i] = -1;
  };
  for (size_t i = 0; i < rank; ++i) {
    const int64_t a = target[0].as_int(i), b = target[1].as_int(i);
    if (a == b) {
      if (a == 0 && !allow_zero) {
        if (i >= in[0].size()) ctx.fail("Reshape target copies input dim " + std::to_string(i) + ", which does not exist");
        out.copy_from[i] = static_cast<int32_t>(i);
      } else if (a == -1) {
        infer_here(i);
      } else {
        out.shape[i] = a;
      }
      continue;
    }
    // Input-size dependent: copy the input dim that has the same value under
    // both probes, preferring the same index.
    int match = -1;
    for (size_t k = 0; k < in[0].size(); ++k)
      if (in[0][k] == a && in[1][k] == b && (match < 0 || k == i)) match = static_cast<int>(k);
    if (match >= 0)
      out.copy_from[i] = match;
    else
      infer_here(i);
  }
  return out;
}

}  // namespace fennec::onnx_import
