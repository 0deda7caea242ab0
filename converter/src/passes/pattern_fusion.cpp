#include "passes/pattern_fusion.h"

#include <cmath>
#include <optional>

#include "ops/attention.h"
#include "ops/layer_norm.h"
#include "ops/matmul.h"
#include "ops/reduce.h"
#include "ops/softmax.h"
#include "ops/transpose.h"
#include "ops/unary.h"
#include "passes/graph_query.h"

namespace fennec::passes {
namespace {

using schema::Activation;

bool near(float value, float expected, float tolerance = 1e-4f) {
  return std::fabs(value - expected) <= tolerance * std::max(1.0f, std::fabs(expected));
}

class Matcher {
 public:
  explicit Matcher(graph::Graph& graph) : graph_(graph) { reindex(); }

  PatternFusionReport run() {
    PatternFusionReport report;
    // One fusion per pass over the nodes; indexes are rebuilt after each.
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t n = 0; n < graph_.nodes.size() && !changed; ++n) {
        std::string name = graph_.nodes[n].name;
        if (try_layer_norm(n)) report.layer_norms.push_back(name), changed = true;
        else if (try_gelu(n)) report.gelus.push_back(name), changed = true;
        else if (try_silu(n)) report.silus.push_back(name), changed = true;
        else if (try_attention(n)) report.attentions.push_back(name), changed = true;
      }
    }
    return report;
  }

 private:
  void reindex() {
    producers_ = tensor_producers(graph_);
    consumers_ = tensor_consumers(graph_);
  }

  graph::Node& node(size_t n) { return graph_.nodes[n]; }
  OpType type(int n) const { return graph_.nodes[static_cast<size_t>(n)].op->type(); }

  int producer(int tensor) const { return tensor < 0 ? -1 : producers_[static_cast<size_t>(tensor)]; }

  // The node reading `tensor` when it is the only reader and `tensor` is not
  // a graph output, else -1.
  int only_reader(int tensor) const {
    if (tensor < 0 || is_graph_output(graph_, tensor)) return -1;
    const auto& readers = consumers_[static_cast<size_t>(tensor)];
    return readers.size() == 1 ? readers[0] : -1;
  }

  int out(int n) const { return graph_.nodes[static_cast<size_t>(n)].outputs[0]; }
  int in(int n, size_t i) const {
    const auto& inputs = graph_.nodes[static_cast<size_t>(n)].inputs;
    return i < inputs.size() ? inputs[i] : -1;
  }

  // For a binary node: the input that is not `tensor`'s partner constant.
  std::optional<float> scalar_operand(int n, int other) const {
    if (graph_.nodes[static_cast<size_t>(n)].inputs.size() != 2) return std::nullopt;
    const int a = in(n, 0), b = in(n, 1);
    if (a == other) return scalar_constant(graph_, b);
    if (b == other && (type(n) == OpType::ADD || type(n) == OpType::MUL)) return scalar_constant(graph_, a);
    return std::nullopt;
  }

  std::optional<Activation> unary_kind(int n) const {
    if (n < 0) return std::nullopt;
    const auto& op = *graph_.nodes[static_cast<size_t>(n)].op;
    switch (op.type()) {
      case OpType::SIGMOID: return Activation::SIGMOID;
      case OpType::UNARY: return static_cast<const ops::UnaryOp&>(op).activation().kind;
      default: return std::nullopt;
    }
  }

  // Replaces node `last` by `op` reading `inputs` (its output unchanged) and
  // removes the other matched nodes.
  void replace(const std::vector<int>& matched, int last, std::unique_ptr<ops::Op> op,
               std::vector<int> inputs) {
    graph::Node& target = graph_.nodes[static_cast<size_t>(last)];
    target.op = std::move(op);
    target.inputs = std::move(inputs);
    target.outputs.resize(1);
    std::vector<bool> remove(graph_.nodes.size(), false);
    for (int m : matched)
      if (m != last) remove[static_cast<size_t>(m)] = true;
    erase_nodes(graph_, remove);
    reindex();
  }

  const ops::ReduceOp* mean_over_trailing(int n, size_t rank) const {
    if (n < 0 || type(n) != OpType::REDUCE) return nullptr;
    const auto& r = static_cast<const ops::ReduceOp&>(*graph_.nodes[static_cast<size_t>(n)].op);
    if (r.kind() != schema::ReduceKind::MEAN || !r.keep_dims() || r.axes().empty()) return nullptr;
    for (size_t i = 0; i < r.axes().size(); ++i)
      if (static_cast<size_t>(r.axes()[i]) != rank - r.axes().size() + i) return nullptr;
    return &r;
  }

