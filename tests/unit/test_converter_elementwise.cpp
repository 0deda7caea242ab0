// ONNX import of the elementwise, softmax, reduce and layer-norm families:
// math functions and parameterized activations as UNARY with the ONNX
// defaults, Pow, variadic Max/Min/Sum/Mean as chains, Softmax across
// opsets, Reduce* with attribute and input axes, LayerNormalization and
// GlobalMaxPool, each checked by running the imported graph's references.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "ops/layer_norm.h"
#include "ops/reduce.h"
#include "ops/unary.h"
#include "onnx/importer.h"
#include "passes/convert_error.h"
#include "unit/test_converter_helpers.h"

namespace fennec {
namespace {

using converter::ConvertError;
using converter_test::OnnxBuilder;
using schema::OpType;

const graph::Node& producer(const graph::Graph& g, const std::string& name) {
  const int index = g.find_tensor(name);
  REQUIRE(index >= 0);
  for (const graph::Node& n : g.nodes)
    for (int out : n.outputs)
      if (out == index) return n;
  FAIL("no producer for " << name);
  return g.nodes.front();
}

std::vector<float> values(const HostTensor& t) { return {t.as<float>().begin(), t.as<float>().end()}; }

}  // namespace

TEST_CASE("converter import: math functions and activations become UNARY with ONNX defaults") {
  OnnxBuilder b(13);
  b.input("x", {2, 3});
  b.node("Erf", {"x"}, {"erf"});
  b.node("LeakyRelu", {"x"}, {"leaky"});
  b.node("Selu", {"x"}, {"selu"});
  auto& shrink = b.node("Shrink", {"x"}, {"shrink"});
  OnnxBuilder::attr(shrink, "bias", 0.25f);
  b.node("Softplus", {"x"}, {"softplus"});
  for (const char* out : {"erf", "leaky", "selu", "shrink", "softplus"}) b.output(out);
  auto result = onnx_import::import_model(b.model());
  const graph::Graph& g = result.graph;
  CHECK(converter_test::count_ops(g, OpType::UNARY) == 5);
  auto activation = [&](const std::string& name) {
    return static_cast<const ops::UnaryOp&>(*producer(g, name).op).activation();
  };
  CHECK(activation("erf").kind == schema::Activation::ERF);
  CHECK(activation("leaky").kind == schema::Activation::LEAKY_RELU);
  CHECK(activation("leaky").alpha == 0.01f);
  CHECK(activation("selu").alpha == doctest::Approx(1.6732632));
  CHECK(activation("selu").beta == doctest::Approx(1.0507010));
  CHECK(activation("shrink").alpha == 0.5f);
  CHECK(activation("shrink").beta == 0.25f);

  const HostTensor x = converter_test::make_tensor({2, 3}, {-2, -1, 0, 0.25f, 1, 2});
  auto out = converter_test::run_graph(g, {{"x", x}});
  CHECK(values(out.at("erf"))[4] == doctest::Approx(0.8427007929));
  CHECK(values(out.at("leaky"))[0] == doctest::Approx(-0.02));
  CHECK(values(out.at("shrink")) == std::vector<float>{-1.75f, -0.75f, 0, 0, 0.75f, 1.75f});
}

TEST_CASE("converter import: Pow, variadic Max/Min/Sum/Mean") {
  OnnxBuilder b(13);
  b.input("a", {2, 3});
  b.input("b", {3});
  b.input("c", {2, 1});
  b.initializer_i64("two", {}, {2});
  b.node("Pow", {"a", "two"}, {"sq"});
  b.node("Max", {"a", "b", "c"}, {"max"});
  b.node("Min", {"a"}, {"min1"});
  b.node("Sum", {"a", "b"}, {"sum"});
  b.node("Mean", {"a", "b", "c"}, {"mean"});
  for (const char* out : {"sq", "max", "min1", "sum", "mean"}) b.output(out);
  auto result = onnx_import::import_model(b.model());
  const graph::Graph& g = result.graph;
  CHECK(converter_test::count_ops(g, OpType::POW) == 1);
  CHECK(converter_test::count_ops(g, OpType::MAXIMUM) == 2);
  CHECK(converter_test::count_ops(g, OpType::MINIMUM) == 0);  // one input: an alias
  CHECK(converter_test::count_ops(g, OpType::ADD) == 3);
  CHECK(converter_test::count_ops(g, OpType::MUL) == 1);

  const HostTensor a = converter_test::make_tensor({2, 3}, {1, -2, 3, 4, 5, -6});
  const HostTensor bv = converter_test::make_tensor({3}, {0, 0, 9});
  const HostTensor c = converter_test::make_tensor({2, 1}, {2, -3});
  auto out = converter_test::run_graph(g, {{"a", a}, {"b", bv}, {"c", c}});
  CHECK(values(out.at("sq")) == std::vector<float>{1, 4, 9, 16, 25, 36});
  CHECK(values(out.at("max")) == std::vector<float>{2, 2, 9, 4, 5, 9});
  // The one-input Min is the input itself.
  CHECK(std::count(g.outputs.begin(), g.outputs.end(), g.find_tensor("a")) == 1);
  CHECK(values(out.at("sum")) == std::vector<float>{1, -2, 12, 4, 5, 3});
  const std::vector<float> mean = values(out.at("mean"));
  const std::vector<float> want = {1, 0, 14.0f / 3, 1.0f / 3, 2.0f / 3, 0};
  for (size_t i = 0; i < want.size(); ++i) CHECK(mean[i] == doctest::Approx(want[i]));
}

TEST_CASE("converter import: Softmax and LogSoftmax across opsets") {
  {
    OnnxBuilder b(11);
    b.input("x", {2, 3});
    b.node("Softmax", {"x"}, {"y"}, "softmax");  // default axis 1 = last
    b.node("LogSoftmax", {"x"}, {"z"}, "log_softmax");
    b.output("y");
    b.output("z");
    auto result = onnx_import::import_model(b.model());
    CHECK(converter_test::count_ops(result.graph, OpType::SOFTMAX) == 2);
    auto out = converter_test::run_graph(result.graph,
                                         {{"x", converter_test::make_tensor({2, 3}, {-1, 0, 1, 0, 0, 0})}});
    CHECK(values(out.at("y"))[2] == doctest::Approx(0.66524094));
    CHECK(values(out.at("z"))[0] == doctest::Approx(-2.40760596));
  }
  {
    // Opset < 13 at a non-last axis flattens the trailing dims together.
    OnnxBuilder b(11);
    b.input("x", {2, 3, 4});
    b.node("Softmax", {"x"}, {"y"}, "softmax");
    b.output("y");
    CHECK_THROWS_WITH_AS(onnx_import::import_model(b.model()),
                         "unsupported attribute axis=1 of ONNX op Softmax (opset 11) at node softmax",
                         ConvertError);
  }
  {
    OnnxBuilder b(13);
    b.input("x", {2, 3, 4});
    auto& s = b.node("Softmax", {"x"}, {"y"}, "softmax");
    OnnxBuilder::attr(s, "axis", int64_t{1});
    b.output("y");
    auto result = onnx_import::import_model(b.model());
    REQUIRE(converter_test::count_ops(result.graph, OpType::SOFTMAX) == 1);
  }
}

TEST_CASE("converter import: Reduce* with attribute and input axes, noop, keepdims") {
  OnnxBuilder b(13);
  b.input("x", {2, 3, 4}, {});
  b.initializer_i64("axes", {1}, {-1});
  auto& sum = b.node("ReduceSum", {"x", "axes"}, {"sum"});  // opset 13: input axes
  OnnxBuilder::attr(sum, "keepdims", int64_t{0});
  auto& mean = b.node("ReduceMean", {"x"}, {"mean"});  // opset 13: attribute axes
  OnnxBuilder::attr(mean, "axes", std::vector<int64_t>{0, 2});
  b.node("ReduceMax", {"x"}, {"max"});  // no axes: all
  auto& noop = b.node("ReduceSum", {"x"}, {"noop"});
  OnnxBuilder::attr(noop, "noop_with_empty_axes", int64_t{1});
  b.node("GlobalMaxPool", {"x"}, {"gmp"});
  for (const char* out : {"sum", "mean", "max", "noop", "gmp"}) b.output(out);
  auto result = onnx_import::import_model(b.model());
  const graph::Graph& g = result.graph;
  CHECK(converter_test::count_ops(g, OpType::REDUCE) == 4);
  const auto& mean_op = static_cast<const ops::ReduceOp&>(*producer(g, "mean").op);
  CHECK(mean_op.axes() == std::vector<int>{0, 2});
  CHECK(mean_op.keep_dims());

  std::vector<float> xs(24);
  for (size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<float>(i);
  const HostTensor x = converter_test::make_tensor({2, 3, 4}, xs);
  auto out = converter_test::run_graph(g, {{"x", x}});
  CHECK(out.at("sum").shape == Shape{2, 3});
  CHECK(values(out.at("sum"))[0] == 6);
  CHECK(out.at("mean").shape == Shape{1, 3, 1});
  CHECK(values(out.at("mean")) == std::vector<float>{7.5f, 11.5f, 15.5f});
  CHECK(out.at("max").shape == Shape{1, 1, 1});
  CHECK(values(out.at("max"))[0] == 23);
  CHECK(std::count(g.outputs.begin(), g.outputs.end(), g.find_tensor("x")) == 1);  // noop
  CHECK(out.at("gmp").shape == Shape{2, 3, 1});
  CHECK(values(out.at("gmp")) == std::vector<float>{3, 7, 11, 15, 19, 23});

  // Opset 18 takes axes as an input for every reduce op.
  OnnxBuilder b18(18);
  b18.input("x", {2, 3});
  b18.initializer_i64("axes", {1}, {0});
  b18.node("ReduceL2", {"x", "axes"}, {"l2"});
  b18.output("l2");
  auto r18 = onnx_import::import_model(b18.model());
  auto out18 = converter_test::run_graph(
      r18.graph, {{"x", converter_test::make_tensor({2, 3}, {3, 0, 1, 4, 0, 1})}});
  CHECK(values(out18.at("l2"))[0] == doctest::Approx(5));
}

TEST_CASE("converter import: LayerNormalization") {
  {
    OnnxBuilder b(17);
    b.input("x", {2, 3});
    b.initializer("scale", {3}, {1, 2, 3});
    b.initializer("bias", {3}, {0.5f, 0, -0.5f});
    auto& ln = b.node("LayerNormalization", {"x", "scale", "bias"}, {"y"}, "ln");
    OnnxBuilder::attr(ln, "epsilon", 0.0f);
    b.output("y");
    auto result = onnx_import::import_model(b.model());
    const auto& op = static_cast<const ops::LayerNormOp&>(*producer(result.graph, "y").op);
    CHECK(op.axis() == 1);
    auto out = converter_test::run_graph(
        result.graph, {{"x", converter_test::make_tensor({2, 3}, {1, 2, 3, 4, 6, 8})}});
    CHECK(values(out.at("y"))[2] == doctest::Approx(3 * 1.2247448714 - 0.5));
  }
  {
    OnnxBuilder b(17);
    b.input("x", {2, 3});
    b.initializer("scale", {3}, {1, 2, 3});
    b.node("LayerNormalization", {"x", "scale"}, {"y", "mean"}, "ln");
    b.output("y");
    b.output("mean");
    CHECK_THROWS_AS(onnx_import::import_model(b.model()), ConvertError);
  }
}

}  // namespace fennec
