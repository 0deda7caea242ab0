// Fusion of decomposed subgraphs that exporters emit for one operation:
//   LayerNorm  ReduceMean -> Sub -> Pow 2 (or Mul by itself) -> ReduceMean ->
//              Add eps -> Sqrt -> Div [-> Mul gamma] [-> Add beta]
//   GELU       x * 0.5 * (1 + Erf(x / sqrt 2)) in either multiplication order
//   SiLU       x * Sigmoid(x)
//   attention  MatMul(Q, K^T) [* or / scale] [+ mask] -> Softmax(last axis)
//              -> MatMul(., V), with K^T a transpose of the trailing axes (or
//              MatMul's transpose_b) and a scalar Mul on Q absorbed into the
//              scale
// Each match is replaced by one LAYER_NORM / UNARY / ATTENTION node whose
// output keeps the name of the pattern's last tensor. Intermediates read
// outside the pattern, or graph outputs inside it, prevent the fusion.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"

namespace fennec::passes {

struct PatternFusionReport {
  std::vector<std::string> layer_norms;  // names of the fused nodes
  std::vector<std::string> gelus;
  std::vector<std::string> silus;
  std::vector<std::string> attentions;
};

PatternFusionReport fuse_patterns(graph::Graph& graph);

}  // namespace fennec::passes
