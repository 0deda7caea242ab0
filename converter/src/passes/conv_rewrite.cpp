#include "passes/conv_rewrite.h"

#include <vector>

#include "ops/conv.h"
#include "ops/conv_transpose.h"
#include "passes/convert_error.h"
#include "passes/graph_query.h"

namespace fennec::passes {
namespace {

int reader_count(const graph::Graph& graph, int tensor) {
  int count = 0;
  for (const graph::Node& n : graph.nodes)
    for (int in : n.inputs) count += in == tensor;
  return count;
}

// Stores `value` as the new content of input `slot` of `node`: in place when
// this node is the tensor's only reader (the old bytes are dropped later by
// dead-code removal), else as a new constant so other readers keep theirs.
void replace_param(graph::Graph& graph, graph::Node& node, size_t slot, const HostTensor& value,
                   const std::string& fresh_name) {
  const int current = slot < node.inputs.size() ? node.inputs[slot] : -1;
  if (current >= 0 && reader_count(graph, current) == 1 && !is_graph_output(graph, current)) {
    graph.set_constant(current, value);
    return;
  }
  if (node.inputs.size() <= slot) node.inputs.resize(slot + 1, -1);
  node.inputs[slot] = graph.add_constant(unique_tensor_name(graph, fresh_name), value);
}

int conv_group(const graph::Node& node) {
  if (const auto* conv = dynamic_cast<const ops::ConvOp*>(node.op.get()))
    return conv->params().group;
  if (const auto* deconv = dynamic_cast<const ops::ConvTransposeOp*>(node.op.get()))
    return deconv->params().group;
  return 1;
}

}  // namespace

std::optional<std::vector<float>> channel_values(const graph::Graph& graph, int tensor,
                                                 int64_t channels) {
  auto values = float_constant(graph, tensor);
  if (!values) return std::nullopt;
  const Shape& shape = graph.tensors[static_cast<size_t>(tensor)].shape;
  if (shape.size() > 4) return std::nullopt;
  Shape aligned(4 - shape.size(), 1);
  aligned.insert(aligned.end(), shape.begin(), shape.end());
  if (aligned[0] != 1 || aligned[2] != 1 || aligned[3] != 1) return std::nullopt;
  if (aligned[1] == 1) return std::vector<float>(static_cast<size_t>(channels), (*values)[0]);
  if (aligned[1] != channels) return std::nullopt;
  return values;
}

bool is_conv_like(const graph::Node& node) {
  return node.op && (node.op->type() == OpType::CONV || node.op->type() == OpType::CONV_TRANSPOSE);
}

std::optional<int64_t> conv_output_channels(const graph::Graph& graph, const graph::Node& node) {
  if (!is_conv_like(node) || node.inputs.size() < 2 || node.inputs[1] < 0) return std::nullopt;
  const Shape& w = graph.tensors[static_cast<size_t>(node.inputs[1])].shape;
  if (w.size() != 4 || !is_static(w)) return std::nullopt;
  if (node.op->type() == OpType::CONV) return w[0];
  return w[1] * conv_group(node);
}

bool conv_params_are_constant(const graph::Graph& graph, const graph::Node& node) {
  if (!is_conv_like(node) || node.inputs.size() < 2) return false;
  if (!float_constant(graph, node.inputs[1]).has_value()) return false;
  if (node.inputs.size() > 2 && node.inputs[2] >= 0 &&
      !float_constant(graph, node.inputs[2]).has_value())
    return false;
  return true;
}

bool conv_can_absorb(const graph::Graph& graph, const graph::Node& node, int consumer_count) {
  if (!is_conv_like(node) || node.outputs.size() != 1) return false;
  if (consumer_count != 1 || is_graph_output(graph, node.outputs[0])) return false;
  auto* activation = node.op->fused_activation();
  if (activation && !activation->is_none()) return false;
  return conv_params_are_constant(graph, node) && conv_output_channels(graph, node).has_value();
}

void apply_output_affine(graph::Graph& graph, graph::Node& node, std::span<const float> scale,
                         std::span<const float> shift) {
  const int64_t channels = *conv_output_channels(graph, node);
  const int weight_index = node.inputs[1];
  const HostTensor weights = graph.constant_value(weight_index);
  if (!scale.empty() && static_cast<int64_t>(scale.size()) != channels)
    throw converter::ConvertError("internal: scale size does not match conv channels");
  if (static_cast<int64_t>(shift.size()) != channels)
    throw converter::ConvertError("internal: shift size does not match conv channels");

  if (!scale.empty()) {
    HostTensor scaled = weights;
    auto w = scaled.as<float>();
    const Shape& s = weights.shape;
    const int64_t spatial = s[2] * s[3];
    if (node.op->type() == OpType::CONV) {
      // OIHW: a contiguous block per output channel.
      const int64_t block = s[1] * spatial;
      for (int64_t o = 0; o < s[0]; ++o)
        for (int64_t i = 0; i < block; ++i) w[static_cast<size_t>(o * block + i)] *= scale[static_cast<size_t>(o)];
    } else {
      // [C_in, C_out/group, kh, kw]: input channel ci belongs to group
      // ci / (C_in/group), and its column j feeds output channel
      // group * (C_out/group) + j.
      const int64_t in_channels = s[0], out_per_group = s[1];
      const int64_t in_per_group = in_channels / conv_group(node);
      for (int64_t ci = 0; ci < in_channels; ++ci) {
        const int64_t g = ci / in_per_group;
        for (int64_t j = 0; j < out_per_group; ++j) {
          const float f = scale[static_cast<size_t>(g * out_per_group + j)];
          float* p = &w[static_cast<size_t>((ci * out_per_group + j) * spatial)];
          for (int64_t k = 0; k < spatial; ++k) p[k] *= f;
        }
      }
    }
    replace_param(graph, node, 1, scaled,
                  graph.tensors[static_cast<size_t>(weight_index)].name + ".folded");
  }

  HostTensor bias(DataType::FLOAT32, Shape{channels});
  auto b = bias.as<float>();
  const bool has_bias = node.inputs.size() > 2 && node.inputs[2] >= 0;
  std::string bias_name = node.name + ".bias";  // for a conv without bias
  if (has_bias) {
    const HostTensor old = graph.constant_value(node.inputs[2]);
    auto ob = old.as<float>();
    if (static_cast<int64_t>(ob.size()) != channels)
      throw converter::ConvertError("node '" + node.name + "': bias has " +
                                    std::to_string(ob.size()) + " values, expected " +
                                    std::to_string(channels));
    for (int64_t o = 0; o < channels; ++o) b[static_cast<size_t>(o)] = ob[static_cast<size_t>(o)];
    bias_name = graph.tensors[static_cast<size_t>(node.inputs[2])].name + ".folded";
  }
  for (int64_t o = 0; o < channels; ++o) {
    const size_t i = static_cast<size_t>(o);
    b[i] = b[i] * (scale.empty() ? 1.0f : scale[i]) + shift[i];
  }
  replace_param(graph, node, 2, bias, bias_name);
}

}  // namespace fennec::passes
