// ONNX import of the layout ops: Reshape/Flatten/Squeeze/Unsqueeze as
// RESHAPE with copied dims, Slice and Split across opsets, Gather with
// constant indices, Pad across opsets, Expand, Transpose, Identity and
// Dropout aliases, and the errors for non-constant parameters.
#include <doctest/doctest.h>

#include <limits>

#include "ops/pad.h"
#include "onnx/importer.h"
#include "passes/convert_error.h"
#include "unit/test_converter_helpers.h"

namespace fennec {
namespace {

using converter::ConvertError;
using converter_test::OnnxBuilder;
using schema::OpType;
constexpr int64_t U = kUnknownDim;

using converter_test::tensor_named;

std::vector<float> values(const HostTensor& t) {
  return {t.as<float>().begin(), t.as<float>().end()};
}

std::vector<float> iota(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i);
  return v;
}

}  // namespace

TEST_CASE("converter import: Reshape, Flatten, Squeeze, Unsqueeze keep symbolic dims") {
  for (int opset : {11, 13}) {
    OnnxBuilder b(opset);
    b.input("x", {-1, 3, 1, 4}, {"batch"});
    b.initializer_i64("shape", {2}, {0, -1});
    b.node("Reshape", {"x", "shape"}, {"r"}, "reshape");
    auto& flatten = b.node("Flatten", {"x"}, {"f"}, "flatten");
    OnnxBuilder::attr(flatten, "axis", int64_t{2});
    if (opset < 13) {
      auto& sq = b.node("Squeeze", {"x"}, {"s"}, "squeeze");
      OnnxBuilder::attr(sq, "axes", std::vector<int64_t>{-2});
      auto& usq = b.node("Unsqueeze", {"s"}, {"u"}, "unsqueeze");
      OnnxBuilder::attr(usq, "axes", std::vector<int64_t>{1, -1});
    } else {
      b.initializer_i64("sq_axes", {1}, {-2});
      b.initializer_i64("usq_axes", {2}, {1, -1});
      b.node("Squeeze", {"x", "sq_axes"}, {"s"}, "squeeze");
      b.node("Unsqueeze", {"s", "usq_axes"}, {"u"}, "unsqueeze");
    }
    for (const char* out : {"r", "f", "u"}) b.output(out);
    auto result = onnx_import::import_model(b.model());
    const graph::Graph& g = result.graph;
    CHECK(converter_test::count_ops(g, OpType::RESHAPE) == 4);
    CHECK(tensor_named(g, "r").shape == Shape{U, 12});
    CHECK(tensor_named(g, "f").shape == Shape{U, 4});  // [N*3, 1*4]
    CHECK(tensor_named(g, "s").shape == Shape{U, 3, 4});
    CHECK(tensor_named(g, "u").shape == Shape{U, 1, 3, 4, 1});
    CHECK(tensor_named(g, "u").dim_symbols[0] == "batch");
    CHECK(tensor_named(g, "r").dim_symbols[0] == "batch");

    const HostTensor x = converter_test::make_tensor({2, 3, 1, 4}, iota(24));
    auto out = converter_test::run_graph(g, {{"x", x}});
    CHECK(out.at("r").shape == Shape{2, 12});
    CHECK(out.at("f").shape == Shape{6, 4});
    CHECK(out.at("u").shape == Shape{2, 1, 3, 4, 1});
    CHECK(values(out.at("u")) == iota(24));
  }
}

TEST_CASE("converter import: Slice attributes (opset 9) and inputs (opset 13), Split") {
  {
    OnnxBuilder b(9);
    b.input("x", {4, 6});
    auto& s = b.node("Slice", {"x"}, {"y"}, "slice");
    OnnxBuilder::attr(s, "starts", std::vector<int64_t>{1, -4});
    OnnxBuilder::attr(s, "ends", std::vector<int64_t>{1000, -1});
    b.output("y");
    auto result = onnx_import::import_model(b.model());
    CHECK(tensor_named(result.graph, "y").shape == Shape{3, 3});
  }
  {
    OnnxBuilder b(13);
    b.input("x", {-1, 6});
    b.initializer_i64("starts", {1}, {-1});
    b.initializer_i64("ends", {1}, {std::numeric_limits<int64_t>::min()});
    b.initializer_i64("axes", {1}, {-1});
    b.initializer_i64("steps", {1}, {-2});
    b.node("Slice", {"x", "starts", "ends", "axes", "steps"}, {"y"}, "slice");
    b.output("y");
    auto result = onnx_import::import_model(b.model());
    CHECK(tensor_named(result.graph, "y").shape == Shape{U, 3});
    const HostTensor x = converter_test::make_tensor({1, 6}, iota(6));
    auto out = converter_test::run_graph(result.graph, {{"x", x}});
    CHECK(values(out.at("y")) == std::vector<float>{5, 3, 1});
  }
  for (int opset : {11, 13, 18}) {
    OnnxBuilder b(opset);
    b.input("x", {2, 7});
    auto& sized = b.node("Split", {"x"}, {"a", "b"}, "split_sized");
    OnnxBuilder::attr(sized, "axis", int64_t{-1});
    if (opset < 13) {
      OnnxBuilder::attr(sized, "split", std::vector<int64_t>{3, 4});
    } else {
      b.initializer_i64("sizes", {2}, {3, 4});
      sized.add_input("sizes");
    }
    b.input("z", {6, 2});
    b.node("Split", {"z"}, {"p", "q", "r"}, "split_equal");
    for (const char* out : {"a", "b", "p", "r"}) b.output(out);
    auto result = onnx_import::import_model(b.model());
    const graph::Graph& g = result.graph;
    CHECK(converter_test::count_ops(g, OpType::SLICE) == 5);
    CHECK(tensor_named(g, "a").shape == Shape{2, 3});
    CHECK(tensor_named(g, "b").shape == Shape{2, 4});
    CHECK(tensor_named(g, "r").shape == Shape{2, 2});
    auto out = converter_test::run_graph(
        g, {{"x", converter_test::make_tensor({2, 7}, iota(14))},
            {"z", converter_test::make_tensor({6, 2}, iota(12))}});
    CHECK(values(out.at("b")) == std::vector<float>{3, 4, 5, 6, 10, 11, 12, 13});
    CHECK(values(out.at("r")) == std::vector<float>{8, 9, 10, 11});
  }
}