  // A constant broadcast to `shape` (static), or nullopt.
  std::optional<HostTensor> broadcast_constant(int tensor, const Shape& shape) const {
    auto values = float_constant(graph_, tensor);
    if (!values || !is_static(shape)) return std::nullopt;
    const Shape& s = graph_.tensors[static_cast<size_t>(tensor)].shape;
    // Leading dims beyond the normalized ones must be 1.
    Shape trailing = s;
    while (trailing.size() > shape.size()) {
      if (trailing.front() != 1) return std::nullopt;
      trailing.erase(trailing.begin());
    }
    HostTensor t(DataType::FLOAT32, shape);
    auto dst = t.as<float>();
    const size_t count = dst.size(), offset = shape.size() - trailing.size();
    for (size_t i = 0; i < count; ++i) {
      size_t rest = i, src = 0, stride = 1;
      for (size_t d = shape.size(); d-- > 0;) {
        const auto coord = rest % static_cast<size_t>(shape[d]);
        rest /= static_cast<size_t>(shape[d]);
        if (d < offset) continue;
        const auto dim = static_cast<size_t>(trailing[d - offset]);
        if (dim != 1 && dim != static_cast<size_t>(shape[d])) return std::nullopt;
        if (dim != 1) src += coord * stride;
        stride *= dim;
      }
      dst[i] = (*values)[src];
    }
    return t;
  }

  bool try_layer_norm(size_t start) {
    const int r1 = static_cast<int>(start);
    const int x = in(r1, 0);
    if (x < 0) return false;
    const Shape& xs = graph_.tensors[static_cast<size_t>(x)].shape;
    const ops::ReduceOp* mean = mean_over_trailing(r1, xs.size());
    if (!mean) return false;
    const int sub = only_reader(out(r1));
    if (sub < 0 || type(sub) != OpType::SUB || in(sub, 0) != x || in(sub, 1) != out(r1)) return false;
    const int d = out(sub);
    const auto& readers = consumers_[static_cast<size_t>(d)];
    if (is_graph_output(graph_, d) || readers.size() < 2 || readers.size() > 3) return false;
    int square = -1, div = -1;
    for (int r : readers) {
      if (type(r) == OpType::DIV && in(r, 0) == d) div = r;
      else if (type(r) == OpType::POW && in(r, 0) == d && near(scalar_constant(graph_, in(r, 1)).value_or(0), 2.0f)) square = r;
      else if (type(r) == OpType::MUL && in(r, 0) == d && in(r, 1) == d) square = r;
    }
    const size_t expected_readers = square >= 0 && type(square) == OpType::MUL ? 3 : 2;
    if (square < 0 || div < 0 || readers.size() != expected_readers) return false;
    const int r2 = only_reader(out(square));
    const ops::ReduceOp* var = mean_over_trailing(r2, xs.size());
    if (!var || var->axes() != mean->axes()) return false;
    const int add = only_reader(out(r2));
    if (add < 0 || type(add) != OpType::ADD) return false;
    const auto eps = scalar_operand(add, out(r2));
    if (!eps || *eps < 0) return false;
    const int sqrt = only_reader(out(add));
    if (unary_kind(sqrt) != Activation::SQRT || only_reader(out(sqrt)) != div || in(div, 1) != out(sqrt)) return false;

    const int axis = mean->axes().front();
    const Shape normalized(xs.begin() + axis, xs.end());
    std::vector<int> matched = {r1, sub, square, r2, add, sqrt, div};
    int last = div;
    std::optional<HostTensor> gamma, beta;
    const int mul = only_reader(out(div));
    if (mul >= 0 && type(mul) == OpType::MUL) {
      const int other = in(mul, 0) == out(div) ? in(mul, 1) : in(mul, 0);
      if ((gamma = broadcast_constant(other, normalized))) {
        matched.push_back(mul);
        last = mul;
        const int bias = only_reader(out(mul));
        if (bias >= 0 && type(bias) == OpType::ADD) {
          const int b = in(bias, 0) == out(mul) ? in(bias, 1) : in(bias, 0);
          if ((beta = broadcast_constant(b, normalized))) {
            matched.push_back(bias);
            last = bias;
          }
        }
      }
    }
    if (!gamma) {
      if (!is_static(normalized)) return false;
      gamma = HostTensor(DataType::FLOAT32, normalized);
      for (float& v : gamma->as<float>()) v = 1.0f;
    }
    const std::string base = graph_.nodes[static_cast<size_t>(last)].name;
    std::vector<int> inputs = {x, graph_.add_constant(unique_tensor_name(graph_, base + "/scale"), *gamma)};
    if (beta) inputs.push_back(graph_.add_constant(unique_tensor_name(graph_, base + "/bias"), *beta));
    replace(matched, last, std::make_unique<ops::LayerNormOp>(axis, *eps), std::move(inputs));
    return true;
  }

