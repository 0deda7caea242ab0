#include "vulkan/bands.h"

#include <algorithm>
#include <cstring>

#include "base/align.h"
#include "ops/binary.h"
#include "ops/concat.h"
#include "ops/conv.h"
#include "ops/unary.h"

namespace fennec::vulkan {
namespace {

bool rank4(const Shape& shape) { return shape.size() == 4; }

// The size of axis 2 of `shape` aligned right against rank 4 (1 when absent).
int64_t rows_of(const Shape& shape) { return shape.size() >= 2 ? shape[shape.size() - 2] : 1; }

// How input `i` of `node` is read in bands, or false when it cannot be.
bool input_access(const graph::Graph& graph, const graph::Node& node, size_t i, const std::vector<Shape>& shapes,
                  BandAccess& access) {
  const int tensor = node.inputs[i];
  access = BandAccess::kNone;
  if (tensor < 0) return true;
  const Shape& in = shapes[static_cast<size_t>(tensor)];
  const Shape& out = shapes[static_cast<size_t>(node.outputs[0])];
  const bool constant = graph.tensors[static_cast<size_t>(tensor)].is_constant();
  switch (node.op->type()) {
    case ops::OpType::CONV:
      if (i == 0) access = BandAccess::kRows;
      return i == 0 ? !constant && rank4(in) : constant;
    case ops::OpType::CONCAT:
      access = BandAccess::kRows;
      return !constant && rank4(in) && in[2] == out[2];
    default:
      break;
  }
  if (rows_of(in) == 1 && out[2] != 1) {  // broadcast along the rows
    access = constant ? BandAccess::kNone : BandAccess::kWhole;
    return true;
  }
  access = BandAccess::kRows;
  return !constant && rank4(in) && in[2] == out[2];
}

// The input rows that output rows `rows` of a convolution read, and the pads
// of that band.
RowRange conv_rows(const ops::ConvParams& p, int64_t height, RowRange rows, int& pad_top, int& pad_bottom) {
  const int64_t low = rows.begin * p.stride_h - p.pad_top;
  const int64_t high = (rows.end - 1) * p.stride_h - p.pad_top + static_cast<int64_t>(p.kernel_h - 1) * p.dilation_h + 1;
  const int64_t begin = std::clamp<int64_t>(low, 0, height);
  const int64_t end = std::max(begin, std::clamp<int64_t>(high, 0, height));
  pad_top = static_cast<int>(begin - low);
  pad_bottom = static_cast<int>(high - end);
  return {begin, end};
}

}  // namespace

bool can_band(const graph::Graph& graph, const graph::Node& node, const std::vector<Shape>& shapes) {
  if (node.outputs.size() != 1 || node.outputs[0] < 0) return false;
  const Shape& out = shapes[static_cast<size_t>(node.outputs[0])];
  if (!rank4(out) || out[2] < 2) return false;
  const ops::OpType type = node.op->type();
  const bool supported = dynamic_cast<const ops::UnaryOp*>(node.op.get()) != nullptr ||
                         dynamic_cast<const ops::BinaryOp*>(node.op.get()) != nullptr || type == ops::OpType::CONV ||
                         (type == ops::OpType::CONCAT &&
                          static_cast<const ops::ConcatOp&>(*node.op).axis() != 2);
  if (!supported) return false;
  bool any_rows = false;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    BandAccess access;
    if (!input_access(graph, node, i, shapes, access)) return false;
    any_rows = any_rows || access == BandAccess::kRows;
  }
  return any_rows;
}

Shape band_shape(const Shape& full, BandAccess access, RowRange rows) {
  if (access != BandAccess::kRows) return full;
  Shape shape = full;
  shape[2] = rows.end - rows.begin;
  return shape;
}

uint64_t band_bytes(const Shape& full, DataType dtype, BandAccess access, RowRange rows) {
  return static_cast<uint64_t>(element_count(band_shape(full, access, rows))) * dtype_size(dtype);
}