TEST_CASE("converter import: Gather, Pad, Expand, Transpose") {
  OnnxBuilder b(13);
  b.input("x", {-1, 3, 4}, {"batch"});
  b.initializer_i64("idx", {}, {-1});
  auto& gather = b.node("Gather", {"x", "idx"}, {"g"}, "gather");
  OnnxBuilder::attr(gather, "axis", int64_t{1});
  b.initializer_i64("pads", {4}, {0, 1, 0, 2});
  b.initializer("fill", {}, {7.0f});
  b.node("Pad", {"g", "pads", "fill"}, {"p"}, "pad");
  b.initializer_i64("shape", {3}, {2, 1, 1});
  b.node("Expand", {"p", "shape"}, {"e"}, "expand");
  b.node("Transpose", {"e"}, {"t"}, "transpose");
  b.output("t");
  auto result = onnx_import::import_model(b.model());
  const graph::Graph& g = result.graph;
  CHECK(tensor_named(g, "g").shape == Shape{U, 4});
  CHECK(tensor_named(g, "p").shape == Shape{U, 7});
  CHECK(tensor_named(g, "e").shape == Shape{2, U, 7});
  CHECK(tensor_named(g, "t").shape == Shape{7, U, 2});
  CHECK(tensor_named(g, "p").dim_symbols[0] == "batch");
  CHECK(tensor_named(g, "t").dim_symbols[1] == "batch");
  const graph::Node& node = g.nodes.at(0);
  REQUIRE(node.op->type() == OpType::GATHER);
  const graph::TensorInfo& indices = g.tensors.at(static_cast<size_t>(node.inputs.at(1)));
  CHECK(indices.dtype == DataType::INT32);
  CHECK(indices.shape.empty());

  const HostTensor x = converter_test::make_tensor({1, 3, 4}, iota(12));
  auto out = converter_test::run_graph(g, {{"x", x}}, true);
  CHECK(values(out.at("p")) == std::vector<float>{7, 8, 9, 10, 11, 7, 7});
  CHECK(out.at("t").shape == Shape{7, 1, 2});
}

TEST_CASE("converter import: Pad attributes (opset 2) and axes input (opset 18)") {
  {
    OnnxBuilder b(2);
    b.input("x", {2, 3});
    auto& pad = b.node("Pad", {"x"}, {"y"}, "pad");
    OnnxBuilder::attr(pad, "pads", std::vector<int64_t>{0, 2, 0, 1});
    OnnxBuilder::attr(pad, "mode", std::string("reflect"));
    b.output("y");
    auto result = onnx_import::import_model(b.model());
    const auto& op = dynamic_cast<const ops::PadOp&>(*result.graph.nodes.at(0).op);
    CHECK(op.mode() == ops::PadMode::REFLECT);
    CHECK(tensor_named(result.graph, "y").shape == Shape{2, 6});
  }
  {
    OnnxBuilder b(18);
    b.input("x", {2, 3, 5});
    b.initializer_i64("pads", {2}, {1, 2});
    b.initializer_i64("axes", {1}, {-1});
    auto& pad = b.node("Pad", {"x", "pads", "", "axes"}, {"y"}, "pad");
    OnnxBuilder::attr(pad, "mode", std::string("edge"));
    b.output("y");
    auto result = onnx_import::import_model(b.model());
    const auto& op = dynamic_cast<const ops::PadOp&>(*result.graph.nodes.at(0).op);
    CHECK(op.pads() == std::vector<int64_t>{0, 0, 1, 0, 0, 2});
    CHECK(tensor_named(result.graph, "y").shape == Shape{2, 3, 8});
  }
  {
    OnnxBuilder b(19);
    b.input("x", {2, 3});
    b.initializer_i64("pads", {4}, {0, 1, 0, 1});
    auto& pad = b.node("Pad", {"x", "pads"}, {"y"}, "pad");
    OnnxBuilder::attr(pad, "mode", std::string("wrap"));
    b.output("y");
    CHECK_THROWS_WITH_AS(onnx_import::import_model(b.model()),
                         "unsupported attribute mode=wrap of ONNX op Pad (opset 19) at node pad",
                         ConvertError);
  }
}

