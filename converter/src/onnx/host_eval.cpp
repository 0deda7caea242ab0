// Host evaluation of ONNX nodes whose inputs are all known at conversion
// time and that compute shapes, integers or booleans (see host_value.h).
// Float arithmetic on float constants is left to the runtime ops and the
// constant-folding pass, which use the reference kernels' fp32 semantics.
#include "onnx/host_eval.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>

#include "onnx/tensor_proto.h"

namespace fennec::onnx_import {
namespace {

using Inputs = std::vector<std::optional<HostValue>>;
using EvalFn = std::vector<HostValue> (*)(ImportContext&, int probe, const Inputs&);

bool is_integer(DataType t) {
  return t == DataType::INT64 || t == DataType::INT32 || t == DataType::INT8 ||
         t == DataType::UINT8 || t == DataType::BOOL;
}

const HostValue& need(ImportContext& ctx, const Inputs& in, size_t i) {
  if (i >= in.size() || !in[i]) ctx.fail("missing required input " + std::to_string(i));
  return *in[i];
}

int64_t normalize_axis(ImportContext& ctx, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1))
    ctx.fail("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

std::vector<int64_t> ints_of(const HostValue& v) {
  std::vector<int64_t> out(v.v.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = v.as_int(i);
  return out;
}

// Row-major strides of `shape`.
std::vector<int64_t> strides_of(const Shape& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;) s[d - 1] = s[d] * shape[d];
  return s;
}

// Numpy broadcasting of any number of operands.
Shape broadcast_shape(ImportContext& ctx, const std::vector<const HostValue*>& xs) {
  size_t rank = 0;
  for (const HostValue* x : xs) rank = std::max(rank, x->shape.size());
  Shape out(rank, 1);
  for (const HostValue* x : xs) {
    for (size_t d = 0; d < x->shape.size(); ++d) {
      const size_t o = rank - x->shape.size() + d;
      const int64_t dim = x->shape[d];
      if (dim == out[o] || dim == 1) continue;
      if (out[o] != 1) ctx.fail("operand shapes " + shape_to_string(x->shape) + " do not broadcast");
      out[o] = dim;
    }
  }
  return out;
}

// The flat index into `x` of output element `flat` under broadcasting.
size_t broadcast_index(const HostValue& x, const Shape& out, const std::vector<int64_t>& out_strides,
                       int64_t flat) {
  const size_t offset = out.size() - x.shape.size();
  int64_t index = 0, stride = 1;
  for (size_t d = x.shape.size(); d-- > 0;) {
    const int64_t coord = (flat / out_strides[d + offset]) % out[d + offset];
    if (x.shape[d] != 1) index += coord * stride;
    stride *= x.shape[d];
  }
  return static_cast<size_t>(index);
}

HostValue elementwise(ImportContext& ctx, const std::vector<const HostValue*>& xs, DataType dtype,
                      const std::function<double(const std::vector<double>&)>& fn) {
  HostValue out;
  out.dtype = dtype;
  out.shape = broadcast_shape(ctx, xs);
  const auto strides = strides_of(out.shape);
  out.v.resize(static_cast<size_t>(out.count()));
  std::vector<double> args(xs.size());
  for (int64_t i = 0; i < out.count(); ++i) {
    for (size_t k = 0; k < xs.size(); ++k) args[k] = xs[k]->v[broadcast_index(*xs[k], out.shape, strides, i)];
    out.v[static_cast<size_t>(i)] = fn(args);
  }
  return out;
}

double integer_result(DataType dtype, double x) { return is_integer(dtype) ? std::trunc(x) : x; }

template <int Kind>
std::vector<HostValue> eval_arith(ImportContext& ctx, int, const Inputs& in) {
  const HostValue& a = need(ctx, in, 0);
  const HostValue& b = need(ctx, in, 1);
  const DataType t = a.dtype;
  return {elementwise(ctx, {&a, &b}, t, [&](const std::vector<double>& x) {
    switch (Kind) {
      case 0: return integer_result(t, x[0] + x[1]);
      case 1: return integer_result(t, x[0] - x[1]);
      case 2: return integer_result(t, x[0] * x[1]);
      case 3:
        if (is_integer(t) && x[1] == 0) ctx.fail("integer division by zero");
        return integer_result(t, x[0] / x[1]);
      case 4: return std::min(x[0], x[1]);
      case 5: return std::max(x[0], x[1]);
      case 7: return integer_result(t, std::pow(x[0], x[1]));
      default: {
        // Mod: fmod=0 takes the divisor's sign (integers only in ONNX).
        if (x[1] == 0) ctx.fail("integer modulo by zero");
        double r = std::fmod(x[0], x[1]);
        if (ctx.attr_int("fmod", 0) == 0 && r != 0 && ((r < 0) != (x[1] < 0))) r += x[1];
        return r;
      }
    }
  })};
}

template <int Kind>
std::vector<HostValue> eval_compare(ImportContext& ctx, int, const Inputs& in) {
  const HostValue& a = need(ctx, in, 0);
  const HostValue& b = need(ctx, in, 1);
  return {elementwise(ctx, {&a, &b}, DataType::BOOL, [](const std::vector<double>& x) {
    switch (Kind) {
      case 0: return double(x[0] == x[1]);
      case 1: return double(x[0] > x[1]);
      case 2: return double(x[0] < x[1]);
      case 3: return double(x[0] >= x[1]);
      case 4: return double(x[0] <= x[1]);
      case 5: return double((x[0] != 0) && (x[1] != 0));
      case 6: return double((x[0] != 0) || (x[1] != 0));
      default: return double((x[0] != 0) != (x[1] != 0));
    }
  })};
}

std::vector<HostValue> eval_not(ImportContext& ctx, int, const Inputs& in) {
  HostValue out = need(ctx, in, 0);
  for (double& x : out.v) x = x == 0 ? 1 : 0;
  out.dtype = DataType::BOOL;
  return {out};
}

std::vector<HostValue> eval_unary_int(ImportContext& ctx, int, const Inputs& in) {
  HostValue out = need(ctx, in, 0);
  const bool neg = ctx.node().op_type() == "Neg";
  for (double& x : out.v) x = neg ? -x : std::fabs(x);
  return {out};
}

std::vector<HostValue> eval_where(ImportContext& ctx, int, const Inputs& in) {
  const HostValue& c = need(ctx, in, 0);
  const HostValue& a = need(ctx, in, 1);
  const HostValue& b = need(ctx, in, 2);
  return {elementwise(ctx, {&c, &a, &b}, a.dtype,
                      [](const std::vector<double>& x) { return x[0] != 0 ? x[1] : x[2]; })};
}

std::vector<HostValue> eval_shape(ImportContext& ctx, int probe, const Inputs&) {
  Shape shape = ctx.probe_shape(ctx.input(0), probe);
  const auto rank = static_cast<int64_t>(shape.size());
  auto clamp_axis = [&](int64_t a) { return std::clamp<int64_t>(a < 0 ? a + rank : a, 0, rank); };
  const int64_t start = clamp_axis(ctx.attr_int("start", 0));
  const int64_t end = clamp_axis(ctx.attr_int("end", rank));
  HostValue out;
  out.shape = {std::max<int64_t>(end - start, 0)};
  for (int64_t d = start; d < end; ++d) out.v.push_back(static_cast<double>(shape[static_cast<size_t>(d)]));
  return {out};
}

std::vector<HostValue> eval_size(ImportContext& ctx, int probe, const Inputs&) {
  HostValue out;
  out.shape = {};
  out.v = {static_cast<double>(element_count(ctx.probe_shape(ctx.input(0), probe)))};
  return {out};
}

std::vector<HostValue> eval_cast(ImportContext& ctx, int, const Inputs& in) {
  HostValue out = need(ctx, in, 0);
  out.dtype = dtype_from_onnx(static_cast<int>(ctx.attr_int("to", 1)), "Cast target");
  if (out.dtype == DataType::BOOL)
    for (double& x : out.v) x = x != 0 ? 1 : 0;
  else if (is_integer(out.dtype))
    for (double& x : out.v) x = std::trunc(x);
  else if (out.dtype == DataType::FLOAT16)
    for (double& x : out.v) x = round_to_half(x);
  else if (out.dtype == DataType::FLOAT32)
    for (double& x : out.v) x = static_cast<float>(x);
  return {out};
}

std::vector<HostValue> eval_identity(ImportContext& ctx, int, const Inputs& in) {
  return {need(ctx, in, 0)};
}

std::vector<HostValue> eval_concat(ImportContext& ctx, int, const Inputs& in) {
  const HostValue& first = need(ctx, in, 0);
  const int64_t rank = static_cast<int64_t>(first.shape.size());
  const auto axis = static_cast<size_t>(normalize_axis(ctx, ctx.attr_int("axis", 0), rank));
  HostValue out;
  out.dtype = first.dtype;
  out.shape = first.shape;
  out.shape[axis] = 0;
  for (size_t k = 0; k < in.size(); ++k) out.shape[axis] += need(ctx, in, k).shape[axis];
  int64_t outer = 1;
  for (size_t d = 0; d < axis; ++d) outer *= first.shape[d];
  for (int64_t o = 0; o < outer; ++o)
    for (size_t k = 0; k < in.size(); ++k) {
      const HostValue& x = *in[k];
      const int64_t block = x.count() / std::max<int64_t>(outer, 1);
      out.v.insert(out.v.end(), x.v.begin() + o * block, x.v.begin() + (o + 1) * block);
    }
  return {out};
}

std::vector<HostValue> eval_gather(ImportContext& ctx, int, const Inputs& in) {
  const HostValue& data = need(ctx, in, 0);
  const HostValue& indices = need(ctx, in, 1);
  const int64_t rank = static_cast<int64_t>(data.shape.size());
  const auto axis = static_cast<size_t>(normalize_axis(ctx, ctx.attr_int("axis", 0), rank));
  HostValue out;
  out.dtype = data.dtype;
  out.shape.assign(data.shape.begin(), data.shape.begin() + static_cast<long>(axis));
  out.shape.insert(out.shape.end(), indices.shape.begin(), indices.shape.end());
  out.shape.insert(out.shape.end(), data.shape.begin() + static_cast<long>(axis) + 1, data.shape.end());
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < axis; ++d) outer *= data.shape[d];
  for (size_t d = axis + 1; d < data.shape.size(); ++d) inner *= data.shape[d];
  const int64_t dim = data.shape[axis];
  for (int64_t o = 0; o < outer; ++o)
    for (size_t k = 0; k < indices.v.size(); ++k) {
      int64_t idx = indices.as_int(k);
      if (idx < 0) idx += dim;
      if (idx < 0 || idx >= dim) ctx.fail("Gather index " + std::to_string(indices.as_int(k)) + " is out of range");
      const auto begin = data.v.begin() + (o * dim + idx) * inner;
      out.v.insert(out.v.end(), begin, begin + inner);
    }
  return {out};
}

// Unsqueeze / Squeeze / Reshape / Flatten of a host value: same elements,
// new shape.
std::vector<HostValue> eval_reshape_like(ImportContext& ctx, int, const Inputs& in) {
  HostValue out = need(ctx, in, 0);
  const std::string& type = ctx.node().op_type();
  const int64_t rank = static_cast<int64_t>(out.shape.size());
  std::vector<int64_t> axes = in.size() > 1 && in[1] ? ints_of(*in[1]) : ctx.attr_ints("axes", {});
  if (type == "Reshape") {
    const auto target = ints_of(need(ctx, in, 1));
    Shape shape(target.begin(), target.end());
    int64_t known = 1, infer = -1;
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] == 0 && ctx.attr_int("allowzero", 0) == 0) shape[d] = out.shape.at(d);
      if (shape[d] == -1) infer = static_cast<int64_t>(d);
      else known *= shape[d];
    }
    if (infer >= 0) shape[static_cast<size_t>(infer)] = known ? out.count() / known : 0;
    if (element_count(shape) != out.count()) ctx.fail("Reshape target does not match the element count");
    out.shape = shape;
  } else if (type == "Flatten") {
    const int64_t axis = normalize_axis(ctx, ctx.attr_int("axis", 1), rank + 1);
    int64_t left = 1;
    for (int64_t d = 0; d < axis; ++d) left *= out.shape[static_cast<size_t>(d)];
    out.shape = {left, left ? out.count() / left : 0};
  } else if (type == "Unsqueeze") {
    const int64_t out_rank = rank + static_cast<int64_t>(axes.size());
    for (int64_t& a : axes) a = normalize_axis(ctx, a, out_rank);
    std::sort(axes.begin(), axes.end());
    for (int64_t a : axes) out.shape.insert(out.shape.begin() + a, 1);
  } else {  // Squeeze
    for (int64_t& a : axes) a = normalize_axis(ctx, a, rank);
    Shape shape;
    for (int64_t d = 0; d < rank; ++d) {
      const bool listed = std::find(axes.begin(), axes.end(), d) != axes.end();
      if ((axes.empty() && out.shape[static_cast<size_t>(d)] == 1) || listed) continue;
      shape.push_back(out.shape[static_cast<size_t>(d)]);
    }
    out.shape = shape;
  }
  return {out};
}

