#include "ops/binary.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

namespace fennec::ops {
namespace {

// The Vulkan kernel pads shapes to this rank (its push constants hold six
// dims and two stride sets), so the reference enforces the same limit.
constexpr size_t kMaxRank = 6;

bool is_binary_type(OpType type) {
  return type == OpType::ADD || type == OpType::SUB || type == OpType::MUL ||
         type == OpType::DIV || type == OpType::POW || type == OpType::MAXIMUM ||
         type == OpType::MINIMUM;
}

// Row-major strides of `shape` aligned right against rank kMaxRank, with 0 on
// axes where the input is broadcast (size 1, or missing).
std::array<int64_t, kMaxRank> broadcast_strides(const Shape& shape) {
  std::array<int64_t, kMaxRank> strides{};
  const size_t offset = kMaxRank - shape.size();
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[offset + i] = shape[i] == 1 ? 0 : stride;
    stride *= shape[i];
  }
  return strides;
}

}  // namespace

Result<Shape> broadcast_shapes(const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Missing leading dims behave as 1.
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == kUnknownDim || db == kUnknownDim) {
      // An unknown dim is either 1 or equal to the other, so a known other
      // dim other than 1 decides the result; otherwise it stays unknown.
      const int64_t known = da == kUnknownDim ? db : da;
      out[i] = (known != kUnknownDim && known != 1) ? known : kUnknownDim;
    } else if (da == db || db == 1) {
      out[i] = da;
    } else if (da == 1) {
      out[i] = db;
    } else {
      return make_error(StatusCode::kInvalidModel,
                        "shapes {} and {} do not broadcast: axis {} has sizes {} and {}",
                        shape_to_string(a), shape_to_string(b), i, da, db);
    }
  }
  return out;
}

int BinaryOp::function_code() const {
  switch (type_) {
    case OpType::ADD: return 0;
    case OpType::SUB: return 1;
    case OpType::MUL: return 2;
    case OpType::DIV: return 3;
    case OpType::POW: return 4;
    case OpType::MAXIMUM: return 5;
    case OpType::MINIMUM: return 6;
    default: return 0;
  }
}

Status BinaryOp::infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const {
  if (inputs.size() != 2)
    return make_error(StatusCode::kInvalidModel, "{} takes 2 inputs, got {}", type_name(),
                      inputs.size());
  for (size_t i = 0; i < 2; ++i)
    if (inputs[i].size() > kMaxRank)
      return make_error(StatusCode::kUnsupported,
                        "{}: input {} has rank {} ({}); at most {} is supported", type_name(), i,
                        inputs[i].size(), shape_to_string(inputs[i]), kMaxRank);
  auto shape = broadcast_shapes(inputs[0], inputs[1]);
  if (!shape.ok()) return shape.status().with_context(type_name());
  outputs = {std::move(shape).value()};
  return ok_status();
}

Status BinaryOp::reference(std::span<const HostTensor* const> inputs,
                           std::span<HostTensor> outputs) const {
  const HostTensor& a = *inputs[0];
  const HostTensor& b = *inputs[1];
  HostTensor& y = outputs[0];
  if (y.shape.size() > kMaxRank)
    return make_error(StatusCode::kUnsupported, "{}: output rank {} exceeds {}", type_name(),
                      y.shape.size(), kMaxRank);

  Shape out(kMaxRank, 1);
  std::copy(y.shape.begin(), y.shape.end(), out.end() - static_cast<ptrdiff_t>(y.shape.size()));
  const auto sa = broadcast_strides(a.shape);
  const auto sb = broadcast_strides(b.shape);
  auto xa = a.as<float>();
  auto xb = b.as<float>();
  auto dst = y.as<float>();
  const int code = function_code();

  std::array<int64_t, kMaxRank> idx{};
  for (size_t i = 0; i < dst.size(); ++i) {
    int64_t ia = 0, ib = 0;
    for (size_t d = 0; d < kMaxRank; ++d) {
      ia += idx[d] * sa[d];
      ib += idx[d] * sb[d];
    }
    const float va = xa[static_cast<size_t>(ia)];
    const float vb = xb[static_cast<size_t>(ib)];
    float v = 0.0f;
    switch (code) {
      case 0: v = va + vb; break;
      case 1: v = va - vb; break;
      case 2: v = va * vb; break;
      case 3: v = va / vb; break;
      case 4: v = std::pow(va, vb); break;
      case 5: v = std::max(va, vb); break;
      default: v = std::min(va, vb); break;
    }
    dst[i] = activation_.apply(v);
    // Odometer increment over the padded output shape.
    for (size_t d = kMaxRank; d-- > 0;) {
      if (++idx[d] < out[d]) break;
      idx[d] = 0;
    }
  }
  return ok_status();
}

OptionsOffset BinaryOp::write_options(flatbuffers::FlatBufferBuilder& fbb) const {
  auto activation = activation_.write(fbb);
  return {schema::OpOptions::BinaryOptions,
          schema::CreateBinaryOptions(fbb, activation).Union()};
}

std::string BinaryOp::describe() const {
  if (activation_.is_none()) return {};
  return fmt::format("activation={}", activation_.to_string());
}

Result<std::unique_ptr<Op>> make_binary(const schema::Operator& op) {
  if (!is_binary_type(op.type()))
    return make_error(StatusCode::kInternal, "make_binary called for {}",
                      schema::EnumNameOpType(op.type()));
  Activation activation;
  if (op.options_type() != schema::OpOptions::NONE) {
    const auto* options = op.options_as_BinaryOptions();
    if (!options)
      return make_error(StatusCode::kInvalidModel, "{} has {} instead of BinaryOptions",
                        schema::EnumNameOpType(op.type()),
                        schema::EnumNameOpOptions(op.options_type()));
    activation = Activation::from_schema(options->activation());
    FENNEC_RETURN_IF_ERROR(check_activation(activation, schema::EnumNameOpType(op.type())));
  }
  return std::unique_ptr<Op>(std::make_unique<BinaryOp>(op.type(), activation));
}

}  // namespace fennec::ops
