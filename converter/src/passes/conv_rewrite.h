// Rewriting Conv / ConvTranspose parameters so that the node also computes a
// following per-output-channel affine map y' = y * scale[o] + shift[o]
// (folded BatchNorm, folded constant Mul / Add). Shared by the BatchNorm and
// the affine folding passes.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace fennec::passes {

using schema::OpType;

// True for CONV and CONV_TRANSPOSE nodes.
bool is_conv_like(const graph::Node& node);

// The output channel count of a Conv / ConvTranspose node from its weight
// shape and group, if the weight shape is known.
std::optional<int64_t> conv_output_channels(const graph::Graph& graph, const graph::Node& node);

// True when the node's weights are a FLOAT32 constant and its bias is absent
// or a FLOAT32 constant, so that they can be rewritten.
bool conv_params_are_constant(const graph::Graph& graph, const graph::Node& node);

// Whether the conv output (one consumer, not a graph output, no fused
// activation, constant parameters) may absorb a following affine map.
bool conv_can_absorb(const graph::Graph& graph, const graph::Node& node, int consumer_count);

// The FLOAT32 constant `tensor` as one value per channel, if it broadcasts
// against [N, channels, H, W] without changing that shape: one value (any
// rank up to 4), [1, C, 1, 1] or [C, 1, 1]. A plain [C] vector broadcasts
// along W, not C, so it is rejected.
std::optional<std::vector<float>> channel_values(const graph::Graph& graph, int tensor,
                                                 int64_t channels);

// Replaces the node's weights and bias with new graph-owned constants so that
// its output becomes y * scale[o] + shift[o]. `scale` may be empty (all ones),
// in which case the weights are left as they are. Existing constants are not
// modified (other nodes may share them).
void apply_output_affine(graph::Graph& graph, graph::Node& node, std::span<const float> scale,
                         std::span<const float> shift);

}  // namespace fennec::passes
