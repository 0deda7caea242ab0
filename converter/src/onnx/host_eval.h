// Host evaluation of shape, integer and boolean ONNX nodes at conversion
// time (see host_value.h for the probing of symbolic dimensions).
#pragma once

#include "onnx/import_context.h"

namespace fennec::onnx_import {

// Evaluates the current node of `ctx` on the host when its op type has a
// host evaluator and every input it reads is known at conversion time, and
// binds its outputs (constants, or probed values when they depend on the
// input size). Returns false, changing nothing, when the node is for the
// runtime instead.
bool try_host_evaluation(ImportContext& ctx);

}  // namespace fennec::onnx_import
