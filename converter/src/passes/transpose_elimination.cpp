#include "passes/transpose_elimination.h"

#include <algorithm>
#include <optional>

#include "ops/reshape.h"
#include "ops/transpose.h"
#include "passes/graph_query.h"

namespace fennec::passes {
namespace {

using Perm = std::vector<int32_t>;

bool is_identity(const Perm& perm) {
  for (size_t i = 0; i < perm.size(); ++i)
    if (perm[i] != static_cast<int32_t>(i)) return false;
  return true;
}

// Elementwise ops with one input, through which a transpose commutes.
bool is_elementwise_unary(OpType type) {
  switch (type) {
    case OpType::RELU:
    case OpType::CLIP:
    case OpType::SIGMOID:
    case OpType::HARD_SIGMOID:
    case OpType::HARD_SWISH:
    case OpType::UNARY: return true;
    default: return false;
  }
}

bool is_elementwise_binary(OpType type) {
  switch (type) {
    case OpType::ADD:
    case OpType::SUB:
    case OpType::MUL:
    case OpType::DIV:
    case OpType::POW:
    case OpType::MAXIMUM:
    case OpType::MINIMUM: return true;
    default: return false;
  }
}

class Eliminator {
 public:
  explicit Eliminator(graph::Graph& graph) : graph_(graph) {}

  std::vector<std::string> run() {
    std::vector<std::string> changed;
    // Each rewrite removes a transpose or moves one later in the graph, so
    // this terminates; the bound guards against a rewrite that would not.
    for (size_t round = 0; round < 4 * graph_.nodes.size() + 4; ++round) {
      std::optional<std::string> name = rewrite_one();
      if (!name) break;
      changed.push_back(*name);
    }
    return changed;
  }

 private:
  const Perm* perm_of(const graph::Node& node) const {
    if (node.op->type() != OpType::TRANSPOSE) return nullptr;
    return &static_cast<const ops::TransposeOp&>(*node.op).perm();
  }

  // The transpose node producing `tensor` when it is its only reader's input
  // and not a graph output, else -1.
  int private_transpose(int tensor, const std::vector<int>& producers,
                        const std::vector<std::vector<int>>& consumers) const {
    if (tensor < 0 || is_graph_output(graph_, tensor)) return -1;
    const int p = producers[static_cast<size_t>(tensor)];
    if (p < 0 || !perm_of(graph_.nodes[static_cast<size_t>(p)])) return -1;
    return consumers[static_cast<size_t>(tensor)].size() == 1 ? p : -1;
  }

  std::optional<std::string> rewrite_one() {
    const auto producers = tensor_producers(graph_);
    const auto consumers = tensor_consumers(graph_);
    for (size_t n = 0; n < graph_.nodes.size(); ++n) {
      graph::Node& node = graph_.nodes[n];
      if (const Perm* perm = perm_of(node)) {
        if (is_identity(*perm) && !is_graph_output(graph_, node.outputs[0])) {
          const std::string name = node.name;
          bypass(n, consumers);
          return name;
        }
        const int p = producers[static_cast<size_t>(node.inputs[0])];
        if (p >= 0) {
          if (const Perm* first = perm_of(graph_.nodes[static_cast<size_t>(p)])) {
            // out[i] = mid[perm[i]] = in[first[perm[i]]]
            Perm composed(perm->size());
            for (size_t i = 0; i < perm->size(); ++i) composed[i] = (*first)[static_cast<size_t>((*perm)[i])];
            node.inputs[0] = graph_.nodes[static_cast<size_t>(p)].inputs[0];
            node.op = std::make_unique<ops::TransposeOp>(composed);
            return node.name;
          }
        }
        if (as_reshape(node)) return node.name;
        continue;
      }
      const OpType type = node.op->type();
      if (is_elementwise_unary(type) && node.inputs.size() == 1 && node.outputs.size() == 1) {
        const int t = private_transpose(node.inputs[0], producers, consumers);
        if (t >= 0) return swap_below(static_cast<size_t>(t), n, {0});
      } else if (is_elementwise_binary(type) && node.inputs.size() == 2) {
        const int a = private_transpose(node.inputs[0], producers, consumers);
        const int b = private_transpose(node.inputs[1], producers, consumers);
        if (a >= 0 && b >= 0 && a != b &&
            *perm_of(graph_.nodes[static_cast<size_t>(a)]) == *perm_of(graph_.nodes[static_cast<size_t>(b)]) &&
            graph_.tensors[static_cast<size_t>(node.inputs[0])].shape ==
                graph_.tensors[static_cast<size_t>(node.inputs[1])].shape) {
          // T(x) op T(y) = T(x op y): drop the second transpose, move the first below.
          node.inputs[1] = graph_.nodes[static_cast<size_t>(b)].inputs[0];
          return swap_below(static_cast<size_t>(a), n, {0});
        }
      }
    }
    return std::nullopt;
  }