  bool try_gelu(size_t start) {
    const int erf = static_cast<int>(start);
    if (unary_kind(erf) != Activation::ERF) return false;
    const int scale = producer(in(erf, 0));
    if (scale < 0 || only_reader(out(scale)) != erf) return false;
    int x = in(scale, 0);
    const auto c = scalar_operand(scale, x);
    const bool by_div = type(scale) == OpType::DIV && c && near(*c, std::sqrt(2.0f));
    const bool by_mul = type(scale) == OpType::MUL && c && near(*c, std::sqrt(0.5f));
    if (!by_div && !by_mul) return false;
    const int plus = only_reader(out(erf));
    if (plus < 0 || type(plus) != OpType::ADD || !near(scalar_operand(plus, out(erf)).value_or(0), 1.0f)) return false;
    const int m1 = only_reader(out(plus));
    if (m1 < 0 || type(m1) != OpType::MUL) return false;
    const int other = in(m1, 0) == out(plus) ? in(m1, 1) : in(m1, 0);
    std::vector<int> matched = {scale, erf, plus, m1};
    int last = m1;
    if (other == x) {
      // (x * (1 + erf)) * 0.5
      const int half = only_reader(out(m1));
      if (half < 0 || type(half) != OpType::MUL || !near(scalar_operand(half, out(m1)).value_or(0), 0.5f)) return false;
      matched.push_back(half);
      last = half;
    } else {
      // (x * 0.5) * (1 + erf)
      const int half = producer(other);
      if (half < 0 || type(half) != OpType::MUL || only_reader(out(half)) != m1 ||
          !near(scalar_operand(half, x).value_or(0), 0.5f))
        return false;
      matched.push_back(half);
    }
    ops::Activation gelu;
    gelu.kind = Activation::GELU;
    replace(matched, last, std::make_unique<ops::UnaryOp>(OpType::UNARY, gelu), {x});
    return true;
  }

  bool try_silu(size_t start) {
    const int mul = static_cast<int>(start);
    if (type(mul) != OpType::MUL || graph_.nodes[start].inputs.size() != 2) return false;
    for (int side = 0; side < 2; ++side) {
      const int sig = producer(in(mul, static_cast<size_t>(side)));
      const int x = in(mul, static_cast<size_t>(1 - side));
      if (unary_kind(sig) != Activation::SIGMOID || in(sig, 0) != x || only_reader(out(sig)) != mul) continue;
      ops::Activation silu;
      silu.kind = Activation::SILU;
      replace({sig, mul}, mul, std::make_unique<ops::UnaryOp>(OpType::UNARY, silu), {x});
      return true;
    }
    return false;
  }

  // Q K^T: returns K (untransposed) and the matched transpose node, if any.
  bool keys_of(int scores, int& k, int& transpose) const {
    const auto& mm = static_cast<const ops::MatMulOp&>(*graph_.nodes[static_cast<size_t>(scores)].op);
    const int b = in(scores, 1);
    if (mm.params().transpose_b) {
      k = b;
      transpose = -1;
      return true;
    }
    const int t = producer(b);
    if (t < 0 || type(t) != OpType::TRANSPOSE || only_reader(b) != scores) return false;
    const auto& perm = static_cast<const ops::TransposeOp&>(*graph_.nodes[static_cast<size_t>(t)].op).perm();
    const size_t r = perm.size();
    if (r < 2) return false;
    for (size_t i = 0; i + 2 < r; ++i)
      if (perm[i] != static_cast<int32_t>(i)) return false;
    if (perm[r - 2] != static_cast<int32_t>(r - 1) || perm[r - 1] != static_cast<int32_t>(r - 2)) return false;
    k = in(t, 0);
    transpose = t;
    return true;
  }