TEST_CASE("converter import: Identity and Dropout bind the input, no node") {
  OnnxBuilder b(13);
  b.input("x", {2, 3});
  b.node("Identity", {"x"}, {"i"}, "identity");
  b.node("Dropout", {"i"}, {"d", "mask"}, "dropout");
  b.node("Relu", {"d"}, {"y"}, "relu");
  b.output("y");
  b.output("mask");
  auto result = onnx_import::import_model(b.model());
  const graph::Graph& g = result.graph;
  REQUIRE(g.nodes.size() == 1);
  CHECK(g.nodes[0].inputs[0] == g.find_tensor("x"));
  const graph::TensorInfo& mask = tensor_named(g, "mask");
  CHECK(mask.dtype == DataType::BOOL);
  CHECK(mask.is_constant());
  CHECK(mask.shape == Shape{2, 3});
}

TEST_CASE("converter import: a statically empty output becomes an empty constant") {
  OnnxBuilder b(13);
  b.input("x", {4, 6, 3});
  b.initializer_i64("starts", {1}, {100});
  b.initializer_i64("ends", {1}, {200});
  b.initializer_i64("axes", {1}, {1});
  b.node("Slice", {"x", "starts", "ends", "axes"}, {"y"}, "slice");
  b.output("y");
  const graph::Graph g = onnx_import::import_model(b.model()).graph;
  CHECK(g.nodes.empty());
  const graph::TensorInfo& y = tensor_named(g, "y");
  CHECK(y.is_constant());
  CHECK(y.shape == Shape{4, 0, 3});

  // An empty tensor feeding a node with a non-empty result is refused.
  OnnxBuilder c(13);
  c.input("x", {4, 6, 3});
  c.initializer_i64("starts", {1}, {100});
  c.initializer_i64("ends", {1}, {200});
  c.initializer_i64("axes", {1}, {1});
  c.node("Slice", {"x", "starts", "ends", "axes"}, {"e"}, "slice");
  OnnxBuilder::attr(c.node("Concat", {"x", "e"}, {"y"}, "concat"), "axis", int64_t{1});
  c.output("y");
  CHECK_THROWS_WITH_AS(onnx_import::import_model(c.model()),
                       "input 'e' has shape [4,0,3]; an empty tensor is only supported where the node's "
                       "results are empty too in ONNX op Concat (opset 13) at node concat",
                       ConvertError);
}

TEST_CASE("converter import: layout op parameters must be constants") {
  auto expect_error = [](OnnxBuilder& b, const std::string& text) {
    CHECK_THROWS_WITH_AS(onnx_import::import_model(b.model()), text.c_str(), ConvertError);
  };
  {
    OnnxBuilder b(13);
    b.input("x", {2, 3});
    b.input("s", {2});
    b.node("Reshape", {"x", "s"}, {"y"}, "reshape");
    b.output("y");
    expect_error(b,
                 "Reshape shape input 's' is not a constant; only constant target shapes are "
                 "supported in ONNX op Reshape (opset 13) at node reshape");
  }
  {
    OnnxBuilder b(13);
    b.input("x", {2, 3});
    b.input("i", {1});
    b.node("Gather", {"x", "i"}, {"y"}, "gather");
    b.output("y");
    expect_error(b,
                 "Gather indices input 'i' is not a constant; only constant indices are "
                 "supported in ONNX op Gather (opset 13) at node gather");
  }
  {
    OnnxBuilder b(13);
    b.input("x", {2, 3});
    b.initializer_i64("idx", {1}, {5});
    b.node("Gather", {"x", "idx"}, {"y"}, "gather");
    b.output("y");
    expect_error(b,
                 "index 5 is out of range for axis 0 of data [2,3] in ONNX op Gather (opset 13) "
                 "at node gather");
  }
  {
    // Integer Gather on constants is evaluated at conversion: no node, a constant.
    OnnxBuilder b(13);
    b.input("x", {2, 3});
    b.initializer_i64("data", {2}, {6, 1});
    b.initializer_i64("idx", {1}, {0});
    b.node("Gather", {"data", "idx"}, {"y"}, "gather");
    b.node("Reshape", {"x", "y"}, {"t"}, "reshape");
    b.output("t");
    auto result = onnx_import::import_model(b.model());
    const graph::Graph& g = result.graph;
    REQUIRE(g.nodes.size() == 1);
    CHECK(g.tensors[g.nodes[0].outputs[0]].shape == Shape{6});
  }
}

}  // namespace fennec
