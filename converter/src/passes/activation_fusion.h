// Activation fusion: an activation that follows a Conv, ConvTranspose or
// elementwise binary op (Add, Sub, Mul, Div) becomes that op's fused
// activation, when the producer's output feeds only the activation, is not a
// graph output and the producer has no activation yet. Fused forms:
//   Relu, Clip(min, max), Sigmoid, HardSigmoid(alpha, beta), HardSwish ops;
//   the decomposed hard-swish exporters emit (PaddleOCR):
//     t = Add(x, 3); c = Clip(t, 0, 6); m = Mul(x, c); y = Div(m, 6) | Mul(m, 1/6)
//   and x * HardSigmoid(x) with alpha = 1/6, beta = 0.5,
// where the pattern's intermediates have no other readers. Either operand
// order is accepted for Add and Mul.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"
#include "ops/op.h"

namespace fennec::passes {

using schema::OpType;

struct FusedActivationRecord {
  std::string node;            // the producer that now carries the activation
  OpType producer_type;
  schema::Activation kind;
  std::vector<std::string> removed;  // the activation's nodes, now gone
};

std::vector<FusedActivationRecord> fuse_activations(graph::Graph& graph);

}  // namespace fennec::passes