BandedNode plan_bands(const graph::Graph& graph, int node_index, const std::vector<Shape>& shapes,
                      uint64_t window_limit, uint64_t alignment) {
  const graph::Node& node = graph.nodes[static_cast<size_t>(node_index)];
  const auto* conv = dynamic_cast<const ops::ConvOp*>(node.op.get());
  BandedNode banded;
  banded.node = node_index;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    BandBinding binding{node.inputs[i]};
    input_access(graph, node, i, shapes, binding.access);
    banded.inputs.push_back(binding);
  }
  banded.outputs.push_back({node.outputs[0], BandAccess::kRows});
  const int64_t height = shapes[static_cast<size_t>(node.outputs[0])][2];

  // The bands of `tall` output rows each, and their window.
  auto cut = [&](int64_t tall, bool keep) {
    std::vector<uint64_t> extent(banded.inputs.size() + banded.outputs.size(), 0);
    std::vector<Band> bands;
    for (int64_t begin = 0; begin < height; begin += tall) {
      const RowRange out{begin, std::min(height, begin + tall)};
      Band band;
      for (size_t i = 0; i < banded.inputs.size(); ++i) {
        RowRange rows = out;
        if (conv && i == 0) {
          ops::ConvParams p = conv->params();
          rows = conv_rows(p, shapes[static_cast<size_t>(node.inputs[0])][2], out, p.pad_top, p.pad_bottom);
          if (keep) band.op = std::make_unique<ops::ConvOp>(p);
        }
        band.rows.push_back(rows);
      }
      band.rows.push_back(out);
      for (size_t b = 0; b < band.rows.size(); ++b) {
        const BandBinding& binding = b < banded.inputs.size() ? banded.inputs[b] : banded.outputs[b - banded.inputs.size()];
        if (binding.access == BandAccess::kNone) continue;
        const auto& t = graph.tensors[static_cast<size_t>(binding.tensor)];
        extent[b] = std::max(extent[b], band_bytes(shapes[static_cast<size_t>(binding.tensor)], t.dtype,
                                                   binding.access, band.rows[b]));
      }
      if (keep) bands.push_back(std::move(band));
    }
    uint64_t window = 0;
    for (size_t b = 0; b < extent.size(); ++b) {
      BandBinding& binding = b < banded.inputs.size() ? banded.inputs[b] : banded.outputs[b - banded.inputs.size()];
      if (keep) binding.window_offset = window;
      if (keep && b == banded.inputs.size()) banded.inputs_bytes = window;
      if (extent[b]) window = align_up(window + extent[b], alignment);
    }
    if (keep) {
      banded.bands = std::move(bands);
      banded.window_bytes = window;
    }
    return window;
  };
  // The tallest bands whose window fits the limit.
  int64_t low = 1, high = height;
  while (low < high) {
    const int64_t mid = (low + high + 1) / 2;
    if (cut(mid, false) <= window_limit) low = mid;
    else high = mid - 1;
  }
  cut(low, true);
  return banded;
}

void copy_rows(const Shape& full, DataType dtype, RowRange rows, std::byte* tensor, std::byte* window,
               bool into_window) {
  const uint64_t row = static_cast<uint64_t>(full[3]) * dtype_size(dtype);
  const uint64_t band = static_cast<uint64_t>(rows.end - rows.begin) * row;
  const uint64_t plane = static_cast<uint64_t>(full[2]) * row;
  const uint64_t planes = static_cast<uint64_t>(full[0] * full[1]);
  for (uint64_t p = 0; p < planes; ++p) {
    std::byte* at = tensor + p * plane + static_cast<uint64_t>(rows.begin) * row;
    if (into_window) std::memcpy(window + p * band, at, band);
    else std::memcpy(at, window + p * band, band);
  }
}

}  // namespace fennec::vulkan
