// The shared dispatch of strided_copy.comp for the ops that read their input
// through a StridedView (TRANSPOSE, SLICE, EXPAND).
#pragma once

#include "ops/strided.h"
#include "vulkan/recorder.h"

namespace fennec::vulkan {

// Records y = x read through `view`. Fails with kUnsupported naming `op` when
// the simplified view has rank above 6 or the sizes exceed 32-bit indexing.
Status record_strided_copy(const ops::Op& op, Recorder& recorder, const ops::StridedView& view,
                           const TensorBinding& x, const TensorBinding& y);

}  // namespace fennec::vulkan
