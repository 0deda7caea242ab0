// Transpose elimination on small NHWC-style graphs: the rewritten graph
// computes the same values (reference kernels) with fewer transposes.
#include <doctest/doctest.h>

#include "onnx/importer.h"
#include "passes/dead_node_removal.h"
#include "passes/shape_inference.h"
#include "passes/transpose_elimination.h"
#include "unit/test_converter_helpers.h"

namespace fennec {
namespace {

using converter_test::OnnxBuilder;

int count(const graph::Graph& g, schema::OpType type) {
  int n = 0;
  for (const graph::Node& node : g.nodes) n += node.op->type() == type;
  return n;
}

void transpose(OnnxBuilder& b, const std::string& in, const std::string& out, std::vector<int64_t> perm) {
  OnnxBuilder::attr(b.node("Transpose", {in}, {out}), "perm", perm);
}

// Imports `b`, runs the pass, and checks the outputs against the unrewritten
// graph on a seeded input of `shape`.
graph::Graph rewrite_and_check(OnnxBuilder& b, const Shape& shape) {
  graph::Graph before = onnx_import::import_model(b.model()).graph;
  graph::Graph after = onnx_import::import_model(b.model()).graph;
  passes::eliminate_transposes(after);
  passes::remove_dead_nodes(after);
  passes::infer_shapes(after);
  REQUIRE(after.validate().ok());
  const std::map<std::string, HostTensor> feeds{{"x", converter_test::random_tensor(shape, 11)}};
  auto expected = converter_test::run_graph(before, feeds);
  auto actual = converter_test::run_graph(after, feeds);
  for (const auto& [name, value] : expected) {
    INFO(name);
    REQUIRE(actual.count(name));
    CHECK(converter_test::max_abs_diff(value, actual.at(name)) == 0.0);
  }
  return after;
}

}  // namespace

TEST_CASE("transpose elimination: NHWC round trips around elementwise ops cancel") {
  OnnxBuilder b(13);
  b.input("x", {1, 5, 6, 3});
  transpose(b, "x", "nchw", {0, 3, 1, 2});
  b.node("Relu", {"nchw"}, {"r"});
  transpose(b, "r", "nhwc", {0, 2, 3, 1});
  b.node("Sigmoid", {"nhwc"}, {"s"});
  transpose(b, "s", "back", {0, 3, 1, 2});
  transpose(b, "back", "y", {0, 2, 3, 1});
  b.output("y", {1, 5, 6, 3});
  graph::Graph g = rewrite_and_check(b, {1, 5, 6, 3});
  CHECK(count(g, schema::OpType::TRANSPOSE) <= 1);
  CHECK(g.tensors[static_cast<size_t>(g.outputs[0])].name == "y");
}

TEST_CASE("transpose elimination: equal transposes on both operands of a binary op") {
  OnnxBuilder b(13);
  b.input("x", {2, 4, 3});
  transpose(b, "x", "a", {2, 0, 1});
  b.node("Relu", {"x"}, {"rx"});
  transpose(b, "rx", "c", {2, 0, 1});
  b.node("Add", {"a", "c"}, {"sum"});
  transpose(b, "sum", "y", {1, 2, 0});
  b.output("y", {2, 4, 3});
  graph::Graph g = rewrite_and_check(b, {2, 4, 3});
  CHECK(count(g, schema::OpType::TRANSPOSE) == 0);
}

TEST_CASE("transpose elimination: moving only size-1 axes becomes a reshape; outputs stay") {
  OnnxBuilder b(13);
  b.input("x", {1, 8, 1, 1});
  transpose(b, "x", "t", {0, 2, 3, 1});
  b.node("Relu", {"t"}, {"y"});
  transpose(b, "x", "z", {3, 1, 2, 0});
  b.output("y", {1, 1, 1, 8});
  b.output("z", {1, 8, 1, 1});
  graph::Graph g = rewrite_and_check(b, {1, 8, 1, 1});
  CHECK(count(g, schema::OpType::TRANSPOSE) == 0);
  CHECK(count(g, schema::OpType::RESHAPE) == 2);
}

TEST_CASE("transpose elimination: a real permutation of a graph output is kept") {
  OnnxBuilder b(13);
  b.input("x", {2, 3, 4});
  transpose(b, "x", "y", {0, 2, 1});
  b.output("y", {2, 4, 3});
  graph::Graph g = rewrite_and_check(b, {2, 3, 4});
  CHECK(count(g, schema::OpType::TRANSPOSE) == 1);
}

}  // namespace fennec
