#include <limits>

#include "ops/binary.h"
#include "vulkan/ops/kernels.h"

namespace fennec::vulkan {
namespace {

constexpr size_t kMaxRank = 6;

// Variants inside binary.comp; the fast ones skip the per-element index
// decomposition, which dominates the kernel's cost on broadcasts.
enum BinaryMode : uint32_t {
  kBroadcast = 0,
  kSameShape = 1,
  kScalarB = 2,
  kScalarA = 3,
};

struct BinaryPush {
  uint32_t count;
  uint32_t mode;
  int32_t op;
  int32_t act;
  float alpha;
  float beta;
  uint32_t dims[kMaxRank];
  uint32_t stride_a[kMaxRank];
  uint32_t stride_b[kMaxRank];
};
static_assert(sizeof(BinaryPush) == 96, "must match the push block of binary.comp");

// Strides of `shape` aligned right against rank 6, 0 on broadcast axes.
void broadcast_strides(const Shape& shape, uint32_t (&strides)[kMaxRank]) {
  const size_t offset = kMaxRank - shape.size();
  uint64_t stride = 1;
  for (size_t i = 0; i < kMaxRank; ++i) strides[i] = 0;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[offset + i] = shape[i] == 1 ? 0 : static_cast<uint32_t>(stride);
    stride *= static_cast<uint64_t>(shape[i]);
  }
}

}  // namespace

Status record_binary(const ops::Op& op, Recorder& recorder, std::span<const TensorBinding> inputs,
                     std::span<const TensorBinding> outputs) {
  const auto& binary = static_cast<const ops::BinaryOp&>(op);
  const Shape& out = outputs[0].shape;
  const Shape& a = inputs[0].shape;
  const Shape& b = inputs[1].shape;
  if (out.size() > kMaxRank)
    return make_error(StatusCode::kUnsupported, "{}: output rank {} exceeds {}", op.type_name(),
                      out.size(), kMaxRank);
  const int64_t count = element_count(out);
  if (count > std::numeric_limits<uint32_t>::max())
    return make_error(StatusCode::kUnsupported,
                      "{}: output {} has more than 2^32-1 elements; split the tensor",
                      op.type_name(), shape_to_string(out));
  if (count == 0) return ok_status();

  BinaryPush push{};
  push.count = static_cast<uint32_t>(count);
  push.op = binary.function_code();
  const ops::Activation& act = binary.activation();
  push.act = static_cast<int32_t>(act.kind);
  push.alpha = act.alpha;
  push.beta = act.beta;

  // An input with as many elements as the output has its layout (only size-1
  // axes can differ), so both index it with the output's linear index.
  const int64_t na = element_count(a), nb = element_count(b);
  if (na == count && nb == count) {
    push.mode = kSameShape;
  } else if (na == count && nb == 1) {
    push.mode = kScalarB;
  } else if (na == 1 && nb == count) {
    push.mode = kScalarA;
  } else {
    push.mode = kBroadcast;
    const size_t offset = kMaxRank - out.size();
    for (size_t i = 0; i < kMaxRank; ++i)
      push.dims[i] = i < offset ? 1u : static_cast<uint32_t>(out[i - offset]);
    broadcast_strides(a, push.stride_a);
    broadcast_strides(b, push.stride_b);
  }
  return recorder.dispatch(ShaderId::binary,
                           {inputs[0].slice, inputs[1].slice, outputs[0].slice}, push,
                           push.count);
}

}  // namespace fennec::vulkan