  // Rewires the readers of node n's output to its input; the node becomes dead.
  void bypass(size_t n, const std::vector<std::vector<int>>& consumers) {
    const graph::Node& node = graph_.nodes[n];
    const int from = node.outputs[0], to = node.inputs[0];
    for (int reader : consumers[static_cast<size_t>(from)])
      for (int& in : graph_.nodes[static_cast<size_t>(reader)].inputs)
        if (in == from) in = to;
    std::vector<bool> remove(graph_.nodes.size(), false);
    remove[n] = true;
    erase_nodes(graph_, remove);
  }

  // A transpose that only moves size-1 axes keeps the element order: it is a
  // reshape.
  bool as_reshape(graph::Node& node) {
    const Perm perm = *perm_of(node);
    const Shape& in = graph_.tensors[static_cast<size_t>(node.inputs[0])].shape;
    if (in.size() != perm.size()) return false;
    int32_t last = -1;
    std::vector<int64_t> shape(perm.size(), -1);
    std::vector<int32_t> copy_from(perm.size(), -1);
    for (size_t i = 0; i < perm.size(); ++i) {
      const int32_t axis = perm[i];
      if (in[static_cast<size_t>(axis)] == 1) {
        shape[i] = 1;
        continue;
      }
      if (axis < last) return false;
      last = axis;
      copy_from[i] = axis;
    }
    node.op = std::make_unique<ops::ReshapeOp>(shape, copy_from);
    return true;
  }

  // Node t (a transpose) feeds input slots `slots` of node n. Afterwards n
  // reads t's input and t transposes n's result, keeping n's output tensor
  // (and its name) as the final one.
  std::string swap_below(size_t t, size_t n, std::vector<int> slots) {
    graph::Node& transpose = graph_.nodes[t];
    graph::Node& op = graph_.nodes[n];
    const int x = transpose.inputs[0];
    for (int s : slots) op.inputs[static_cast<size_t>(s)] = x;
    graph::TensorInfo inner;
    inner.name = unique_tensor_name(graph_, graph_.tensors[static_cast<size_t>(op.outputs[0])].name + "_pre_transpose");
    inner.shape = graph_.tensors[static_cast<size_t>(x)].shape;
    inner.dim_symbols = graph_.tensors[static_cast<size_t>(x)].dim_symbols;
    const int mid = graph_.add_tensor(std::move(inner));
    const int final_output = op.outputs[0];
    const int old_transposed = transpose.outputs[0];
    op.outputs[0] = mid;
    transpose.inputs[0] = mid;
    transpose.outputs[0] = final_output;
    graph_.tensors[static_cast<size_t>(old_transposed)].shape.clear();
    const std::string name = transpose.name;
    // The transpose now runs after n.
    graph::Node moved = std::move(graph_.nodes[t]);
    graph_.nodes.erase(graph_.nodes.begin() + static_cast<long>(t));
    graph_.nodes.insert(graph_.nodes.begin() + static_cast<long>(n), std::move(moved));
    return name;
  }

  graph::Graph& graph_;
};

}  // namespace

std::vector<std::string> eliminate_transposes(graph::Graph& graph) {
  return Eliminator(graph).run();
}

}  // namespace fennec::passes
