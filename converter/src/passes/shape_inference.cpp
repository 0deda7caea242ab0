#include "passes/shape_inference.h"

#include <algorithm>
#include <string>
#include <vector>

#include "ops/concat.h"
#include "ops/gather.h"
#include "ops/matmul.h"
#include "ops/pad.h"
#include "ops/reduce.h"
#include "ops/reshape.h"
#include "ops/slice.h"
#include "ops/transpose.h"
#include "passes/convert_error.h"

namespace fennec::passes {
namespace {

const std::string& symbol_at(const graph::TensorInfo& info, size_t axis) {
  static const std::string kNone;
  return axis < info.dim_symbols.size() ? info.dim_symbols[axis] : kNone;
}

bool is_elementwise_unary(OpType type) {
  switch (type) {
    case OpType::RELU:
    case OpType::CLIP:
    case OpType::SIGMOID:
    case OpType::HARD_SIGMOID:
    case OpType::HARD_SWISH:
    case OpType::UNARY:
    case OpType::SOFTMAX:
    case OpType::LAYER_NORM:
    case OpType::BATCH_NORM: return true;
    default: return false;
  }
}

bool is_binary(OpType type) {
  return type == OpType::ADD || type == OpType::SUB || type == OpType::MUL ||
         type == OpType::DIV || type == OpType::POW || type == OpType::MAXIMUM ||
         type == OpType::MINIMUM;
}

// The symbol an unknown output dimension inherits from the inputs, or "".
// Only axes that an op passes through unchanged carry a symbol: a Conv's
// output height is unknown when its input height is, but it is a different
// number, so it must not reuse the input's name.
std::string inherited_symbol(const graph::Graph& graph, const graph::Node& node,
                             size_t out_rank, size_t axis) {
  const OpType type = node.op->type();
  auto input = [&](size_t i) -> const graph::TensorInfo* {
    if (i >= node.inputs.size() || node.inputs[i] < 0) return nullptr;
    return &graph.tensors[static_cast<size_t>(node.inputs[i])];
  };
  auto same_axis = [&](const graph::TensorInfo* in) -> std::string {
    if (!in || in->shape.size() != out_rank || in->shape[axis] != kUnknownDim) return {};
    return symbol_at(*in, axis);
  };

  if (is_elementwise_unary(type)) return same_axis(input(0));
  if (is_binary(type)) {
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const graph::TensorInfo* in = input(i);
      if (!in || in->shape.size() + axis < out_rank) continue;
      const size_t in_axis = axis - (out_rank - in->shape.size());
      if (in->shape[in_axis] == kUnknownDim && !symbol_at(*in, in_axis).empty())
        return symbol_at(*in, in_axis);
    }
    return {};
  }
  if (const auto* matmul = dynamic_cast<const ops::MatMulOp*>(node.op.get())) {
    // Y = [batch..., M, N] (M or N dropped for rank-1 A or B): M is a row
    // axis of A, N a column axis of B, batch axes come from either side.
    const graph::TensorInfo* a = input(0);
    const graph::TensorInfo* b = input(1);
    if (!a || !b || a->shape.empty() || b->shape.empty()) return {};
    const size_t ra = a->shape.size(), rb = b->shape.size();
    const size_t matrix_axes = (ra > 1 ? 1 : 0) + (rb > 1 ? 1 : 0);
    const auto& p = matmul->params();
    auto unknown_symbol = [](const graph::TensorInfo& in, size_t in_axis) -> std::string {
      return in.shape[in_axis] == kUnknownDim ? symbol_at(in, in_axis) : std::string();
    };
    if (axis + matrix_axes >= out_rank) {
      const bool is_n = rb > 1 && axis == out_rank - 1;
      if (is_n) return unknown_symbol(*b, p.transpose_b ? rb - 2 : rb - 1);
      return unknown_symbol(*a, p.transpose_a ? ra - 1 : ra - 2);
    }
    const size_t batch_rank = out_rank - matrix_axes;
    for (const graph::TensorInfo* in : {a, b}) {
      const size_t in_batch = in->shape.size() > 2 ? in->shape.size() - 2 : 0;
      if (in_batch + axis < batch_rank) continue;
      std::string s = unknown_symbol(*in, axis - (batch_rank - in_batch));
      if (!s.empty()) return s;
    }
    return {};
  }
  if (type == OpType::CONCAT) {
    const auto* concat = dynamic_cast<const ops::ConcatOp*>(node.op.get());
    if (concat && static_cast<size_t>(concat->axis()) == axis) return {};
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      std::string s = same_axis(input(i));
      if (!s.empty()) return s;
    }
    return {};
  }
  if (const auto* reshape = dynamic_cast<const ops::ReshapeOp*>(node.op.get())) {
    const graph::TensorInfo* in = input(0);
    if (!in || axis >= reshape->copy_from().size()) return {};
    const int32_t from = reshape->copy_from()[axis];
    if (from < 0 || static_cast<size_t>(from) >= in->shape.size()) return {};
    return symbol_at(*in, static_cast<size_t>(from));
  }
  if (const auto* transpose = dynamic_cast<const ops::TransposeOp*>(node.op.get())) {
    const graph::TensorInfo* in = input(0);
    if (!in || axis >= transpose->perm().size()) return {};
    return symbol_at(*in, static_cast<size_t>(transpose->perm()[axis]));
  }
  // A sliced or padded axis changes size; the others pass through.
  if (const auto* slice = dynamic_cast<const ops::SliceOp*>(node.op.get())) {
    const auto& axes = slice->params().axes;
    if (std::find(axes.begin(), axes.end(), static_cast<int32_t>(axis)) != axes.end()) return {};
    return same_axis(input(0));
  }
  if (const auto* pad = dynamic_cast<const ops::PadOp*>(node.op.get())) {
    const auto& pads = pad->pads();
    if (2 * out_rank != pads.size() || pads[axis] != 0 || pads[out_rank + axis] != 0) return {};
    return same_axis(input(0));
  }
  if (const auto* gather = dynamic_cast<const ops::GatherOp*>(node.op.get())) {
    // Axes before the gathered one are the data's own.
    const graph::TensorInfo* in = input(0);
    if (!in || axis >= static_cast<size_t>(gather->axis())) return {};
    return symbol_at(*in, axis);
  }
  if (type == OpType::EXPAND) {
    // An output dim is unknown only where the target shape has 1 (or no dim),
    // so it is the input's dim on the right-aligned axis.
    const graph::TensorInfo* in = input(0);
    if (!in || axis + in->shape.size() < out_rank) return {};
    return symbol_at(*in, axis + in->shape.size() - out_rank);
  }
  if (const auto* reduce = dynamic_cast<const ops::ReduceOp*>(node.op.get())) {
    // Kept axes pass through (in order); reduced ones are 1 or gone.
    const graph::TensorInfo* in = input(0);
    if (!in) return {};
    const std::vector<bool> mask = reduce->reduced_mask(in->shape.size());
    size_t out_axis = 0;
    for (size_t d = 0; d < in->shape.size(); ++d) {
      if (mask[d] && !reduce->keep_dims()) continue;
      if (out_axis++ == axis) return mask[d] ? std::string() : symbol_at(*in, d);
    }
    return {};
  }
  // Conv, ConvTranspose, GlobalAveragePool, Resize keep the batch axis.
  if (axis == 0) return same_axis(input(0));
  return {};
}

