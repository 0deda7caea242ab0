// The converter's pass pipeline, in order:
//   shape inference -> constant folding -> {affine folding, BatchNorm
//   folding} until nothing changes -> pattern fusion (LayerNorm, GELU, SiLU,
//   attention) -> transpose elimination -> activation fusion -> input affine
//   folding -> dead-node removal -> shape inference.
// Graph::validate() runs after each pass; a failure throws ConvertError
// naming the pass.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "passes/activation_fusion.h"
#include "passes/pattern_fusion.h"

namespace fennec::passes {

struct PassOptions {
  bool fold_constants = true;
  bool fold_batch_norms = true;
  bool fold_affine = true;
  bool fuse_patterns = true;
  bool eliminate_transposes = true;
  bool fuse_activations = true;
  bool remove_dead_nodes = true;
};

// What the passes changed; `fennec convert` prints it.
struct PassReport {
  std::vector<std::string> folded_constants;    // nodes evaluated at conversion time
  std::vector<std::string> folded_batch_norms;  // BatchNorm nodes folded into a conv
  std::vector<std::string> folded_affine;       // Add/Sub/Mul/Div folded into a conv
                                                // (before or after it)
  PatternFusionReport patterns;                 // LayerNorm/GELU/SiLU/attention subgraphs
  std::vector<std::string> transposes;          // transpose rewrites (merged, moved, removed)
  std::vector<FusedActivationRecord> fused_activations;
  std::vector<std::string> removed_nodes;       // dead nodes
  int removed_constants = 0;
  int removed_tensors = 0;

  // Fused activations counted by host op type, then by activation kind,
  // e.g. {"CONV": {"HARD_SWISH": 24, "RELU": 12}}.
  std::map<std::string, std::map<std::string, int>> fusion_counts() const;
};

PassReport run_passes(graph::Graph& graph, const PassOptions& options = {});

}  // namespace fennec::passes
