#include "ops/reduce.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace fennec::ops {
namespace {

// Running state of one reduction; double keeps long sums and products
// accurate enough to serve as the oracle.
struct Accumulator {
  ReduceKind kind;
  double value = 0.0;
  int64_t count = 0;

  void start() {
    count = 0;
    switch (kind) {
      case ReduceKind::MAXIMUM: value = -std::numeric_limits<double>::infinity(); break;
      case ReduceKind::MINIMUM: value = std::numeric_limits<double>::infinity(); break;
      case ReduceKind::PROD: value = 1.0; break;
      default: value = 0.0; break;
    }
  }
  void add(double x) {
    ++count;
    switch (kind) {
      case ReduceKind::MAXIMUM: value = std::max(value, x); break;
      case ReduceKind::MINIMUM: value = std::min(value, x); break;
      case ReduceKind::PROD: value *= x; break;
      case ReduceKind::L1: value += std::fabs(x); break;
      case ReduceKind::L2:
      case ReduceKind::SUM_SQUARE: value += x * x; break;
      default: value += x; break;  // SUM, MEAN, LOG_SUM; LOG_SUM_EXP adds exp(x - max)
    }
  }
  double finish(double shift) const {
    switch (kind) {
      case ReduceKind::MEAN: return value / static_cast<double>(count);
      case ReduceKind::L2: return std::sqrt(value);
      case ReduceKind::LOG_SUM: return std::log(value);
      case ReduceKind::LOG_SUM_EXP: return std::log(value) + shift;
      default: return value;
    }
  }
};

}  // namespace

std::vector<bool> ReduceOp::reduced_mask(size_t rank) const {
  std::vector<bool> mask(rank, axes_.empty());
  for (int a : axes_)
    if (static_cast<size_t>(a) < rank) mask[static_cast<size_t>(a)] = true;
  return mask;
}

Status ReduceOp::infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const {
  if (inputs.size() != 1)
    return make_error(StatusCode::kInvalidModel, "REDUCE takes 1 input, got {}", inputs.size());
  const Shape& in = inputs[0];
  for (int a : axes_)
    if (a < 0 || static_cast<size_t>(a) >= in.size())
      return make_error(StatusCode::kInvalidModel,
                        "REDUCE: axis {} is out of range for input {}", a, shape_to_string(in));
  const std::vector<bool> mask = reduced_mask(in.size());
  Shape out;
  for (size_t d = 0; d < in.size(); ++d) {
    if (!mask[d]) out.push_back(in[d]);
    else if (keep_dims_) out.push_back(1);
  }
  outputs = {std::move(out)};
  return ok_status();
}

Status ReduceOp::reference(std::span<const HostTensor* const> inputs,
                           std::span<HostTensor> outputs) const {
  FENNEC_RETURN_IF_ERROR(require_float32(*this, inputs));
  const Shape& shape = inputs[0]->shape;
  const size_t rank = shape.size();
  const std::vector<bool> mask = reduced_mask(rank);
  // Row-major input strides, and for each input element the output element
  // it folds into (the input index with reduced coordinates dropped).
  std::vector<int64_t> out_stride(rank, 0);
  int64_t stride = 1;
  for (size_t d = rank; d-- > 0;) {
    if (mask[d]) continue;
    out_stride[d] = stride;
    stride *= shape[d];
  }
  auto x = inputs[0]->as<float>();
  auto y = outputs[0].as<float>();
  const size_t out_count = y.size();

  // Two sweeps: LOG_SUM_EXP needs each output's maximum before summing.
  std::vector<double> shift(out_count, 0.0);
  std::vector<Accumulator> acc(out_count, Accumulator{kind_});
  auto for_each = [&](auto&& fn) {
    std::vector<int64_t> idx(rank, 0);
    for (size_t i = 0; i < x.size(); ++i) {
      int64_t o = 0;
      for (size_t d = 0; d < rank; ++d) o += idx[d] * out_stride[d];
      fn(static_cast<size_t>(o), static_cast<double>(x[i]));
      for (size_t d = rank; d-- > 0;) {
        if (++idx[d] < shape[d]) break;
        idx[d] = 0;
      }
    }
  };
  if (kind_ == ReduceKind::LOG_SUM_EXP) {
    std::fill(shift.begin(), shift.end(), -std::numeric_limits<double>::infinity());
    for_each([&](size_t o, double v) { shift[o] = std::max(shift[o], v); });
    // An all -inf (or empty) row has sum 0: log gives -inf as it should.
    for (double& s : shift)
      if (!std::isfinite(s)) s = 0.0;
  }
  for (Accumulator& a : acc) a.start();
  if (kind_ == ReduceKind::LOG_SUM_EXP)
    for_each([&](size_t o, double v) { acc[o].add(std::exp(v - shift[o])); });
  else
    for_each([&](size_t o, double v) { acc[o].add(v); });
  for (size_t o = 0; o < out_count; ++o) y[o] = static_cast<float>(acc[o].finish(shift[o]));
  return ok_status();
}

OptionsOffset ReduceOp::write_options(flatbuffers::FlatBufferBuilder& fbb) const {
  auto axes = fbb.CreateVector(axes_);
  return {schema::OpOptions::ReduceOptions,
          schema::CreateReduceOptions(fbb, kind_, axes, keep_dims_).Union()};
}

std::string ReduceOp::describe() const {
  return fmt::format("{} axes=[{}]{}", schema::EnumNameReduceKind(kind_), fmt::join(axes_, ","),
                     keep_dims_ ? " keep_dims" : "");
}

Result<std::unique_ptr<Op>> make_reduce(const schema::Operator& op) {
  const auto* options = op.options_as_ReduceOptions();
  if (!options) return make_error(StatusCode::kInvalidModel, "REDUCE without ReduceOptions");
  if (options->kind() > ReduceKind::MAX)
    return make_error(StatusCode::kInvalidModel,
                      "REDUCE: kind code {} is unknown; the model is newer than this runtime or "
                      "corrupt",
                      static_cast<int>(options->kind()));
  std::vector<int> axes;
  if (options->axes()) axes.assign(options->axes()->begin(), options->axes()->end());
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i] < 0 || (i > 0 && axes[i] <= axes[i - 1]))
      return make_error(StatusCode::kInvalidModel,
                        "REDUCE: axes [{}] must be non-negative, sorted and distinct; the "
                        "converter normalizes them",
                        fmt::join(axes, ","));
  return std::unique_ptr<Op>(
      std::make_unique<ReduceOp>(options->kind(), std::move(axes), options->keep_dims()));
}

}  // namespace fennec::ops
