// Host evaluation of shape arithmetic at conversion time, the probing of
// symbolic dims, If with a condition known at conversion, and the import
// options (constant inputs, fixed dims, input shapes).
#include <doctest/doctest.h>

#include "onnx/importer.h"
#include "ops/reshape.h"
#include "passes/convert_error.h"
#include "unit/test_converter_helpers.h"

namespace fennec {
namespace {

using converter::ConvertError;
using converter_test::OnnxBuilder;

std::vector<int64_t> constant_ints(const graph::Graph& g, int index) {
  REQUIRE(g.tensors[static_cast<size_t>(index)].is_constant());
  HostTensor t = g.constant_value(index);
  REQUIRE(t.dtype == DataType::INT64);
  auto v = t.as<int64_t>();
  return {v.begin(), v.end()};
}

}  // namespace

TEST_CASE("host eval: Shape/Slice/Cast/Concat of static dims fold to a constant") {
  OnnxBuilder b(13);
  b.input("x", {-1, 3, 4, 5}, {"N"});
  b.initializer_i64("starts", {1}, {1});
  b.initializer_i64("ends", {1}, {100});
  b.initializer_i64("minus1", {1}, {-1});
  b.node("Shape", {"x"}, {"s"});
  b.node("Slice", {"s", "starts", "ends"}, {"tail"});
  OnnxBuilder::attr(b.node("Cast", {"tail"}, {"tail32"}), "to", int64_t{6});
  OnnxBuilder::attr(b.node("Cast", {"tail32"}, {"tail64"}), "to", int64_t{7});
  OnnxBuilder::attr(b.node("Concat", {"minus1", "tail64"}, {"shape"}), "axis", int64_t{0});
  b.output("shape", {4});
  auto result = onnx_import::import_model(b.model());
  const graph::Graph& g = result.graph;
  CHECK(g.nodes.empty());
  REQUIRE(g.outputs.size() == 1);
  CHECK(constant_ints(g, g.outputs[0]) == std::vector<int64_t>{-1, 3, 4, 5});
}

TEST_CASE("host eval: a value that depends on a symbolic dim is reported, not guessed") {
  OnnxBuilder b(13);
  b.input("x", {-1, 3}, {"N"});
  b.initializer_i64("zero", {}, {0});
  b.node("Shape", {"x"}, {"s"});
  OnnxBuilder::attr(b.node("Gather", {"s", "zero"}, {"n"}), "axis", int64_t{0});
  b.output("n", {});
  CHECK_THROWS_AS(onnx_import::import_model(b.model()), ConvertError);

  // Fixing the dim makes it a constant.
  onnx_import::ImportOptions options;
  options.fixed_dims["N"] = 7;
  auto result = onnx_import::import_model(b.model(), {}, options);
  CHECK(constant_ints(result.graph, result.graph.outputs[0]) == std::vector<int64_t>{7});
}

TEST_CASE("host eval: a comparison with a symbolic dim is not folded from the sample sizes") {
  // N == 1 is false for both sample sizes the importer probes with, but
  // true at N = 1: the If must not be decided at conversion.
  OnnxBuilder b(13);
  b.input("x", {-1, 3}, {"N"});
  b.initializer_i64("zero", {}, {0});
  b.initializer_i64("one", {}, {1});
  b.node("Shape", {"x"}, {"s"});
  OnnxBuilder::attr(b.node("Gather", {"s", "zero"}, {"n"}), "axis", int64_t{0});
  b.node("Equal", {"n", "one"}, {"cond"});
  OnnxBuilder::attr(b.node("Cast", {"n"}, {"nonzero"}), "to", int64_t{onnx::TensorProto::BOOL});
  b.node("And", {"cond", "nonzero"}, {"both"});
  onnx::NodeProto& node = b.node("If", {"both"}, {"y"});
  for (const char* name : {"then_branch", "else_branch"}) {
    auto* a = node.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::GRAPH);
    *a->mutable_g()->add_output()->mutable_name() = "x";
  }
  b.output("y", {-1, 3}, {"N"});
  CHECK_THROWS_WITH_AS(onnx_import::import_model(b.model()), doctest::Contains("--fix-dim"), ConvertError);
  onnx_import::ImportOptions options;
  options.fixed_dims["N"] = 1;
  CHECK_NOTHROW(onnx_import::import_model(b.model(), {}, options));
}

TEST_CASE("host eval: integer arithmetic, comparisons and Where follow ONNX semantics") {
  OnnxBuilder b(13);
  b.input("x", {2, 3});
  b.initializer_i64("a", {3}, {-7, 7, 9});
  b.initializer_i64("d", {1}, {2});
  b.node("Div", {"a", "d"}, {"q"});   // truncation toward zero: -3, 3, 4
  b.node("Mod", {"a", "d"}, {"r"});   // divisor's sign: 1, 1, 1
  b.node("Greater", {"a", "d"}, {"g"});
  b.node("Where", {"g", "a", "d"}, {"w"});  // 2, 7, 9
  b.output("q", {3});
  b.output("r", {3});
  b.output("w", {3});
  auto result = onnx_import::import_model(b.model());
  const graph::Graph& g = result.graph;
  CHECK(constant_ints(g, g.outputs[0]) == std::vector<int64_t>{-3, 3, 4});
  CHECK(constant_ints(g, g.outputs[1]) == std::vector<int64_t>{1, 1, 1});
  CHECK(constant_ints(g, g.outputs[2]) == std::vector<int64_t>{2, 7, 9});
}

