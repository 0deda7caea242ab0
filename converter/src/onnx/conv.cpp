// Conv and ConvTranspose (2-D, and 1-D through a 2-D view). Padding is resolved to explicit
// begin/end pads here: auto_pad SAME_UPPER / SAME_LOWER need the spatial
// input size where it matters (Conv with stride > 1), and ConvTranspose's
// output_shape needs it always; a symbolic size there is an error.
#include <string>

#include "ops/conv.h"
#include "ops/conv_transpose.h"
#include "ops/reshape.h"
#include "onnx/op_importers.h"

namespace fennec::onnx_import {
namespace {

struct Geometry {
  int64_t group = 1;
  std::vector<int64_t> kernel;     // [kh, kw]
  std::vector<int64_t> strides;    // [sh, sw]
  std::vector<int64_t> dilations;  // [dh, dw]
  std::vector<int64_t> pads;       // [top, left, bottom, right]
  std::string auto_pad;
};

// A spatial attribute as two values: a 1-D op's single value is lifted to
// [1, v] (pads [b, e] to [0, b, 0, e]), the leading axis being a unit axis.
std::vector<int64_t> spatial_ints(ImportContext& ctx, const char* name, bool one_d,
                                  std::vector<int64_t> fallback, bool pads = false, int64_t lead = 1) {
  std::vector<int64_t> v = ctx.attr_ints(name, {});
  if (v.empty()) return fallback;
  const size_t want = (one_d ? 1 : 2) * (pads ? 2 : 1);
  if (v.size() != want) ctx.unsupported_attribute(name, ints_to_string(v));
  if (!one_d) return v;
  return pads ? std::vector<int64_t>{0, v[0], 0, v[1]} : std::vector<int64_t>{lead, v[0]};
}

std::vector<int64_t> positive_ints(ImportContext& ctx, const char* name, bool one_d) {
  std::vector<int64_t> v = spatial_ints(ctx, name, one_d, {1, 1});
  for (int64_t x : v)
    if (x < 1) ctx.unsupported_attribute(name, ints_to_string(ctx.attr_ints(name, {})));
  return v;
}

// Attributes common to Conv and ConvTranspose; `weight` is W's index. 1-D
// weights [O, I, k] give the geometry of the [1, k] 2-D window.
Geometry read_geometry(ImportContext& ctx, int weight) {
  Geometry g;
  const Shape w = ctx.tensor(weight).shape;
  if (w.size() != 4 && w.size() != 3)
    ctx.fail("weights '" + ctx.tensor(weight).name + "' have shape " + shape_to_string(w) +
             "; only 1-D and 2-D convolution (rank-3 or rank-4 weights) are supported");
  const bool one_d = w.size() == 3;
  if (w[2] < 0 || w.back() < 0)
    ctx.fail("weights '" + ctx.tensor(weight).name + "' have an unknown kernel size");
  g.kernel = one_d ? std::vector<int64_t>{1, w[2]} : std::vector<int64_t>{w[2], w[3]};
  const auto kernel_attr = ctx.attr_ints("kernel_shape", {});
  if (!kernel_attr.empty() && kernel_attr.size() != (one_d ? 1u : 2u))
    ctx.unsupported_attribute("kernel_shape", ints_to_string(kernel_attr));
  if (!kernel_attr.empty() && kernel_attr != std::vector<int64_t>(g.kernel.end() - static_cast<long>(kernel_attr.size()), g.kernel.end()))
    ctx.fail("kernel_shape " + ints_to_string(kernel_attr) + " does not match the weights " +
             shape_to_string(w));
  g.group = ctx.attr_int("group", 1);
  if (g.group < 1) ctx.unsupported_attribute("group", std::to_string(g.group));
  g.strides = positive_ints(ctx, "strides", one_d);
  g.dilations = positive_ints(ctx, "dilations", one_d);
  g.pads = spatial_ints(ctx, "pads", one_d, {0, 0, 0, 0}, true);
  for (int64_t p : g.pads)
    if (p < 0) ctx.unsupported_attribute("pads", ints_to_string(ctx.attr_ints("pads", {})));
  g.auto_pad = ctx.attr_string("auto_pad", "NOTSET");
  if (g.auto_pad != "NOTSET" && g.auto_pad != "VALID" && g.auto_pad != "SAME_UPPER" &&
      g.auto_pad != "SAME_LOWER")
    ctx.unsupported_attribute("auto_pad", g.auto_pad);
  return g;
}

// Splits a total padding into begin/end: SAME_UPPER puts the extra pixel at
// the end, SAME_LOWER at the beginning.
void split_padding(int64_t total, bool upper, int64_t& begin, int64_t& end) {
  if (upper) {
    begin = total / 2;
    end = total - begin;
  } else {
    end = total / 2;
    begin = total - end;
  }
}

int to_int(int64_t v) { return static_cast<int>(v); }

// The window fields shared by ConvParams and ConvTransposeParams.
void fill_window(const Geometry& g, ops::Window2D& p) {
  p.group = to_int(g.group);
  p.kernel_h = to_int(g.kernel[0]);
  p.kernel_w = to_int(g.kernel[1]);
  p.stride_h = to_int(g.strides[0]);
  p.stride_w = to_int(g.strides[1]);
  p.dilation_h = to_int(g.dilations[0]);
  p.dilation_w = to_int(g.dilations[1]);
  p.pad_top = to_int(g.pads[0]);
  p.pad_left = to_int(g.pads[1]);
  p.pad_bottom = to_int(g.pads[2]);
  p.pad_right = to_int(g.pads[3]);
}

}  // namespace

namespace {

// auto_pad VALID / SAME_* into explicit pads; `in` is the rank-4 input shape.
void resolve_conv_auto_pad(ImportContext& ctx, Geometry& g, const Shape& in) {
  if (g.auto_pad == "VALID") {
    g.pads = {0, 0, 0, 0};
  } else if (g.auto_pad == "SAME_UPPER" || g.auto_pad == "SAME_LOWER") {
    if (in.size() != 4) ctx.fail("input has shape " + shape_to_string(in) + ", expected rank 4");
    for (int axis = 0; axis < 2; ++axis) {
      const int64_t k = (g.kernel[static_cast<size_t>(axis)] - 1) * g.dilations[static_cast<size_t>(axis)] + 1;
      const int64_t stride = g.strides[static_cast<size_t>(axis)];
      const int64_t size = in[static_cast<size_t>(2 + axis)];
      int64_t total;
      if (stride == 1) {
        total = k - 1;  // independent of the input size
      } else {
        if (size < 0)
          ctx.fail("auto_pad=" + g.auto_pad + " with stride " + std::to_string(stride) +
                   " needs a static input size, but spatial axis " + std::to_string(axis) +
                   " is symbolic; export with fixed input sizes or explicit pads");
        const int64_t out = (size + stride - 1) / stride;
        total = std::max<int64_t>(0, (out - 1) * stride + k - size);
      }
      split_padding(total, g.auto_pad == "SAME_UPPER", g.pads[static_cast<size_t>(axis)],
                    g.pads[static_cast<size_t>(axis + 2)]);
    }
  }
}

// A 1-D Conv or ConvTranspose ([N, C, L] input, [A, B, k] weights) runs as
// the 2-D op over a [N, C, 1, L] view with [A, B, 1, k] weights: reshape in,
// the op, reshape out. `x4`/`w4` are the views; the op is added by `run`.
struct View1D {
  int x4, w4;
};

View1D view_1d(ImportContext& ctx, int x, int w, const char* what) {
  const graph::TensorInfo weights = ctx.tensor(w);
  const Shape in = ctx.tensor(x).shape;
  if (in.size() != 3)
    ctx.fail(std::string("1-D ") + what + " input has shape " + shape_to_string(in) + ", expected rank 3");
  const std::vector<int64_t> unit_axis = {-1, -1, 1, -1};
  const std::vector<int32_t> keep = {0, 1, -1, 2};
  View1D v;
  if (weights.is_constant()) {
    HostTensor w4 = ctx.graph().constant_value(w);
    w4.shape = {weights.shape[0], weights.shape[1], 1, weights.shape[2]};
    v.w4 = ctx.graph().add_constant(weights.name + "/2d", w4);
  } else {
    v.w4 = ctx.add_internal_node(std::make_unique<ops::ReshapeOp>(unit_axis, keep), {w}, "w2d");
  }
  v.x4 = ctx.add_internal_node(std::make_unique<ops::ReshapeOp>(unit_axis, keep), {x}, "2d");
  return v;
}

void add_1d_result(ImportContext& ctx, std::unique_ptr<ops::Op> op, std::vector<int> inputs) {
  const int y4 = ctx.add_internal_node(std::move(op), std::move(inputs), "op2d");
  ctx.add_node(std::make_unique<ops::ReshapeOp>(std::vector<int64_t>{-1, -1, -1}, std::vector<int32_t>{0, 1, 3}),
               {y4});
}

// The input shape as the 2-D op sees it.
Shape shape_2d(const Shape& in) { return in.size() == 3 ? Shape{in[0], in[1], 1, in[2]} : in; }

}  // namespace

void import_conv(ImportContext& ctx) {
  int x = ctx.input(0);
  int w = ctx.input(1);
  const int b = ctx.optional_input(2);
  Geometry g = read_geometry(ctx, w);
  const bool one_d = ctx.tensor(w).shape.size() == 3;
  resolve_conv_auto_pad(ctx, g, shape_2d(ctx.tensor(x).shape));
  ops::ConvParams p;
  fill_window(g, p);
  if (one_d) {
    const View1D v = view_1d(ctx, x, w, "Conv");
    std::vector<int> inputs = {v.x4, v.w4};
    if (b >= 0) inputs.push_back(b);
    add_1d_result(ctx, std::make_unique<ops::ConvOp>(p), inputs);
    return;
  }
  std::vector<int> inputs = {x, w};
  if (b >= 0) inputs.push_back(b);
  ctx.add_node(std::make_unique<ops::ConvOp>(p), inputs);
}

void import_conv_transpose(ImportContext& ctx) {
  const int x = ctx.input(0);
  const int w = ctx.input(1);
  const int b = ctx.optional_input(2);
  Geometry g = read_geometry(ctx, w);
  const bool one_d = ctx.tensor(w).shape.size() == 3;
  std::vector<int64_t> output_padding = spatial_ints(ctx, "output_padding", one_d, {0, 0}, false, 0);
  for (int axis = 0; axis < 2; ++axis) {
    const int64_t op = output_padding[static_cast<size_t>(axis)];
    if (op < 0 || (op >= g.strides[static_cast<size_t>(axis)] &&
                   op >= g.dilations[static_cast<size_t>(axis)]))
      ctx.unsupported_attribute("output_padding", ints_to_string(output_padding));
  }

  std::vector<int64_t> output_shape = ctx.attr_ints("output_shape", {});
  if (!output_shape.empty()) {
    // Pads follow from the requested size; resolvable only for a static
    // input size. ONNX allows the spatial sizes or the full shape.
    const size_t spatial = one_d ? 1 : 2;
    if (output_shape.size() != spatial && output_shape.size() != spatial + 2)
      ctx.unsupported_attribute("output_shape", ints_to_string(output_shape));
    if (one_d) output_shape.insert(output_shape.end() - 1, 1);
    const Shape in = shape_2d(ctx.tensor(x).shape);
    if (in.size() != 4 || in[2] < 0 || in[3] < 0)
      ctx.unsupported_attribute("output_shape",
                                ints_to_string(output_shape) + " (input size " +
                                    shape_to_string(in) + " is not static)");
    const size_t off = output_shape.size() - 2;
    for (int axis = 0; axis < 2; ++axis) {
      const size_t a = static_cast<size_t>(axis);
      const int64_t total = g.strides[a] * (in[2 + a] - 1) + output_padding[a] +
                            (g.kernel[a] - 1) * g.dilations[a] + 1 - output_shape[off + a];
      if (total < 0) {
        // A size beyond the natural output: the extra rows/columns come
        // after the data, as output padding does (what onnxruntime does).
        g.pads[a] = g.pads[a + 2] = 0;
        output_padding[a] += -total;
        continue;
      }
      // ONNX: SAME_UPPER puts the smaller half first, otherwise the larger.
      split_padding(total, g.auto_pad == "SAME_UPPER", g.pads[a], g.pads[a + 2]);
    }
  } else if (g.auto_pad == "VALID") {
    g.pads = {0, 0, 0, 0};
  } else if (g.auto_pad == "SAME_UPPER" || g.auto_pad == "SAME_LOWER") {
    // Output size = input size * stride, so the total padding does not
    // depend on the input size.
    for (int axis = 0; axis < 2; ++axis) {
      const size_t a = static_cast<size_t>(axis);
      const int64_t total =
          std::max<int64_t>(0, output_padding[a] + (g.kernel[a] - 1) * g.dilations[a] + 1 -
                                   g.strides[a]);
      split_padding(total, g.auto_pad == "SAME_UPPER", g.pads[a], g.pads[a + 2]);
    }
  }

  ops::ConvTransposeParams p;
  fill_window(g, p);
  p.output_pad_h = to_int(output_padding[0]);
  p.output_pad_w = to_int(output_padding[1]);
  if (one_d) {
    const View1D v = view_1d(ctx, x, w, "ConvTranspose");
    std::vector<int> inputs = {v.x4, v.w4};
    if (b >= 0) inputs.push_back(b);
    add_1d_result(ctx, std::make_unique<ops::ConvTransposeOp>(p), inputs);
    return;
  }
  std::vector<int> inputs = {x, w};
  if (b >= 0) inputs.push_back(b);
  ctx.add_node(std::make_unique<ops::ConvTransposeOp>(p), inputs);
}

}  // namespace fennec::onnx_import
