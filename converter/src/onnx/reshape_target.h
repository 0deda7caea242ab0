// Turns a Reshape target shape, known as values under the probes of the
// symbolic input dims (see host_value.h), into the runtime's ReshapeOptions
// form: per output dim a literal size, a copy of an input dim, or -1.
#pragma once

#include <cstdint>
#include <vector>

#include "onnx/import_context.h"

namespace fennec::onnx_import {

struct ReshapeTarget {
  std::vector<int64_t> shape;    // literal size or -1 (inferred)
  std::vector<int32_t> copy_from;  // input dim to copy, or -1
};

// `data` is the tensor being reshaped; `target` the target values under each
// probe. ONNX semantics: 0 copies the input dim at the same index unless
// `allow_zero`; one -1 is inferred. A target element that depends on the
// input size must equal some input dim (it then copies it) or be the one
// inferred dim; otherwise the conversion fails naming the node.
ReshapeTarget resolve_reshape_target(ImportContext& ctx, int data, const ProbedValue& target,
                                     bool allow_zero);

}  // namespace fennec::onnx_import