TEST_CASE("host eval: If imports the branch its known condition selects") {
  for (int64_t channels : {3, 4}) {
    OnnxBuilder b(13);
    b.input("x", {1, channels, 8, 8});
    b.initializer_i64("one", {}, {1});
    b.initializer_i64("three", {}, {3});
    b.node("Shape", {"x"}, {"s"});
    OnnxBuilder::attr(b.node("Gather", {"s", "one"}, {"c"}), "axis", int64_t{0});
    b.node("Equal", {"c", "three"}, {"cond"});
    onnx::NodeProto& node = b.node("If", {"cond"}, {"y"}, "branch");
    for (const char* name : {"then_branch", "else_branch"}) {
      auto* a = node.add_attribute();
      a->set_name(name);
      a->set_type(onnx::AttributeProto::GRAPH);
      onnx::GraphProto* g = a->mutable_g();
      const std::string branch(name), input("x"), output = branch + "_out";
      auto* n = g->add_node();
      n->set_op_type(branch == "then_branch" ? "Relu" : "Sigmoid");
      *n->add_input() = input;
      *n->add_output() = output;
      g->add_output()->set_name(output);
    }
    b.output("y", {1, channels, 8, 8});
    auto result = onnx_import::import_model(b.model());
    REQUIRE(result.graph.nodes.size() == 1);
    CHECK(result.graph.nodes[0].op->type() ==
          (channels == 3 ? schema::OpType::RELU : schema::OpType::SIGMOID));
  }
}

TEST_CASE("import options: constant inputs, fixed dims and input shapes") {
  OnnxBuilder b(13);
  b.input("x", {-1, 3, -1, -1}, {"N", "", "H", "W"});
  b.node("Relu", {"x"}, {"y"});
  b.output("y", {-1, 3, -1, -1}, {"N", "", "H", "W"});

  onnx_import::ImportOptions fixed;
  fixed.fixed_dims["N"] = 1;
  fixed.input_shapes["x"] = {1, 3, 32, 48};
  auto result = onnx_import::import_model(b.model(), {}, fixed);
  CHECK(result.graph.tensors[static_cast<size_t>(result.graph.inputs[0])].shape == Shape{1, 3, 32, 48});

  onnx_import::ImportOptions wrong;
  wrong.input_shapes["x"] = {1, 4, 32, 48};  // channel 3 is fixed in the model
  CHECK_THROWS_WITH_AS(onnx_import::import_model(b.model(), {}, wrong),
                       doctest::Contains("does not match"), ConvertError);

  onnx_import::ImportOptions constant;
  constant.constant_inputs["x"] = converter_test::make_tensor({1, 3, 1, 1}, {-1.0f, 0.5f, 2.0f});
  auto folded = onnx_import::import_model(b.model(), {}, constant);
  CHECK(folded.graph.inputs.empty());
}

}  // namespace fennec

namespace fennec {

TEST_CASE("host eval: a Reshape target computed from symbolic dims copies or infers them") {
  OnnxBuilder b(13);
  b.input("x", {-1, 6, -1, -1}, {"N", "", "H", "W"});
  b.initializer_i64("i0", {1}, {0});
  b.initializer_i64("i2", {1}, {2});
  b.initializer_i64("i3", {1}, {3});
  b.initializer_i64("two_three", {2}, {2, 3});
  b.node("Shape", {"x"}, {"s"});
  OnnxBuilder::attr(b.node("Gather", {"s", "i0"}, {"n"}), "axis", int64_t{0});
  OnnxBuilder::attr(b.node("Gather", {"s", "i2"}, {"h"}), "axis", int64_t{0});
  OnnxBuilder::attr(b.node("Gather", {"s", "i3"}, {"w"}), "axis", int64_t{0});
  b.node("Mul", {"h", "w"}, {"hw"});
  OnnxBuilder::attr(b.node("Concat", {"n", "two_three", "hw"}, {"target"}), "axis", int64_t{0});
  b.node("Reshape", {"x", "target"}, {"y"});
  b.output("y", {-1, 2, 3, -1});
  auto result = onnx_import::import_model(b.model());
  const graph::Graph& g = result.graph;
  REQUIRE(g.nodes.size() == 1);
  const auto& reshape = static_cast<const ops::ReshapeOp&>(*g.nodes[0].op);
  CHECK(reshape.copy_from() == std::vector<int32_t>{0, -1, -1, -1});
  CHECK(reshape.shape()[1] == 2);
  CHECK(reshape.shape()[2] == 3);
  CHECK(reshape.shape()[3] == -1);
  const HostTensor x = converter_test::random_tensor({2, 6, 4, 5}, 3);
  auto out = converter_test::run_graph(g, {{"x", x}});
  CHECK(out.at("y").shape == Shape{2, 2, 3, 20});
}

}  // namespace fennec
