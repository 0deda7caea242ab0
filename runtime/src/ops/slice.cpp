#include "ops/slice.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace fennec::ops {
namespace {

Status validate(const SliceParams& p) {
  const size_t n = p.axes.size();
  if (p.starts.size() != n || p.ends.size() != n || (!p.steps.empty() && p.steps.size() != n))
    return make_error(StatusCode::kInvalidModel,
                      "SLICE: axes, starts, ends and steps must have one entry per sliced axis "
                      "(got {}, {}, {}, {})",
                      n, p.starts.size(), p.ends.size(), p.steps.size());
  for (size_t i = 0; i < n; ++i) {
    if (p.axes[i] < 0)
      return make_error(StatusCode::kInvalidModel,
                        "SLICE: axis {} is negative; the converter must normalize it", p.axes[i]);
    if (std::count(p.axes.begin(), p.axes.end(), p.axes[i]) > 1)
      return make_error(StatusCode::kInvalidModel, "SLICE: axis {} is listed twice", p.axes[i]);
    if (!p.steps.empty() && p.steps[i] == 0)
      return make_error(StatusCode::kInvalidModel, "SLICE: step 0 on axis {}", p.axes[i]);
  }
  return ok_status();
}

struct AxisRange {
  int64_t start;
  int64_t count;
};

// ONNX Slice's clamping of one axis of size `dim`.
AxisRange resolve(int64_t dim, int64_t start, int64_t end, int64_t step) {
  if (dim == 0) return {0, 0};
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    return {start, end > start ? (end - start - 1) / step + 1 : 0};
  }
  start = std::clamp<int64_t>(start, 0, dim - 1);
  end = std::clamp<int64_t>(end, -1, dim - 1);
  return {start, start > end ? (start - end - 1) / -step + 1 : 0};
}

}  // namespace

Status SliceOp::infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const {
  if (inputs.size() != 1)
    return make_error(StatusCode::kInvalidModel, "SLICE takes 1 input, got {}", inputs.size());
  FENNEC_RETURN_IF_ERROR(validate(params_));
  Shape out = inputs[0];
  for (size_t i = 0; i < params_.axes.size(); ++i) {
    const auto axis = static_cast<size_t>(params_.axes[i]);
    if (axis >= out.size())
      return make_error(StatusCode::kInvalidModel, "SLICE: axis {} is out of range for input {}",
                        axis, shape_to_string(inputs[0]));
    if (out[axis] == kUnknownDim) continue;
    const int64_t step = params_.steps.empty() ? 1 : params_.steps[i];
    out[axis] = resolve(out[axis], params_.starts[i], params_.ends[i], step).count;
  }
  outputs = {std::move(out)};
  return ok_status();
}

StridedView SliceOp::view(const Shape& in) const {
  StridedView v{in, dense_strides(in), 0};
  for (size_t i = 0; i < params_.axes.size(); ++i) {
    const auto axis = static_cast<size_t>(params_.axes[i]);
    const int64_t step = params_.steps.empty() ? 1 : params_.steps[i];
    const AxisRange r = resolve(in[axis], params_.starts[i], params_.ends[i], step);
    v.dims[axis] = r.count;
    // An empty axis has no start inside the input; any offset works then.
    if (r.count > 0) v.offset += r.start * v.strides[axis];
    v.strides[axis] *= step;
  }
  return v;
}

Status SliceOp::reference(std::span<const HostTensor* const> inputs,
                          std::span<HostTensor> outputs) const {
  FENNEC_RETURN_IF_ERROR(require_float32(*this, inputs));
  copy_strided(view(inputs[0]->shape), inputs[0]->as<float>().data(),
               outputs[0].as<float>().data());
  return ok_status();
}

OptionsOffset SliceOp::write_options(flatbuffers::FlatBufferBuilder& fbb) const {
  auto axes = fbb.CreateVector(params_.axes);
  auto starts = fbb.CreateVector(params_.starts);
  auto ends = fbb.CreateVector(params_.ends);
  auto steps = params_.steps.empty() ? 0 : fbb.CreateVector(params_.steps);
  return {schema::OpOptions::SliceOptions,
          schema::CreateSliceOptions(fbb, axes, starts, ends, steps).Union()};
}

std::string SliceOp::describe() const {
  std::string s = fmt::format("axes=[{}] starts=[{}] ends=[{}]", fmt::join(params_.axes, ","),
                              fmt::join(params_.starts, ","), fmt::join(params_.ends, ","));
  if (!params_.steps.empty()) s += fmt::format(" steps=[{}]", fmt::join(params_.steps, ","));
  return s;
}

Result<std::unique_ptr<Op>> make_slice(const schema::Operator& op) {
  const auto* options = op.options_as_SliceOptions();
  if (!options || !options->axes() || !options->starts() || !options->ends())
    return make_error(StatusCode::kInvalidModel,
                      "SLICE without SliceOptions axes, starts and ends");
  SliceParams p;
  p.axes.assign(options->axes()->begin(), options->axes()->end());
  p.starts.assign(options->starts()->begin(), options->starts()->end());
  p.ends.assign(options->ends()->begin(), options->ends()->end());
  if (options->steps()) p.steps.assign(options->steps()->begin(), options->steps()->end());
  FENNEC_RETURN_IF_ERROR(validate(p));
  return std::unique_ptr<Op>(std::make_unique<SliceOp>(std::move(p)));
}

}  // namespace fennec::ops
