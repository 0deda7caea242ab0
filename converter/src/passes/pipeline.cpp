#include "passes/pipeline.h"

#include "passes/affine_folding.h"
#include "passes/batch_norm_folding.h"
#include "passes/constant_folding.h"
#include "passes/dead_node_removal.h"
#include "passes/graph_query.h"
#include "passes/input_affine_folding.h"
#include "passes/shape_inference.h"
#include "passes/transpose_elimination.h"

namespace fennec::passes {

std::map<std::string, std::map<std::string, int>> PassReport::fusion_counts() const {
  std::map<std::string, std::map<std::string, int>> counts;
  for (const FusedActivationRecord& r : fused_activations)
    counts[schema::EnumNameOpType(r.producer_type)][schema::EnumNameActivation(r.kind)]++;
  return counts;
}

PassReport run_passes(graph::Graph& graph, const PassOptions& options) {
  PassReport report;
  auto append = [](std::vector<std::string>& to, std::vector<std::string> from) {
    to.insert(to.end(), from.begin(), from.end());
  };

  check_graph(graph, "import");
  infer_shapes(graph);
  check_graph(graph, "shape inference");

  if (options.fold_constants) {
    append(report.folded_constants, fold_constants(graph));
    check_graph(graph, "constant folding");
  }

  // A conv may be followed by a chain such as bias Add -> BatchNorm or
  // Mul -> Add; each round absorbs what directly follows the conv.
  for (bool changed = true; changed;) {
    changed = false;
    if (options.fold_affine) {
      auto folded = fold_affine_ops(graph);
      check_graph(graph, "affine folding");
      changed |= !folded.empty();
      append(report.folded_affine, std::move(folded));
    }
    if (options.fold_batch_norms) {
      auto folded = fold_batch_norms(graph);
      check_graph(graph, "BatchNorm folding");
      changed |= !folded.empty();
      append(report.folded_batch_norms, std::move(folded));
    }
  }

  if (options.fuse_patterns) {
    report.patterns = fuse_patterns(graph);
    check_graph(graph, "pattern fusion");
    infer_shapes(graph);
  }

  if (options.eliminate_transposes) {
    report.transposes = eliminate_transposes(graph);
    check_graph(graph, "transpose elimination");
    infer_shapes(graph);
  }

  if (options.fuse_activations) {
    report.fused_activations = fuse_activations(graph);
    check_graph(graph, "activation fusion");
  }

  // After fusion: what is left of an affine chain sits between an activation
  // and the next conv, and can only go forward into an unpadded conv.
  if (options.fold_affine) {
    append(report.folded_affine, fold_input_affine_ops(graph));
    check_graph(graph, "input affine folding");
  }

  if (options.remove_dead_nodes) {
    DeadCodeReport dead = remove_dead_nodes(graph);
    report.removed_nodes = std::move(dead.removed_nodes);
    report.removed_constants = dead.removed_constants;
    report.removed_tensors = dead.removed_tensors;
    check_graph(graph, "dead-node removal");
  }

  infer_shapes(graph);
  check_graph(graph, "final shape inference");
  return report;
}

}  // namespace fennec::passes
