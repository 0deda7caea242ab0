// ONNX importer: ops, attributes, constants, shapes and exact error texts.
#include <doctest/doctest.h>

#include "ops/concat.h"
#include "ops/conv.h"
#include "ops/conv_transpose.h"
#include "ops/resize.h"
#include "ops/unary.h"
#include "onnx/importer.h"
#include "passes/convert_error.h"
#include "unit/test_converter_helpers.h"

namespace fennec {
namespace {

using converter::ConvertError;
using converter_test::OnnxBuilder;
using converter_test::random_values;
using schema::OpType;

template <typename T>
const T& op_as(const graph::Graph& g, size_t node) {
  const T* op = dynamic_cast<const T*>(g.nodes.at(node).op.get());
  REQUIRE(op != nullptr);
  return *op;
}

using converter_test::tensor_named;

// x[batch,3,8,8] -> Conv(3x3, pad 1) -> BatchNormalization -> Relu -> y
OnnxBuilder conv_bn_relu_model(bool raw = true) {
  OnnxBuilder b(13);
  b.input("x", {-1, 3, 8, 8}, {"batch"});
  b.initializer("w", {4, 3, 3, 3}, random_values(108, 1), raw);
  b.initializer("b", {4}, random_values(4, 2), raw);
  b.initializer("gamma", {4}, random_values(4, 3, 0.5f, 1.5f), raw);
  b.initializer("beta", {4}, random_values(4, 4), raw);
  b.initializer("mean", {4}, random_values(4, 5), raw);
  b.initializer("var", {4}, random_values(4, 6, 0.1f, 2.0f), raw);
  auto& conv = b.node("Conv", {"x", "w", "b"}, {"c"}, "conv0");
  OnnxBuilder::attr(conv, "pads", std::vector<int64_t>{1, 1, 1, 1});
  auto& bn = b.node("BatchNormalization", {"c", "gamma", "beta", "mean", "var"}, {"n"}, "bn0");
  OnnxBuilder::attr(bn, "epsilon", 1e-3f);
  b.node("Relu", {"n"}, {"y"}, "relu0");
  b.output("y", {-1, 4, 8, 8}, {"batch_out"});
  return b;
}

}  // namespace

TEST_CASE("converter import: Conv + BatchNormalization + Relu") {
  for (bool raw : {true, false}) {
    OnnxBuilder b = conv_bn_relu_model(raw);
    auto result = onnx_import::import_model(b.model());
    const graph::Graph& g = result.graph;
    CHECK(g.validate().ok());
    REQUIRE(g.nodes.size() == 3);
    CHECK(g.nodes[0].op->type() == OpType::CONV);
    CHECK(g.nodes[0].name == "conv0");
    CHECK(g.nodes[1].op->type() == OpType::BATCH_NORM);
    CHECK(g.nodes[2].op->type() == OpType::RELU);
    const auto& conv = op_as<ops::ConvOp>(g, 0).params();
    CHECK(conv.kernel_h == 3);  // inferred from the weights
    CHECK(conv.kernel_w == 3);
    CHECK(conv.pad_top == 1);
    CHECK(conv.pad_right == 1);
    CHECK(result.info.opset == 13);
    CHECK(result.info.producer_name == "fennec-tests");

    REQUIRE(g.inputs.size() == 1);
    const graph::TensorInfo& x = g.tensors[static_cast<size_t>(g.inputs[0])];
    CHECK(x.shape == Shape{kUnknownDim, 3, 8, 8});
    CHECK(x.dim_symbols[0] == "batch");
    const graph::TensorInfo& y = tensor_named(g, "y");
    CHECK(y.shape == Shape{kUnknownDim, 4, 8, 8});
    // The batch symbol flows through the graph.
    CHECK(y.dim_symbols[0] == "batch");
    const graph::TensorInfo& w = tensor_named(g, "w");
    REQUIRE(w.is_constant());
    CHECK(w.shape == Shape{4, 3, 3, 3});
    CHECK(g.constant_value(g.find_tensor("w")).as<float>()[5] == random_values(108, 1)[5]);
  }
}

TEST_CASE("converter import: Constant nodes and int64 constants") {
  OnnxBuilder b(13);
  b.input("x", {1, 2, 4, 4});
  b.constant("k_raw", {1, 2, 1, 1}, {2.0f, 3.0f}, true);
  b.constant("k_typed", {}, {0.5f}, false);
  auto& f = b.node("Constant", {}, {"k_float"});
  OnnxBuilder::attr(f, "value_float", 4.0f);
  auto& ints = b.node("Constant", {}, {"k_ints"});
  OnnxBuilder::attr(ints, "value_ints", std::vector<int64_t>{1, 2, 3});
  b.node("Mul", {"x", "k_raw"}, {"m"}, "mul");
  b.node("Add", {"m", "k_typed"}, {"a"}, "add");
  b.node("Sub", {"a", "k_float"}, {"y"}, "sub");
  b.output("y");
  auto result = onnx_import::import_model(b.model());
  const graph::Graph& g = result.graph;
  CHECK(result.info.constant_nodes == 4);
  CHECK(g.nodes.size() == 3);  // Constant nodes become tensors, not nodes
  const int raw = g.find_tensor("k_raw");
  REQUIRE(raw >= 0);
  CHECK(g.tensors[static_cast<size_t>(raw)].is_constant());
  CHECK(g.constant_value(raw).as<float>()[1] == 3.0f);
  const int typed = g.find_tensor("k_typed");
  CHECK(g.tensors[static_cast<size_t>(typed)].shape.empty());
  CHECK(g.constant_value(typed).as<float>()[0] == 0.5f);
  CHECK(g.constant_value(g.find_tensor("k_float")).as<float>()[0] == 4.0f);
  const int i64 = g.find_tensor("k_ints");
  REQUIRE(i64 >= 0);
  CHECK(g.tensors[static_cast<size_t>(i64)].dtype == DataType::INT64);
  CHECK(g.constant_value(i64).as<int64_t>()[2] == 3);
}

TEST_CASE("converter import: unsupported ops give the exact error text") {
  {
    OnnxBuilder b(13);
    b.input("x", {1, 3, 4, 4});
    b.node("Relu", {"x"}, {"r"}, "relu");
    b.node("Foo", {"r"}, {"y"}, "foo_node");
    b.output("y");
    CHECK_THROWS_WITH_AS(onnx_import::import_model(b.model()),
                         "unsupported ONNX op Foo (opset 13) at node foo_node", ConvertError);
  }
  {
    // A known op name in another domain is still unsupported.
    OnnxBuilder b(12);
    auto* custom = b.model().add_opset_import();
    custom->set_domain("com.example");
    custom->set_version(2);
    b.input("x", {1, 3, 4, 4});
    auto& n = b.node("Relu", {"x"}, {"y"}, "custom_relu");
    n.set_domain("com.example");
    b.output("y");
    CHECK_THROWS_WITH_AS(onnx_import::import_model(b.model()),
                         "unsupported ONNX op com.example.Relu (opset 2) at node custom_relu",
                         ConvertError);
  }
  {
    // Unnamed nodes are named by position and first output.
    OnnxBuilder b(11);
    b.input("x", {1, 3, 4, 4});
    b.node("LpPool", {"x"}, {"y"});
    b.output("y");
    CHECK_THROWS_WITH_AS(onnx_import::import_model(b.model()),
                         "unsupported ONNX op LpPool (opset 11) at node #0 (output y)",
                         ConvertError);
  }
}

TEST_CASE("converter import: unsupported attribute values give the exact error text") {
  {
    // Cubic exists from Resize-11 on.
    OnnxBuilder b(10);
    b.input("x", {1, 3, 4, 4});
    b.initializer("scales", {4}, {1, 1, 2, 2});
    auto& r = b.node("Resize", {"x", "scales"}, {"y"}, "r");
    OnnxBuilder::attr(r, "mode", std::string("cubic"));
    b.output("y");
    CHECK_THROWS_WITH_AS(onnx_import::import_model(b.model()),
                         "unsupported attribute mode=cubic of ONNX op Resize (opset 10) at node r",
                         ConvertError);
  }
  {
    OnnxBuilder b(11);
    b.input("x", {1, 3, 4, 4});
    b.initializer("w", {2, 3, 3, 3}, random_values(54, 1));
    auto& c = b.node("Conv", {"x", "w"}, {"y"}, "c");
    OnnxBuilder::attr(c, "auto_pad", std::string("SAME_MIDDLE"));
    b.output("y");
    CHECK_THROWS_WITH_AS(onnx_import::import_model(b.model()),
                         "unsupported attribute auto_pad=SAME_MIDDLE of ONNX op Conv (opset 11) at node c",
                         ConvertError);
  }
  {
    OnnxBuilder b(15);
    b.input("x", {1, 2, 4, 4});
    for (const char* name : {"s", "bb", "m", "v"}) b.initializer(name, {2}, {1, 1});
    auto& bn = b.node("BatchNormalization", {"x", "s", "bb", "m", "v"}, {"y"}, "bn");
    OnnxBuilder::attr(bn, "training_mode", int64_t{2});
    b.output("y");
    CHECK_THROWS_WITH_AS(
        onnx_import::import_model(b.model()),
        "unsupported attribute training_mode=2 of ONNX op BatchNormalization (opset 15) at node bn",
        ConvertError);
  }
  {
    // 1-D convolution with a kernel_shape that disagrees with its rank.
    OnnxBuilder b(11);
    b.input("x", {1, 3, 8});
    b.initializer("w", {2, 3, 3}, random_values(18, 1));
    auto& c = b.node("Conv", {"x", "w"}, {"y"}, "c1d");
    OnnxBuilder::attr(c, "kernel_shape", std::vector<int64_t>{3, 3});
    b.output("y");
    CHECK_THROWS_WITH_AS(onnx_import::import_model(b.model()),
                         "unsupported attribute kernel_shape=[3,3] of ONNX op Conv (opset 11) at node c1d",
                         ConvertError);
  }
}

TEST_CASE("converter import: Clip bounds from attributes (opset 6) and inputs (opset 11)") {
  {
    OnnxBuilder b(6);
    b.input("x", {1, 4});
    auto& c = b.node("Clip", {"x"}, {"y"}, "clip");
    OnnxBuilder::attr(c, "min", 0.0f);
    OnnxBuilder::attr(c, "max", 6.0f);
    b.output("y");
    auto r = onnx_import::import_model(b.model());
    REQUIRE(r.graph.nodes.size() == 1);
    const auto& a = op_as<ops::UnaryOp>(r.graph, 0).activation();
    CHECK(a.kind == schema::Activation::CLIP);
    CHECK(a.alpha == 0.0f);
    CHECK(a.beta == 6.0f);
    CHECK(r.graph.nodes[0].inputs.size() == 1);
  }
  {
    OnnxBuilder b(11);
    b.input("x", {1, 4});
    b.constant("lo", {}, {-1.0f});
    b.constant("hi", {}, {2.5f});
    b.node("Clip", {"x", "lo", "hi"}, {"y"}, "clip");
    b.output("y");
    auto r = onnx_import::import_model(b.model());
    const auto& a = op_as<ops::UnaryOp>(r.graph, 0).activation();
    CHECK(a.alpha == -1.0f);
    CHECK(a.beta == 2.5f);
    CHECK(r.graph.nodes[0].inputs.size() == 1);  // bounds live in the op
  }
  {
    // Opset 11 with only max; attributes are ignored at opset 11.
    OnnxBuilder b(11);
    b.input("x", {1, 4});
    b.constant("hi", {1}, {6.0f});
    auto& c = b.node("Clip", {"x", "", "hi"}, {"y"}, "clip");
    OnnxBuilder::attr(c, "min", 3.0f);
    b.output("y");
    auto r = onnx_import::import_model(b.model());
    const auto& a = op_as<ops::UnaryOp>(r.graph, 0).activation();
    CHECK(a.alpha < -1e38f);
    CHECK(a.beta == 6.0f);
  }
  {
    OnnxBuilder b(11);
    b.input("x", {1, 4});
    b.input("lo", {});
    b.node("Clip", {"x", "lo"}, {"y"}, "clip");
    b.output("y");
    CHECK_THROWS_WITH_AS(onnx_import::import_model(b.model()),
                         "Clip min input 'lo' is not a constant; only constant bounds are "
                         "supported in ONNX op Clip (opset 11) at node clip",
                         ConvertError);
  }
}

TEST_CASE("converter import: a graph of only custom-domain ops names the op") {
  // No default-domain opset is needed when no node uses that domain.
  OnnxBuilder b(13);
  b.model().clear_opset_import();
  auto* opset = b.model().add_opset_import();
  opset->set_domain("com.example");
  opset->set_version(2);
  b.input("x", {4});
  b.node("Frobnicate", {"x"}, {"y"}, "f").set_domain("com.example");
  b.output("y");
  CHECK_THROWS_WITH_AS(onnx_import::import_model(b.model()),
                       "unsupported ONNX op com.example.Frobnicate (opset 2) at node f", ConvertError);
}

TEST_CASE("converter import: DOUBLE graph outputs are refused") {
  OnnxBuilder b(13);
  b.input("x", {4});
  b.node("Relu", {"x"}, {"y"}, "r");
  b.output("y", {4});
  b.model().mutable_graph()->mutable_output(0)->mutable_type()->mutable_tensor_type()->set_elem_type(
      onnx::TensorProto::DOUBLE);
  CHECK_THROWS_WITH_AS(onnx_import::import_model(b.model()),
                       "graph output 'y' has data type DOUBLE; Fennec computes in FLOAT32 and gives no "
                       "DOUBLE outputs (re-export the model with FLOAT outputs)",
                       ConvertError);
}

TEST_CASE("converter import: activations reject integer inputs; integer Clip is evaluated") {
  // Found by the ONNX conformance suite (test_clip_default_int8_inbounds):
  // an INT8 Clip used to come out as FLOAT. Integer Clip of constants is
  // now evaluated at conversion and keeps its type; activations that run on
  // the device still reject integers.
  onnx_import::ImportOptions options;
  HostTensor x(DataType::INT8, {4});
  for (size_t i = 0; i < 4; ++i) x.as<int8_t>()[i] = static_cast<int8_t>(i * 3);
  options.constant_inputs.emplace("x", x);
  {
    OnnxBuilder b(13);
    b.input("x", {4});
    b.node("Relu", {"x"}, {"y"}, "relu");
    b.output("y");
    CHECK_THROWS_WITH_AS(onnx_import::import_model(b.model(), {}, options),
                         "input 'x' has data type INT8; only FLOAT is supported in ONNX op Relu "
                         "(opset 13) at node relu",
                         ConvertError);
  }
  {
    OnnxBuilder b(13);
    b.input("x", {4});
    b.initializer_i64("lo", {}, {2});
    b.initializer_i64("hi", {}, {7});
    b.node("Clip", {"x", "lo", "hi"}, {"y"}, "clip");
    b.output("y");
    const graph::Graph g = onnx_import::import_model(b.model(), {}, options).graph;
    const int y = g.find_tensor("y");
    REQUIRE(y >= 0);
    REQUIRE(g.tensors[static_cast<size_t>(y)].is_constant());
    const HostTensor v = g.constant_value(y);
    REQUIRE(v.dtype == DataType::INT8);
    CHECK(std::vector<int8_t>(v.as<int8_t>().begin(), v.as<int8_t>().end()) == std::vector<int8_t>{2, 3, 6, 7});
  }
}

TEST_CASE("converter import: Resize and Upsample") {
  SUBCASE("opset 11 scales, asymmetric nearest floor (PaddleOCR)") {
    OnnxBuilder b(11);
    b.input("x", {1, 2, 5, 7});
    b.constant("roi", {0}, {});
    b.constant("scales", {4}, {1, 1, 2, 2});
    auto& r = b.node("Resize", {"x", "roi", "scales"}, {"y"}, "r");
    OnnxBuilder::attr(r, "mode", std::string("nearest"));
    OnnxBuilder::attr(r, "coordinate_transformation_mode", std::string("asymmetric"));
    OnnxBuilder::attr(r, "nearest_mode", std::string("floor"));
    b.output("y");
    auto res = onnx_import::import_model(b.model());
    REQUIRE(res.graph.nodes.size() == 1);
    const auto& p = op_as<ops::ResizeOp>(res.graph, 0).params();
    CHECK(p.mode == schema::ResizeMode::NEAREST);
    CHECK(p.transform == schema::CoordinateTransform::ASYMMETRIC);
    CHECK(p.rounding == schema::NearestRounding::FLOOR);
    CHECK(p.scale_h == 2.0f);
    CHECK(p.scale_w == 2.0f);
    CHECK(res.graph.nodes[0].inputs.size() == 1);
    CHECK(tensor_named(res.graph, "y").shape == Shape{1, 2, 10, 14});
  }
  SUBCASE("opset 13 sizes, linear align_corners") {
    OnnxBuilder b(13);
    b.input("x", {1, 2, 5, 7});
    b.initializer_i64("sizes", {4}, {1, 2, 9, 3});
    auto& r = b.node("Resize", {"x", "", "", "sizes"}, {"y"}, "r");
    OnnxBuilder::attr(r, "mode", std::string("linear"));
    OnnxBuilder::attr(r, "coordinate_transformation_mode", std::string("align_corners"));
    b.output("y");
    auto res = onnx_import::import_model(b.model());
    const auto& p = op_as<ops::ResizeOp>(res.graph, 0).params();
    CHECK(p.mode == schema::ResizeMode::LINEAR);
    CHECK(p.transform == schema::CoordinateTransform::ALIGN_CORNERS);
    CHECK(p.size_h == 9);
    CHECK(p.size_w == 3);
    CHECK(tensor_named(res.graph, "y").shape == Shape{1, 2, 9, 3});
  }
  SUBCASE("defaults: half_pixel, round_prefer_floor") {
    OnnxBuilder b(13);
    b.input("x", {1, 2, 4, 4});
    b.initializer("scales", {4}, {1, 1, 0.5f, 0.5f});
    b.node("Resize", {"x", "", "scales"}, {"y"}, "r");
    b.output("y");
    auto res = onnx_import::import_model(b.model());
    const auto& p = op_as<ops::ResizeOp>(res.graph, 0).params();
    CHECK(p.transform == schema::CoordinateTransform::HALF_PIXEL);
    CHECK(p.rounding == schema::NearestRounding::ROUND_PREFER_FLOOR);
  }
  SUBCASE("opset 13 cubic reads cubic_coeff_a and exclude_outside") {
    OnnxBuilder b(13);
    b.input("x", {1, 2, 4, 5});
    b.initializer("scales", {4}, {1, 1, 2, 0.6f});
    auto& r = b.node("Resize", {"x", "", "scales"}, {"y"}, "r");
    OnnxBuilder::attr(r, "mode", std::string("cubic"));
    OnnxBuilder::attr(r, "cubic_coeff_a", -0.5f);
    OnnxBuilder::attr(r, "exclude_outside", int64_t{1});
    b.output("y");
    auto res = onnx_import::import_model(b.model());
    const auto& p = op_as<ops::ResizeOp>(res.graph, 0).params();
    CHECK(p.mode == schema::ResizeMode::CUBIC);
    CHECK(p.transform == schema::CoordinateTransform::HALF_PIXEL);
    CHECK(p.cubic_coeff_a == -0.5f);
    CHECK(p.exclude_outside);
    CHECK(tensor_named(res.graph, "y").shape == Shape{1, 2, 8, 3});
  }
  SUBCASE("cubic defaults: A = -0.75, edge clamp") {
    OnnxBuilder b(11);
    b.input("x", {1, 2, 4, 4});
    b.initializer_i64("sizes", {4}, {1, 2, 9, 10});
    auto& r = b.node("Resize", {"x", "", "", "sizes"}, {"y"}, "r");
    OnnxBuilder::attr(r, "mode", std::string("cubic"));
    b.output("y");
    auto res = onnx_import::import_model(b.model());
    const auto& p = op_as<ops::ResizeOp>(res.graph, 0).params();
    CHECK(p.mode == schema::ResizeMode::CUBIC);
    CHECK(p.cubic_coeff_a == -0.75f);
    CHECK(!p.exclude_outside);
  }
  SUBCASE("scales must be constant") {
    OnnxBuilder b(13);
    b.input("x", {1, 2, 4, 4});
    b.input("scales", {4});
    b.node("Resize", {"x", "", "scales"}, {"y"}, "r");
    b.output("y");
    CHECK_THROWS_WITH_AS(onnx_import::import_model(b.model()),
                         "scales input is not a constant; only constant scales are supported in "
                         "ONNX op Resize (opset 13) at node r",
                         ConvertError);
  }
  SUBCASE("tf_crop_and_resize is unsupported") {
    OnnxBuilder b(13);
    b.input("x", {1, 2, 4, 4});
    b.initializer("scales", {4}, {1, 1, 2, 2});
    auto& r = b.node("Resize", {"x", "", "scales"}, {"y"}, "r");
    OnnxBuilder::attr(r, "coordinate_transformation_mode", std::string("tf_crop_and_resize"));
    b.output("y");
    CHECK_THROWS_WITH_AS(onnx_import::import_model(b.model()),
                         "unsupported attribute coordinate_transformation_mode=tf_crop_and_resize "
                         "of ONNX op Resize (opset 13) at node r",
                         ConvertError);
  }
  SUBCASE("Resize-10 and Upsample-9 use asymmetric coordinates") {
    for (const char* type : {"Resize", "Upsample"}) {
      OnnxBuilder b(std::string(type) == "Resize" ? 10 : 9);
      b.input("x", {1, 2, 4, 4});
      b.initializer("scales", {4}, {1, 1, 2, 3});
      b.node(type, {"x", "scales"}, {"y"}, "r");
      b.output("y");
      auto res = onnx_import::import_model(b.model());
      const auto& p = op_as<ops::ResizeOp>(res.graph, 0).params();
      CHECK(p.transform == schema::CoordinateTransform::ASYMMETRIC);
      CHECK(p.rounding == schema::NearestRounding::FLOOR);
      CHECK(tensor_named(res.graph, "y").shape == Shape{1, 2, 8, 12});
    }
  }
}

TEST_CASE("converter import: Conv auto_pad and ConvTranspose output_shape") {
  SUBCASE("SAME_UPPER with a static input and stride 2") {
    OnnxBuilder b(11);
    b.input("x", {1, 3, 7, 8});
    b.initializer("w", {2, 3, 4, 4}, random_values(96, 1));
    auto& c = b.node("Conv", {"x", "w"}, {"y"}, "c");
    OnnxBuilder::attr(c, "auto_pad", std::string("SAME_UPPER"));
    OnnxBuilder::attr(c, "strides", std::vector<int64_t>{2, 2});
    b.output("y");
    auto res = onnx_import::import_model(b.model());
    const auto& p = op_as<ops::ConvOp>(res.graph, 0).params();
    // H: out 4, total = 3*2 + 4 - 7 = 3 -> 1 top, 2 bottom. W: out 4, total 2 -> 1, 1.
    CHECK(p.pad_top == 1);
    CHECK(p.pad_bottom == 2);
    CHECK(p.pad_left == 1);
    CHECK(p.pad_right == 1);
    CHECK(tensor_named(res.graph, "y").shape == Shape{1, 2, 4, 4});
  }
  SUBCASE("SAME_LOWER puts the odd pixel first") {
    OnnxBuilder b(11);
    b.input("x", {1, 3, 8, 8});
    b.initializer("w", {2, 3, 2, 2}, random_values(24, 1));
    auto& c = b.node("Conv", {"x", "w"}, {"y"}, "c");
    OnnxBuilder::attr(c, "auto_pad", std::string("SAME_LOWER"));
    b.output("y");
    auto res = onnx_import::import_model(b.model());
    const auto& p = op_as<ops::ConvOp>(res.graph, 0).params();
    CHECK(p.pad_top == 1);
    CHECK(p.pad_bottom == 0);
    CHECK(tensor_named(res.graph, "y").shape == Shape{1, 2, 8, 8});
  }
  SUBCASE("SAME_UPPER with a symbolic input and stride 2 is an error") {
    OnnxBuilder b(11);
    b.input("x", {1, 3, -1, -1}, {"", "", "H", "W"});
    b.initializer("w", {2, 3, 3, 3}, random_values(54, 1));
    auto& c = b.node("Conv", {"x", "w"}, {"y"}, "c");
    OnnxBuilder::attr(c, "auto_pad", std::string("SAME_UPPER"));
    OnnxBuilder::attr(c, "strides", std::vector<int64_t>{2, 2});
    b.output("y");
    CHECK_THROWS_AS(onnx_import::import_model(b.model()), ConvertError);
  }
  SUBCASE("ConvTranspose output_shape resolves to pads") {
    OnnxBuilder b(11);
    b.input("x", {1, 2, 3, 3});
    b.initializer("w", {2, 4, 3, 3}, random_values(72, 1));
    auto& c = b.node("ConvTranspose", {"x", "w"}, {"y"}, "ct");
    OnnxBuilder::attr(c, "strides", std::vector<int64_t>{2, 2});
    OnnxBuilder::attr(c, "output_shape", std::vector<int64_t>{6, 6});
    b.output("y");
    auto res = onnx_import::import_model(b.model());
    const auto& p = op_as<ops::ConvTransposeOp>(res.graph, 0).params();
    // total = 2*2 + 3 - 6 = 1: NOTSET puts the larger half first.
    CHECK(p.pad_top + p.pad_bottom == 1);
    CHECK(p.pad_left + p.pad_right == 1);
    CHECK(tensor_named(res.graph, "y").shape == Shape{1, 4, 6, 6});
  }
  SUBCASE("ConvTranspose output_shape beyond the natural size becomes output padding") {
    // ONNX test_convtranspose_output_shape: natural 9x7, requested 10x8.
    OnnxBuilder b(11);
    b.input("x", {1, 1, 3, 3});
    b.initializer("w", {1, 2, 3, 3}, random_values(18, 1));
    auto& c = b.node("ConvTranspose", {"x", "w"}, {"y"}, "ct");
    OnnxBuilder::attr(c, "strides", std::vector<int64_t>{3, 2});
    OnnxBuilder::attr(c, "output_shape", std::vector<int64_t>{10, 8});
    b.output("y");
    auto res = onnx_import::import_model(b.model());
    const auto& p = op_as<ops::ConvTransposeOp>(res.graph, 0).params();
    CHECK(p.pad_top + p.pad_bottom + p.pad_left + p.pad_right == 0);
    CHECK(p.output_pad_h == 1);
    CHECK(p.output_pad_w == 1);
    CHECK(tensor_named(res.graph, "y").shape == Shape{1, 2, 10, 8});
  }
  SUBCASE("ConvTranspose output_shape with a symbolic input is unsupported") {
    OnnxBuilder b(11);
    b.input("x", {1, 2, -1, -1}, {"", "", "H", "W"});
    b.initializer("w", {2, 4, 3, 3}, random_values(72, 1));
    auto& c = b.node("ConvTranspose", {"x", "w"}, {"y"}, "ct");
    OnnxBuilder::attr(c, "output_shape", std::vector<int64_t>{6, 6});
    b.output("y");
    CHECK_THROWS_WITH_AS(onnx_import::import_model(b.model()),
                         "unsupported attribute output_shape=[6,6] (input size [1,2,?,?] is not "
                         "static) of ONNX op ConvTranspose (opset 11) at node ct",
                         ConvertError);
  }
}

TEST_CASE("converter import: Concat with a negative axis, HardSigmoid, HardSwish, GlobalAveragePool") {
  OnnxBuilder b(14);
  b.input("a", {1, 2, 4, 4});
  b.input("b", {1, 3, 4, 4});
  auto& c = b.node("Concat", {"a", "b"}, {"c"}, "cat");
  OnnxBuilder::attr(c, "axis", int64_t{-3});
  auto& hs = b.node("HardSigmoid", {"c"}, {"h"}, "hsig");
  OnnxBuilder::attr(hs, "alpha", 0.25f);
  b.node("HardSwish", {"h"}, {"s"}, "hswish");
  b.node("GlobalAveragePool", {"s"}, {"y"}, "gap");
  b.output("y");
  auto res = onnx_import::import_model(b.model());
  const graph::Graph& g = res.graph;
  REQUIRE(g.nodes.size() == 4);
  CHECK(op_as<ops::ConcatOp>(g, 0).axis() == 1);
  CHECK(tensor_named(g, "c").shape == Shape{1, 5, 4, 4});
  const auto& a = op_as<ops::UnaryOp>(g, 1).activation();
  CHECK(a.kind == schema::Activation::HARD_SIGMOID);
  CHECK(a.alpha == 0.25f);
  CHECK(a.beta == 0.5f);
  CHECK(g.nodes[2].op->type() == OpType::HARD_SWISH);
  CHECK(g.nodes[3].op->type() == OpType::GLOBAL_AVERAGE_POOL);
  CHECK(tensor_named(g, "y").shape == Shape{1, 5, 1, 1});
}

TEST_CASE("converter import: missing inputs and files are reported") {
  OnnxBuilder b(13);
  b.input("x", {1, 4});
  b.node("Relu", {"nowhere"}, {"y"}, "relu");
  b.output("y");
  CHECK_THROWS_WITH_AS(onnx_import::import_model(b.model()),
                       "input 'nowhere' is not produced by any earlier node or initializer in "
                       "ONNX op Relu (opset 13) at node relu",
                       ConvertError);
  OnnxBuilder u(13);
  u.input("x", {1, 4});
  u.model().mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->set_elem_type(
      onnx::TensorProto::UINT8);
  u.node("Relu", {"x"}, {"y"}, "relu");
  u.output("y");
  CHECK_THROWS_WITH_AS(onnx_import::import_model(u.model()),
                       "graph input 'x' has data type UINT8; only FLOAT graph inputs are supported (give a fixed value with --input-value NAME=FILE.npy to make it a constant)",
                       ConvertError);
  CHECK_THROWS_WITH_AS(onnx_import::import_file("/nonexistent/model.onnx"),
                       "input file '/nonexistent/model.onnx' does not exist", ConvertError);
}

}  // namespace fennec