std::vector<HostValue> eval_slice(ImportContext& ctx, int, const Inputs& in) {
  const HostValue& data = need(ctx, in, 0);
  const int64_t rank = static_cast<int64_t>(data.shape.size());
  std::vector<int64_t> starts, ends, axes, steps;
  if (ctx.opset() < 10) {
    starts = ctx.attr_ints("starts", {});
    ends = ctx.attr_ints("ends", {});
    axes = ctx.attr_ints("axes", {});
  } else {
    starts = ints_of(need(ctx, in, 1));
    ends = ints_of(need(ctx, in, 2));
    if (in.size() > 3 && in[3]) axes = ints_of(*in[3]);
    if (in.size() > 4 && in[4]) steps = ints_of(*in[4]);
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  std::vector<int64_t> begin(static_cast<size_t>(rank), 0), step(static_cast<size_t>(rank), 1);
  Shape shape = data.shape;
  for (size_t i = 0; i < axes.size(); ++i) {
    const auto a = static_cast<size_t>(normalize_axis(ctx, axes[i], rank));
    const int64_t dim = data.shape[a], s = steps[i];
    if (s == 0) ctx.fail("Slice step is 0");
    int64_t b = starts[i] < 0 ? starts[i] + dim : starts[i];
    int64_t e = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (s > 0) {
      b = std::clamp<int64_t>(b, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
    } else {
      b = std::clamp<int64_t>(b, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
    }
    begin[a] = b;
    step[a] = s;
    shape[a] = s > 0 ? std::max<int64_t>(0, (e - b + s - 1) / s) : std::max<int64_t>(0, (b - e - s - 1) / -s);
  }
  HostValue out;
  out.dtype = data.dtype;
  out.shape = shape;
  const auto in_strides = strides_of(data.shape), out_strides = strides_of(shape);
  for (int64_t i = 0; i < element_count(shape); ++i) {
    int64_t src = 0;
    for (size_t d = 0; d < shape.size(); ++d)
      src += (begin[d] + ((i / out_strides[d]) % shape[d]) * step[d]) * in_strides[d];
    out.v.push_back(data.v[static_cast<size_t>(src)]);
  }
  return {out};
}

std::vector<HostValue> eval_constant_of_shape(ImportContext& ctx, int, const Inputs& in) {
  const auto dims = ints_of(need(ctx, in, 0));
  HostValue out;
  out.dtype = DataType::FLOAT32;
  double fill = 0;
  if (const auto* attr = ctx.attribute("value")) {
    const HostValue v = host_value_from(tensor_from_proto(attr->t(), ctx.base_dir(), "ConstantOfShape value"));
    out.dtype = v.dtype;
    if (!v.v.empty()) fill = v.v[0];
  }
  out.shape.assign(dims.begin(), dims.end());
  out.v.assign(static_cast<size_t>(element_count(out.shape)), fill);
  return {out};
}

std::vector<HostValue> eval_range(ImportContext& ctx, int, const Inputs& in) {
  const HostValue& start = need(ctx, in, 0);
  const double s = start.v.at(0), limit = need(ctx, in, 1).v.at(0), delta = need(ctx, in, 2).v.at(0);
  if (delta == 0) ctx.fail("Range delta is 0");
  const auto n = static_cast<int64_t>(std::max(std::ceil((limit - s) / delta), 0.0));
  HostValue out;
  out.dtype = start.dtype;
  out.shape = {n};
  for (int64_t i = 0; i < n; ++i) out.v.push_back(s + static_cast<double>(i) * delta);
  return {out};
}

std::vector<HostValue> eval_transpose(ImportContext& ctx, int, const Inputs& in) {
  const HostValue& x = need(ctx, in, 0);
  const size_t rank = x.shape.size();
  std::vector<int64_t> perm = ctx.attr_ints("perm", {});
  if (perm.empty())
    for (size_t d = rank; d-- > 0;) perm.push_back(static_cast<int64_t>(d));
  if (perm.size() != rank) ctx.fail("perm has " + std::to_string(perm.size()) + " entries for rank " + std::to_string(rank));
  HostValue out;
  out.dtype = x.dtype;
  for (int64_t p : perm) out.shape.push_back(x.shape[static_cast<size_t>(normalize_axis(ctx, p, static_cast<int64_t>(rank)))]);
  const std::vector<int64_t> in_strides = strides_of(x.shape);
  out.v.resize(static_cast<size_t>(out.count()));
  std::vector<int64_t> index(rank, 0);
  for (size_t i = 0; i < out.v.size(); ++i) {
    int64_t src = 0;
    for (size_t d = 0; d < rank; ++d) src += index[d] * in_strides[static_cast<size_t>(perm[d] < 0 ? perm[d] + static_cast<int64_t>(rank) : perm[d])];
    out.v[i] = x.v[static_cast<size_t>(src)];
    for (size_t d = rank; d-- > 0;) {
      if (++index[d] < out.shape[d]) break;
      index[d] = 0;
    }
  }
  return {out};
}

// Clip of integer values; bounds from inputs (opset 11+) or attributes.
std::vector<HostValue> eval_clip(ImportContext& ctx, int, const Inputs& in) {
  HostValue out = need(ctx, in, 0);
  double lo = -INFINITY, hi = INFINITY;
  if (ctx.opset() < 11) {
    lo = ctx.attr_float("min", -INFINITY);
    hi = ctx.attr_float("max", INFINITY);
  } else {
    auto bound = [&](size_t i, double fallback) {
      if (i >= in.size() || !in[i]) return fallback;
      if (in[i]->v.size() != 1) ctx.fail("Clip bound input " + std::to_string(i) + " is not a scalar");
      return in[i]->v[0];
    };
    lo = bound(1, lo);
    hi = bound(2, hi);
  }
  for (double& x : out.v) x = std::min(std::max(x, lo), hi);
  return {out};
}

// Pad of integer values: constant, edge, reflect and wrap modes.
std::vector<HostValue> eval_pad(ImportContext& ctx, int, const Inputs& in) {
  const HostValue& x = need(ctx, in, 0);
  const auto rank = static_cast<int64_t>(x.shape.size());
  std::vector<int64_t> pads;
  double fill = 0;
  std::vector<int64_t> axes;
  if (ctx.opset() < 11) {
    pads = ctx.attr_ints("pads", {});
    fill = ctx.attr_float("value", 0.0f);
  } else {
    pads = ints_of(need(ctx, in, 1));
    if (in.size() > 2 && in[2] && !in[2]->v.empty()) fill = in[2]->v[0];
    if (in.size() > 3 && in[3]) axes = ints_of(*in[3]);
  }
  if (axes.empty())
    for (int64_t a = 0; a < rank; ++a) axes.push_back(a);
  if (pads.size() != 2 * axes.size())
    ctx.fail("pads " + ints_to_string(pads) + " do not match " + std::to_string(axes.size()) + " axes");
  std::vector<int64_t> begin(static_cast<size_t>(rank), 0), end(static_cast<size_t>(rank), 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    const auto a = static_cast<size_t>(normalize_axis(ctx, axes[i], rank));
    begin[a] = pads[i];
    end[a] = pads[i + axes.size()];
  }
  const std::string mode = ctx.attr_string("mode", "constant");
  if (mode != "constant" && mode != "edge" && mode != "reflect" && mode != "wrap")
    ctx.unsupported_attribute("mode", mode);
  HostValue out;
  out.dtype = x.dtype;
  for (size_t d = 0; d < x.shape.size(); ++d) {
    out.shape.push_back(x.shape[d] + begin[d] + end[d]);
    if (out.shape.back() < 0) ctx.fail("pads " + ints_to_string(pads) + " remove more than the input");
  }
  const std::vector<int64_t> strides = strides_of(x.shape);
  out.v.resize(static_cast<size_t>(out.count()));
  std::vector<int64_t> index(x.shape.size(), 0);
  for (double& value : out.v) {
    int64_t src = 0;
    bool inside = true;
    for (size_t d = 0; d < index.size(); ++d) {
      int64_t c = index[d] - begin[d];
      const int64_t n = x.shape[d];
      if (c < 0 || c >= n) {
        if (mode == "constant") inside = false;
        else if (mode == "edge") c = std::clamp<int64_t>(c, 0, n - 1);
        else if (mode == "wrap") c = ((c % n) + n) % n;
        else {
          if (n == 1) c = 0;
          const int64_t period = 2 * (n - 1);
          if (n > 1) {
            c = ((c % period) + period) % period;
            if (c >= n) c = period - c;
          }
        }
      }
      src += c * strides[d];
    }
    value = inside ? x.v[static_cast<size_t>(src)] : fill;
    for (size_t d = index.size(); d-- > 0;) {
      if (++index[d] < out.shape[d]) break;
      index[d] = 0;
    }
  }
  return {out};
}

struct Entry {
  const char* op_type;
  EvalFn eval;
  bool shape_only;  // reads only the first input's shape (Shape, Size)
  bool always;      // evaluate even when every input is a float constant
  // Many inputs map to one output (comparisons, min/max, modulo): equal
  // results under both probes then do not prove independence of the input
  // size (N == 1 is false for both sample sizes, yet true at N = 1).
  bool collapses = false;
};

constexpr Entry kEvaluators[] = {
    {"Shape", eval_shape, true, true},
    {"Size", eval_size, true, true},
    {"Cast", eval_cast, false, true},
    {"ConstantOfShape", eval_constant_of_shape, false, true},
    {"Range", eval_range, false, true},
    {"Identity", eval_identity, false, false},
    {"Concat", eval_concat, false, false},
    {"Gather", eval_gather, false, false},
    {"Slice", eval_slice, false, false},
    {"Transpose", eval_transpose, false, false},
    {"Clip", eval_clip, false, false},
    {"Pad", eval_pad, false, false},
    {"Reshape", eval_reshape_like, false, false},
    {"Flatten", eval_reshape_like, false, false},
    {"Squeeze", eval_reshape_like, false, false},
    {"Unsqueeze", eval_reshape_like, false, false},
    {"Add", eval_arith<0>, false, false},
    {"Sub", eval_arith<1>, false, false},
    {"Mul", eval_arith<2>, false, false},
    {"Div", eval_arith<3>, false, false},
    {"Min", eval_arith<4>, false, false, true},
    {"Max", eval_arith<5>, false, false, true},
    {"Mod", eval_arith<6>, false, false, true},
    {"Pow", eval_arith<7>, false, false},
    {"Neg", eval_unary_int, false, false},
    {"Abs", eval_unary_int, false, false},
    {"Equal", eval_compare<0>, false, false, true},
    {"Greater", eval_compare<1>, false, false, true},
    {"Less", eval_compare<2>, false, false, true},
    {"GreaterOrEqual", eval_compare<3>, false, false, true},
    {"LessOrEqual", eval_compare<4>, false, false, true},
    {"And", eval_compare<5>, false, false, true},
    {"Or", eval_compare<6>, false, false, true},
    {"Xor", eval_compare<7>, false, false, true},
    {"Not", eval_not, false, false},
    {"Where", eval_where, false, false, true},
};

}  // namespace

bool try_host_evaluation(ImportContext& ctx) {
  const onnx::NodeProto& node = ctx.node();
  const Entry* entry = nullptr;
  for (const Entry& e : kEvaluators)
    if (node.op_type() == e.op_type) entry = &e;
  if (!entry) return false;
  // Max/Min with more than two operands are left to the runtime importers.
  if ((node.op_type() == "Max" || node.op_type() == "Min") && node.input_size() != 2) return false;

  std::array<Inputs, kProbes> inputs;
  bool host_typed = entry->always, varies = false;
  for (int i = 0; i < node.input_size(); ++i) {
    std::optional<ProbedValue> known = ctx.known_input(i);
    if (!known) {
      if (!ctx.has_input(i) || (entry->shape_only && i == 0)) {
        for (auto& in : inputs) in.emplace_back();
        continue;
      }
      return false;
    }
    host_typed |= ctx.is_probed(i) || (*known)[0].dtype != DataType::FLOAT32;
    varies |= ctx.is_probed(i);
    for (int p = 0; p < kProbes; ++p) inputs[static_cast<size_t>(p)].push_back((*known)[static_cast<size_t>(p)]);
  }
  if (!host_typed) return false;
  const bool casts_to_bool = node.op_type() == "Cast" && ctx.attr_int("to", 1) == onnx::TensorProto::BOOL;

  std::array<std::vector<HostValue>, kProbes> outputs;
  for (int p = 0; p < kProbes; ++p)
    outputs[static_cast<size_t>(p)] = entry->eval(ctx, p, inputs[static_cast<size_t>(p)]);
  for (size_t o = 0; o < outputs[0].size(); ++o)
    ctx.bind_host_output(static_cast<int>(o), {outputs[0][o], outputs[1][o]},
                         varies && (entry->collapses || casts_to_bool));
  return true;
}

}  // namespace fennec::onnx_import