std::string node_label(const graph::Node& node) {
  return "node '" + node.name + "' (" + node.op->type_name() + ")";
}

}  // namespace

void infer_node_shapes(graph::Graph& graph, size_t node_index) {
  graph::Node& node = graph.nodes[node_index];
  std::vector<Shape> in_shapes;
  in_shapes.reserve(node.inputs.size());
  for (int in : node.inputs)
    in_shapes.push_back(in >= 0 ? graph.tensors[static_cast<size_t>(in)].shape : Shape{});
  std::vector<Shape> out_shapes;
  Status status = node.op->infer_shapes(in_shapes, out_shapes);
  if (!status.ok())
    throw converter::ConvertError("shape inference failed at " + node_label(node) + ": " +
                                  status.message());
  if (out_shapes.size() < node.outputs.size())
    throw converter::ConvertError("shape inference at " + node_label(node) + " gave " +
                                  std::to_string(out_shapes.size()) + " outputs, the node has " +
                                  std::to_string(node.outputs.size()));
  for (size_t o = 0; o < node.outputs.size(); ++o) {
    if (node.outputs[o] < 0) continue;
    graph::TensorInfo& info = graph.tensors[static_cast<size_t>(node.outputs[o])];
    const Shape& shape = out_shapes[o];
    std::vector<std::string> symbols(shape.size());
    for (size_t axis = 0; axis < shape.size(); ++axis) {
      if (shape[axis] != kUnknownDim) continue;
      symbols[axis] = inherited_symbol(graph, node, shape.size(), axis);
      // Fall back on the name the model declared for this tensor (ONNX
      // graph outputs carry dim_param names).
      if (symbols[axis].empty() && info.shape.size() == shape.size() &&
          info.shape[axis] == kUnknownDim)
        symbols[axis] = symbol_at(info, axis);
    }
    info.shape = shape;
    info.dim_symbols = std::move(symbols);
  }
}

void infer_shapes(graph::Graph& graph) {
  for (size_t n = 0; n < graph.nodes.size(); ++n) infer_node_shapes(graph, n);
}

}  // namespace fennec::passes
