#include <cstdint>
#include <limits>

#include "ops/attention.h"
#include "ops/batch_broadcast.h"
#include "vulkan/ops/kernels.h"

namespace fennec::vulkan {
namespace {

struct AttentionPush {
  uint32_t s, t, d, dv;
  uint32_t batches, chunks;
  uint32_t dim1, dim2;
  uint32_t q_s[3], k_s[3], v_s[3], m_s[3];
  uint32_t mask_s, mask_t;
  uint32_t has_mask;
  float scale;
};
static_assert(sizeof(AttentionPush) == 96, "must match the push block of attention.comp");

static_assert(kDefaultWorkgroupSize == 64, "attention.comp scores 64 K rows per block");
// Output columns per workgroup (64 lanes x 4 accumulators).
constexpr uint64_t kChunk = 256;
constexpr size_t kMaxBatchAxes = 3;

bool fits_u32(int64_t v) { return v >= 0 && v <= std::numeric_limits<uint32_t>::max(); }

}  // namespace

Status record_attention(const ops::Op& op, Recorder& recorder,
                        std::span<const TensorBinding> inputs,
                        std::span<const TensorBinding> outputs) {
  const auto& attention = static_cast<const ops::AttentionOp&>(op);
  const Shape& qs = inputs[0].shape;
  const Shape& ks = inputs[1].shape;
  const Shape& vs = inputs[2].shape;
  const bool has_mask = inputs.size() > 3 && inputs[3].slice.valid();
  FENNEC_ASSIGN_OR_RETURN(ops::AttentionDims d, ops::AttentionOp::dims(qs, ks, vs));
  const ops::MaskLayout mask = ops::mask_layout(has_mask ? inputs[3].shape : Shape{});
  const Shape batches[] = {Shape(qs.begin(), qs.end() - 2), Shape(ks.begin(), ks.end() - 2),
                           Shape(vs.begin(), vs.end() - 2), mask.batch};
  const int64_t sizes[] = {d.s * d.d, d.t * d.d, d.t * d.dv, mask.matrix};
  const ops::BatchLayout layout = ops::make_batch_layout(d.batch, batches, sizes);
  if (layout.dims.size() > kMaxBatchAxes)
    return make_error(StatusCode::kUnsupported,
                      "ATTENTION kernel: Q {}, K {}, V {} broadcast over {} separate batch axes; "
                      "at most {} are supported (reshape to merge batch axes)",
                      shape_to_string(qs), shape_to_string(ks), shape_to_string(vs),
                      layout.dims.size(), kMaxBatchAxes);

  AttentionPush push{};
  const size_t pad = kMaxBatchAxes - layout.dims.size();
  uint32_t dims[kMaxBatchAxes] = {1, 1, 1};
  uint32_t* strides[] = {push.q_s, push.k_s, push.v_s, push.m_s};
  for (size_t i = 0; i < layout.dims.size(); ++i) {
    dims[pad + i] = static_cast<uint32_t>(layout.dims[i]);
    for (size_t operand = 0; operand < 4; ++operand)
      strides[operand][pad + i] = static_cast<uint32_t>(layout.strides[operand][i]);
  }
  push.dim1 = dims[1];
  push.dim2 = dims[2];

  const uint64_t chunks = (static_cast<uint64_t>(d.dv) + kChunk - 1) / kChunk;
  const uint64_t groups = static_cast<uint64_t>(layout.count()) * static_cast<uint64_t>(d.s) * chunks;
  bool fits = fits_u32(element_count(qs)) && fits_u32(element_count(ks)) &&
              fits_u32(element_count(vs)) && fits_u32(element_count(outputs[0].shape)) &&
              groups <= std::numeric_limits<uint32_t>::max();
  if (has_mask) fits = fits && fits_u32(element_count(inputs[3].shape));
  if (!fits)
    return make_error(StatusCode::kUnsupported,
                      "ATTENTION kernel: Q {}, K {}, V {} exceed 32-bit indexing; split the batch",
                      shape_to_string(qs), shape_to_string(ks), shape_to_string(vs));
  if (groups == 0) return ok_status();  // an empty output
  push.s = static_cast<uint32_t>(d.s);
  push.t = static_cast<uint32_t>(d.t);
  push.d = static_cast<uint32_t>(d.d);
  push.dv = static_cast<uint32_t>(d.dv);
  push.batches = static_cast<uint32_t>(layout.count());
  push.chunks = static_cast<uint32_t>(chunks);
  push.mask_s = static_cast<uint32_t>(mask.s_stride);
  push.mask_t = static_cast<uint32_t>(mask.t_stride);
  push.has_mask = has_mask ? 1 : 0;
  push.scale = attention.scale();

  const BufferSlice mask_slice = has_mask ? inputs[3].slice : recorder.dummy_buffer();
  return recorder.dispatch(ShaderId::attention,
                           {inputs[0].slice, inputs[1].slice, inputs[2].slice, mask_slice,
                            outputs[0].slice},
                           push, groups * kDefaultWorkgroupSize);
}

}  // namespace fennec::vulkan
