#include "passes/activation_fusion.h"

#include <cmath>
#include <optional>

#include "ops/unary.h"
#include "passes/graph_query.h"

namespace fennec::passes {
namespace {

bool can_host_activation(const graph::Node& node) {
  switch (node.op->type()) {
    case OpType::CONV:
    case OpType::CONV_TRANSPOSE:
    case OpType::MATMUL:
    case OpType::ADD:
    case OpType::SUB:
    case OpType::MUL:
    case OpType::DIV: break;
    default: return false;
  }
  ops::Activation* activation = node.op->fused_activation();
  return activation && activation->is_none() && node.outputs.size() == 1;
}

bool near(float value, float expected) { return std::fabs(value - expected) <= 1e-6f; }

class Fuser {
 public:
  explicit Fuser(graph::Graph& graph)
      : graph_(graph),
        consumers_(tensor_consumers(graph)),
        remove_(graph.nodes.size(), false) {}

  std::vector<FusedActivationRecord> run() {
    std::vector<FusedActivationRecord> records;
    for (size_t n = 0; n < graph_.nodes.size(); ++n) {
      if (remove_[n] || !can_host_activation(graph_.nodes[n])) continue;
      if (auto record = try_fuse(static_cast<int>(n))) records.push_back(std::move(*record));
    }
    erase_nodes(graph_, remove_);
    return records;
  }

 private:
  graph::Node& node(int index) { return graph_.nodes[static_cast<size_t>(index)]; }

  // The readers of `tensor`, or empty when it is a graph output (a graph
  // output must stay materialized, so nothing reading it may be absorbed).
  std::vector<int> readers(int tensor) {
    if (is_graph_output(graph_, tensor)) return {};
    return consumers_[static_cast<size_t>(tensor)];
  }

  // The single reader of `tensor` if it has exactly one and it is live.
  std::optional<int> only_reader(int tensor) {
    auto r = readers(tensor);
    if (r.size() != 1 || remove_[static_cast<size_t>(r[0])]) return std::nullopt;
    return r[0];
  }

  const ops::UnaryOp* unary(int index) {
    return dynamic_cast<const ops::UnaryOp*>(node(index).op.get());
  }

  bool is_plain_binary(int index, OpType type) {
    graph::Node& n = node(index);
    if (n.op->type() != type || n.inputs.size() != 2 || n.outputs.size() != 1) return false;
    ops::Activation* a = n.op->fused_activation();
    return a && a->is_none();
  }

  // For a binary node reading `x` on one side, the other operand (or -1).
  int other_operand(int index, int x) {
    const graph::Node& n = node(index);
    if (n.inputs[0] == x && n.inputs[1] != x) return n.inputs[1];
    if (n.inputs[1] == x && n.inputs[0] != x) return n.inputs[0];
    return -1;
  }

  FusedActivationRecord absorb(int host, ops::Activation activation, std::vector<int> nodes,
                               int new_output) {
    graph::Node& h = node(host);
    *h.op->fused_activation() = activation;
    h.outputs[0] = new_output;
    FusedActivationRecord record{h.name, h.op->type(), activation.kind, {}};
    for (int n : nodes) {
      remove_[static_cast<size_t>(n)] = true;
      record.removed.push_back(node(n).name);
    }
    return record;
  }

  std::optional<FusedActivationRecord> try_fuse(int host) {
    const int x = node(host).outputs[0];
    auto r = readers(x);
    for (int reader : r)
      if (remove_[static_cast<size_t>(reader)]) return std::nullopt;
    if (r.size() == 1) return fuse_single(host, r[0]);
    if (r.size() == 2) {
      if (auto rec = fuse_hard_swish_chain(host, x, r[0], r[1])) return rec;
      if (auto rec = fuse_hard_swish_chain(host, x, r[1], r[0])) return rec;
      if (auto rec = fuse_x_hard_sigmoid(host, x, r[0], r[1])) return rec;
      if (auto rec = fuse_x_hard_sigmoid(host, x, r[1], r[0])) return rec;
    }
    return std::nullopt;
  }

  std::optional<FusedActivationRecord> fuse_single(int host, int reader) {
    const ops::UnaryOp* act = unary(reader);
    if (!act || node(reader).outputs.size() != 1) return std::nullopt;
    return absorb(host, act->activation(), {reader}, node(reader).outputs[0]);
  }

  // add = Add(x, 3) -> Clip(0, 6) -> Mul(x, clip) -> Div(6) | Mul(1/6)
  std::optional<FusedActivationRecord> fuse_hard_swish_chain(int host, int x, int add, int mul) {
    if (!is_plain_binary(add, OpType::ADD) || !is_plain_binary(mul, OpType::MUL))
      return std::nullopt;
    auto three = scalar_constant(graph_, other_operand(add, x));
    if (!three || !near(*three, 3.0f)) return std::nullopt;
    auto clip = only_reader(node(add).outputs[0]);
    if (!clip || !unary(*clip)) return std::nullopt;
    const ops::Activation& c = unary(*clip)->activation();
    if (c.kind != schema::Activation::CLIP || c.alpha != 0.0f || c.beta != 6.0f)
      return std::nullopt;
    if (auto m = only_reader(node(*clip).outputs[0]); !m || *m != mul) return std::nullopt;
    if (other_operand(mul, x) != node(*clip).outputs[0]) return std::nullopt;
    auto last = only_reader(node(mul).outputs[0]);
    if (!last) return std::nullopt;
    const int m_out = node(mul).outputs[0];
    bool divides = false;
    if (is_plain_binary(*last, OpType::DIV) && node(*last).inputs[0] == m_out) {
      auto six = scalar_constant(graph_, node(*last).inputs[1]);
      divides = six && near(*six, 6.0f);
    } else if (is_plain_binary(*last, OpType::MUL)) {
      auto sixth = scalar_constant(graph_, other_operand(*last, m_out));
      divides = sixth && near(*sixth, 1.0f / 6.0f);
    }
    if (!divides) return std::nullopt;
    ops::Activation hs;
    hs.kind = schema::Activation::HARD_SWISH;
    return absorb(host, hs, {add, *clip, mul, *last}, node(*last).outputs[0]);
  }

  // x * HardSigmoid(x; 1/6, 0.5) is hard-swish.
  std::optional<FusedActivationRecord> fuse_x_hard_sigmoid(int host, int x, int hsig, int mul) {
    const ops::UnaryOp* act = unary(hsig);
    if (!act || act->activation().kind != schema::Activation::HARD_SIGMOID) return std::nullopt;
    if (!near(act->activation().alpha, 1.0f / 6.0f) || !near(act->activation().beta, 0.5f))
      return std::nullopt;
    if (!is_plain_binary(mul, OpType::MUL)) return std::nullopt;
    const int h_out = node(hsig).outputs[0];
    if (auto m = only_reader(h_out); !m || *m != mul) return std::nullopt;
    if (other_operand(mul, x) != h_out) return std::nullopt;
    ops::Activation hs;
    hs.kind = schema::Activation::HARD_SWISH;
    return absorb(host, hs, {hsig, mul}, node(mul).outputs[0]);
  }

  graph::Graph& graph_;
  std::vector<std::vector<int>> consumers_;
  std::vector<bool> remove_;
};

}  // namespace

std::vector<FusedActivationRecord> fuse_activations(graph::Graph& graph) {
  return Fuser(graph).run();
}

}  // namespace fennec::passes