  bool plain_matmul(int n) const {
    if (n < 0 || type(n) != OpType::MATMUL || graph_.nodes[static_cast<size_t>(n)].inputs.size() != 2) return false;
    const auto& p = static_cast<const ops::MatMulOp&>(*graph_.nodes[static_cast<size_t>(n)].op).params();
    return !p.transpose_a && p.activation.is_none();
  }

  bool try_attention(size_t start) {
    const int sm = static_cast<int>(start);
    if (type(sm) != OpType::SOFTMAX) return false;
    const auto& softmax = static_cast<const ops::SoftmaxOp&>(*graph_.nodes[start].op);
    const Shape& s_shape = graph_.tensors[static_cast<size_t>(in(sm, 0))].shape;
    if (softmax.log() || s_shape.size() < 2 || static_cast<size_t>(softmax.axis()) != s_shape.size() - 1) return false;
    const int pv = only_reader(out(sm));
    if (!plain_matmul(pv) || in(pv, 0) != out(sm)) return false;
    const auto& pv_params = static_cast<const ops::MatMulOp&>(*graph_.nodes[static_cast<size_t>(pv)].op).params();
    if (pv_params.transpose_b || pv_params.alpha != 1.0f) return false;
    std::vector<int> matched = {sm, pv};
    float scale = 1.0f;
    int mask = -1;
    int reader = sm;  // the matched node that reads the cursor's output
    int cursor = producer(in(sm, 0));
    if (cursor >= 0 && type(cursor) == OpType::ADD && only_reader(out(cursor)) == sm) {
      // scores + mask: the mask is the operand that is not a matmul result.
      const int a = producer(in(cursor, 0));
      const bool first_is_scores = a >= 0 && (type(a) == OpType::MATMUL || type(a) == OpType::MUL || type(a) == OpType::DIV);
      mask = first_is_scores ? in(cursor, 1) : in(cursor, 0);
      matched.push_back(cursor);
      reader = cursor;
      cursor = producer(first_is_scores ? in(cursor, 0) : in(cursor, 1));
    }
    if (cursor >= 0 && (type(cursor) == OpType::MUL || type(cursor) == OpType::DIV) &&
        only_reader(out(cursor)) == reader) {
      const int scores = producer(in(cursor, 0));
      const auto c = scalar_operand(cursor, in(cursor, 0));
      if (!c || *c == 0.0f) return false;
      scale *= type(cursor) == OpType::MUL ? *c : 1.0f / *c;
      matched.push_back(cursor);
      reader = cursor;
      cursor = scores;
    }
    if (!plain_matmul(cursor) || only_reader(out(cursor)) != reader) return false;
    const auto& qk = static_cast<const ops::MatMulOp&>(*graph_.nodes[static_cast<size_t>(cursor)].op).params();
    scale *= qk.alpha;
    matched.push_back(cursor);
    int k = -1, transpose = -1;
    if (!keys_of(cursor, k, transpose)) return false;
    if (transpose >= 0) matched.push_back(transpose);
    int q = in(cursor, 0);
    const int q_scale = producer(q);
    if (q_scale >= 0 && type(q_scale) == OpType::MUL && only_reader(q) == cursor) {
      for (int side = 0; side < 2; ++side) {
        const auto c = scalar_constant(graph_, in(q_scale, static_cast<size_t>(side)));
        if (!c) continue;
        scale *= *c;
        q = in(q_scale, static_cast<size_t>(1 - side));
        matched.push_back(q_scale);
        break;
      }
    }
    const int v = in(pv, 1);
    const size_t rank = graph_.tensors[static_cast<size_t>(q)].shape.size();
    if (rank < 2 || graph_.tensors[static_cast<size_t>(k)].shape.size() != rank ||
        graph_.tensors[static_cast<size_t>(v)].shape.size() != rank)
      return false;
    std::vector<int> inputs = {q, k, v};
    if (mask >= 0) inputs.push_back(mask);
    replace(matched, pv, std::make_unique<ops::AttentionOp>(scale), std::move(inputs));
    return true;
  }

  graph::Graph& graph_;
  std::vector<int> producers_;
  std::vector<std::vector<int>> consumers_;
};

}  // namespace

PatternFusionReport fuse_patterns(graph::Graph& graph) { return Matcher(graph).run(); }

}  // namespace fennec::passes
