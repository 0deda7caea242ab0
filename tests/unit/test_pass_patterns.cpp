// Pattern fusion (LayerNorm, GELU, SiLU, attention) on small decomposed
// graphs: one fused node results and the reference kernels give the same
// values as the unfused graph.
#include <doctest/doctest.h>

#include "onnx/importer.h"
#include "passes/dead_node_removal.h"
#include "passes/pattern_fusion.h"
#include "passes/shape_inference.h"
#include "unit/test_converter_helpers.h"

namespace fennec {
namespace {

using converter_test::OnnxBuilder;

int count(const graph::Graph& g, schema::OpType type) {
  int n = 0;
  for (const graph::Node& node : g.nodes) n += node.op->type() == type;
  return n;
}

graph::Graph fuse_and_check(OnnxBuilder& b, const std::map<std::string, HostTensor>& feeds,
                            passes::PatternFusionReport& report, double bound = 1e-5) {
  graph::Graph before = onnx_import::import_model(b.model()).graph;
  graph::Graph after = onnx_import::import_model(b.model()).graph;
  report = passes::fuse_patterns(after);
  passes::remove_dead_nodes(after);
  passes::infer_shapes(after);
  REQUIRE(after.validate().ok());
  auto expected = converter_test::run_graph(before, feeds);
  auto actual = converter_test::run_graph(after, feeds);
  for (const auto& [name, value] : expected) {
    INFO(name);
    REQUIRE(actual.count(name));
    CHECK(converter_test::max_abs_diff(value, actual.at(name)) <= bound);
  }
  return after;
}

void scalar(OnnxBuilder& b, const std::string& name, float v) { b.initializer(name, {}, {v}); }

}  // namespace

TEST_CASE("pattern fusion: decomposed LayerNorm (PaddleOCR / torch export form)") {
  for (bool with_affine : {true, false}) {
    OnnxBuilder b(13);
    b.input("x", {2, 5, 12});
    scalar(b, "two", 2.0f);
    scalar(b, "eps", 1e-5f);
    b.initializer("gamma", {12}, converter_test::random_values(12, 3, 0.5f, 1.5f));
    b.initializer("beta", {12}, converter_test::random_values(12, 4));
    OnnxBuilder::attr(b.node("ReduceMean", {"x"}, {"mean"}), "axes", std::vector<int64_t>{-1});
    b.node("Sub", {"x", "mean"}, {"d"});
    b.node("Pow", {"d", "two"}, {"sq"});
    OnnxBuilder::attr(b.node("ReduceMean", {"sq"}, {"var"}), "axes", std::vector<int64_t>{-1});
    b.node("Add", {"var", "eps"}, {"ve"});
    b.node("Sqrt", {"ve"}, {"std"});
    b.node("Div", {"d", "std"}, {with_affine ? "n" : "y"});
    if (with_affine) {
      b.node("Mul", {"n", "gamma"}, {"scaled"});
      b.node("Add", {"scaled", "beta"}, {"y"});
    }
    b.output("y", {2, 5, 12});
    passes::PatternFusionReport report;
    graph::Graph g = fuse_and_check(b, {{"x", converter_test::random_tensor({2, 5, 12}, 9, -3.0f, 3.0f)}}, report);
    CHECK(report.layer_norms.size() == 1);
    CHECK(g.nodes.size() == 1);
    CHECK(count(g, schema::OpType::LAYER_NORM) == 1);
  }
}

TEST_CASE("pattern fusion: GELU (erf form) in both multiplication orders, and SiLU") {
  for (bool half_first : {false, true}) {
    OnnxBuilder b(13);
    b.input("x", {3, 17});
    scalar(b, "sqrt2", 1.4142135f);
    scalar(b, "one", 1.0f);
    scalar(b, "half", 0.5f);
    b.node("Div", {"x", "sqrt2"}, {"a"});
    b.node("Erf", {"a"}, {"e"});
    b.node("Add", {"e", "one"}, {"p"});
    if (half_first) {
      b.node("Mul", {"x", "half"}, {"h"});
      b.node("Mul", {"h", "p"}, {"y"});
    } else {
      b.node("Mul", {"x", "p"}, {"m"});
      b.node("Mul", {"m", "half"}, {"y"});
    }
    b.node("Sigmoid", {"y"}, {"s"});
    b.node("Mul", {"y", "s"}, {"z"});
    b.output("z", {3, 17});
    passes::PatternFusionReport report;
    graph::Graph g = fuse_and_check(b, {{"x", converter_test::random_tensor({3, 17}, 5, -4.0f, 4.0f)}}, report);
    CHECK(report.gelus.size() == 1);
    CHECK(report.silus.size() == 1);
    CHECK(g.nodes.size() == 2);
    CHECK(count(g, schema::OpType::UNARY) == 2);
  }
}

TEST_CASE("pattern fusion: scaled dot-product attention with a transposed K and a mask") {
  OnnxBuilder b(13);
  b.input("q", {2, 3, 5, 8});
  b.input("k", {2, 3, 7, 8});
  b.input("v", {2, 3, 7, 4});
  b.input("mask", {1, 1, 5, 7});
  scalar(b, "scale", 0.35355339f);
  b.node("Mul", {"q", "scale"}, {"qs"});
  OnnxBuilder::attr(b.node("Transpose", {"k"}, {"kt"}), "perm", std::vector<int64_t>{0, 1, 3, 2});
  b.node("MatMul", {"qs", "kt"}, {"scores"});
  b.node("Add", {"scores", "mask"}, {"masked"});
  OnnxBuilder::attr(b.node("Softmax", {"masked"}, {"p"}), "axis", int64_t{3});
  b.node("MatMul", {"p", "v"}, {"y"});
  b.output("y", {2, 3, 5, 4});
  passes::PatternFusionReport report;
  graph::Graph g = fuse_and_check(b,
                                  {{"q", converter_test::random_tensor({2, 3, 5, 8}, 1)},
                                   {"k", converter_test::random_tensor({2, 3, 7, 8}, 2)},
                                   {"v", converter_test::random_tensor({2, 3, 7, 4}, 3)},
                                   {"mask", converter_test::random_tensor({1, 1, 5, 7}, 4, -2.0f, 0.0f)}},
                                  report);
  CHECK(report.attentions.size() == 1);
  CHECK(g.nodes.size() == 1);
  CHECK(count(g, schema::OpType::ATTENTION) == 1);
}

TEST_CASE("pattern fusion: attention with the scale on Q and no mask (PaddleOCR form)") {
  OnnxBuilder b(9);
  b.input("q", {1, 8, 6, 15});
  b.input("k", {1, 8, 6, 15});
  b.input("v", {1, 8, 6, 15});
  scalar(b, "scale", 0.2581989f);
  b.node("Mul", {"q", "scale"}, {"qs"});
  OnnxBuilder::attr(b.node("Transpose", {"k"}, {"kt"}), "perm", std::vector<int64_t>{0, 1, 3, 2});
  b.node("MatMul", {"qs", "kt"}, {"scores"});
  OnnxBuilder::attr(b.node("Softmax", {"scores"}, {"p"}), "axis", int64_t{3});
  b.node("MatMul", {"p", "v"}, {"y"});
  b.output("y", {1, 8, 6, 15});
  passes::PatternFusionReport report;
  graph::Graph g = fuse_and_check(b,
                                  {{"q", converter_test::random_tensor({1, 8, 6, 15}, 5)},
                                   {"k", converter_test::random_tensor({1, 8, 6, 15}, 6)},
                                   {"v", converter_test::random_tensor({1, 8, 6, 15}, 7)}},
                                  report);
  CHECK(report.attentions.size() == 1);
  REQUIRE(g.nodes.size() == 1);
  CHECK(count(g, schema::OpType::ATTENTION) == 1);
}

TEST_CASE("pattern fusion: an intermediate read elsewhere blocks the fusion") {
  OnnxBuilder b(13);
  b.input("x", {4, 6});
  b.node("Sigmoid", {"x"}, {"s"});
  b.node("Mul", {"x", "s"}, {"y"});
  b.output("y", {4, 6});
  b.output("s", {4, 6});
  passes::PatternFusionReport report;
  graph::Graph g = fuse_and_check(b, {{"x", converter_test::random_tensor({4, 6}, 8)}}, report);
  CHECK(report.silus.empty());
  CHECK(g.nodes.size() == 2);
}

}  // namespace fennec
