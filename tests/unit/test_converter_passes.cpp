// Converter passes on small hand-built graphs: shape inference, constant
// folding, BatchNorm / affine folding (numerically against the unfolded
// graph), activation fusion including the decomposed hard-swish, dead-node
// removal and the pipeline report.
#include <doctest/doctest.h>

#include "ops/batch_norm.h"
#include "ops/binary.h"
#include "ops/conv.h"
#include "ops/conv_transpose.h"
#include "ops/unary.h"
#include "onnx/importer.h"
#include "passes/activation_fusion.h"
#include "passes/batch_norm_folding.h"
#include "passes/constant_folding.h"
#include "passes/dead_node_removal.h"
#include "passes/pipeline.h"
#include "passes/shape_inference.h"
#include "unit/test_converter_helpers.h"

namespace fennec {
namespace {

using converter_test::count_ops;
using converter_test::max_abs_diff;
using converter_test::OnnxBuilder;
using converter_test::random_tensor;
using converter_test::random_values;
using converter_test::run_graph;
using schema::OpType;

graph::Graph import(OnnxBuilder& b) { return onnx_import::import_model(b.model()).graph; }

// Runs `b`'s model unoptimized and after the pass pipeline on the same
// random input and returns the max abs difference of output "y".
double optimized_error(OnnxBuilder& b, const Shape& input_shape, passes::PassReport* report,
                       graph::Graph* optimized_out = nullptr) {
  graph::Graph reference = import(b);
  graph::Graph optimized = import(b);
  *report = passes::run_passes(optimized);
  const HostTensor x = random_tensor(input_shape, 42, -3.0f, 3.0f);
  auto expected = run_graph(reference, {{"x", x}});
  auto actual = run_graph(optimized, {{"x", x}});
  const double err = max_abs_diff(expected.at("y"), actual.at("y"));
  if (optimized_out) *optimized_out = std::move(optimized);
  return err;
}

void add_bn(OnnxBuilder& b, const std::string& in, const std::string& out, int channels,
            uint32_t seed, const std::string& name) {
  const size_t c = static_cast<size_t>(channels);
  b.initializer(name + ".g", {channels}, random_values(c, seed, 0.5f, 1.5f));
  b.initializer(name + ".b", {channels}, random_values(c, seed + 1));
  b.initializer(name + ".m", {channels}, random_values(c, seed + 2));
  b.initializer(name + ".v", {channels}, random_values(c, seed + 3, 0.1f, 2.0f));
  b.node("BatchNormalization", {in, name + ".g", name + ".b", name + ".m", name + ".v"}, {out}, name);
}

}  // namespace

TEST_CASE("converter passes: BatchNorm folds into Conv (numerically)") {
  OnnxBuilder b(13);
  b.input("x", {2, 3, 9, 7});
  b.initializer("w", {6, 3, 3, 3}, random_values(162, 1));
  b.initializer("bias", {6}, random_values(6, 2));
  auto& conv = b.node("Conv", {"x", "w", "bias"}, {"c"}, "conv");
  OnnxBuilder::attr(conv, "pads", std::vector<int64_t>{1, 0, 1, 2});
  OnnxBuilder::attr(conv, "strides", std::vector<int64_t>{2, 1});
  add_bn(b, "c", "n", 6, 10, "bn");
  b.node("Relu", {"n"}, {"y"}, "relu");
  b.output("y");

  passes::PassReport report;
  graph::Graph g;
  CHECK(optimized_error(b, {2, 3, 9, 7}, &report, &g) < 1e-5);
  CHECK(report.folded_batch_norms == std::vector<std::string>{"bn"});
  REQUIRE(g.nodes.size() == 1);
  CHECK(g.nodes[0].op->type() == OpType::CONV);
  CHECK(g.nodes[0].op->fused_activation()->kind == schema::Activation::RELU);
  CHECK(g.validate().ok());
}

TEST_CASE("converter passes: BatchNorm folds into a grouped Conv without bias") {
  OnnxBuilder b(13);
  b.input("x", {1, 4, 6, 6});
  b.initializer("w", {8, 2, 3, 3}, random_values(144, 3));
  auto& conv = b.node("Conv", {"x", "w"}, {"c"}, "conv");
  OnnxBuilder::attr(conv, "group", int64_t{2});
  add_bn(b, "c", "y", 8, 20, "bn");
  b.output("y");
  passes::PassReport report;
  CHECK(optimized_error(b, {1, 4, 6, 6}, &report) < 1e-5);
  CHECK(report.folded_batch_norms.size() == 1);
}

TEST_CASE("converter passes: ConvTranspose -> bias Add -> BatchNorm -> Relu folds (groups)") {
  for (int group : {1, 2}) {
    CAPTURE(group);
    OnnxBuilder b(11);
    b.input("x", {1, 4, 5, 5});
    // [C_in, C_out/group, kh, kw]: 6 output channels.
    const int out_per_group = 6 / group;
    b.initializer("w", {4, out_per_group, 2, 2}, random_values(static_cast<size_t>(16 * out_per_group), 5));
    b.initializer("tb", {1, 6, 1, 1}, random_values(6, 6));
    auto& ct = b.node("ConvTranspose", {"x", "w"}, {"t"}, "deconv");
    OnnxBuilder::attr(ct, "strides", std::vector<int64_t>{2, 2});
    OnnxBuilder::attr(ct, "group", int64_t{group});
    b.node("Add", {"t", "tb"}, {"a"}, "bias_add");
    add_bn(b, "a", "n", 6, 30, "bn");
    b.node("Relu", {"n"}, {"y"}, "relu");
    b.output("y");
    passes::PassReport report;
    graph::Graph g;
    CHECK(optimized_error(b, {1, 4, 5, 5}, &report, &g) < 1e-5);
    CHECK(report.folded_affine == std::vector<std::string>{"bias_add"});
    CHECK(report.folded_batch_norms == std::vector<std::string>{"bn"});
    REQUIRE(g.nodes.size() == 1);
    CHECK(g.nodes[0].op->type() == OpType::CONV_TRANSPOSE);
    CHECK(g.nodes[0].op->fused_activation()->kind == schema::Activation::RELU);
  }
}

TEST_CASE("converter passes: BatchNorm is not folded when the conv output has other readers") {
  OnnxBuilder b(13);
  b.input("x", {1, 3, 4, 4});
  b.initializer("w", {3, 3, 1, 1}, random_values(9, 1));
  b.node("Conv", {"x", "w"}, {"c"}, "conv");
  add_bn(b, "c", "n", 3, 40, "bn");
  b.node("Add", {"n", "c"}, {"y"}, "residual");
  b.output("y");
  passes::PassReport report;
  graph::Graph g;
  CHECK(optimized_error(b, {1, 3, 4, 4}, &report, &g) < 1e-6);
  CHECK(report.folded_batch_norms.empty());
  CHECK(count_ops(g, OpType::BATCH_NORM) == 1);
}

TEST_CASE("converter passes: BatchNorm is not folded when the conv output is a graph output") {
  graph::Graph g;
  OnnxBuilder b(13);
  b.input("x", {1, 3, 4, 4});
  b.initializer("w", {3, 3, 1, 1}, random_values(9, 1));
  b.node("Conv", {"x", "w"}, {"c"}, "conv");
  add_bn(b, "c", "y", 3, 50, "bn");
  b.output("c");
  b.output("y");
  g = import(b);
  passes::infer_shapes(g);
  CHECK(passes::fold_batch_norms(g).empty());
  CHECK(g.nodes.size() == 2);
}

TEST_CASE("converter passes: activations fuse into Conv and binary ops") {
  struct Case {
    const char* op;
    schema::Activation kind;
  };
  for (Case c : {Case{"Relu", schema::Activation::RELU}, Case{"Sigmoid", schema::Activation::SIGMOID},
                 Case{"HardSigmoid", schema::Activation::HARD_SIGMOID},
                 Case{"HardSwish", schema::Activation::HARD_SWISH},
                 Case{"Clip", schema::Activation::CLIP}}) {
    CAPTURE(c.op);
    OnnxBuilder b(14);
    b.input("x", {1, 3, 5, 5});
    b.initializer("w", {4, 3, 3, 3}, random_values(108, 7));
    b.node("Conv", {"x", "w"}, {"c"}, "conv");
    if (std::string(c.op) == "Clip") {
      b.constant("lo", {}, {-0.5f});
      b.constant("hi", {}, {0.75f});
      b.node("Clip", {"c", "lo", "hi"}, {"a"}, "act");
    } else {
      b.node(c.op, {"c"}, {"a"}, "act");
    }
    // A residual Add followed by Relu: the Relu fuses into the Add.
    b.initializer("w2", {4, 4, 1, 1}, random_values(16, 8));
    b.node("Conv", {"a", "w2"}, {"d"}, "conv2");
    b.node("Add", {"d", "a"}, {"s"}, "add");
    b.node("Relu", {"s"}, {"y"}, "relu");
    b.output("y");
    passes::PassReport report;
    graph::Graph g;
    CHECK(optimized_error(b, {1, 3, 5, 5}, &report, &g) < 1e-5);
    REQUIRE(g.nodes.size() == 3);
    CHECK(g.nodes[0].op->fused_activation()->kind == c.kind);
    CHECK(g.nodes[1].op->fused_activation()->is_none());
    CHECK(g.nodes[2].op->type() == OpType::ADD);
    CHECK(g.nodes[2].op->fused_activation()->kind == schema::Activation::RELU);
    CHECK(report.fused_activations.size() == 2);
  }
}

namespace {

// conv -> [w0 * . + w1] -> Add(x, 3) -> Clip(0, 6) -> Mul(x, c) -> Div(6) | Mul(1/6) -> Relu-free y
OnnxBuilder hard_swish_model(bool swap_add, bool swap_mul, bool use_mul_sixth, bool affine,
                             bool extra_reader) {
  OnnxBuilder b(11);
  b.input("x", {1, 3, 6, 6});
  b.initializer("w", {5, 3, 3, 3}, random_values(135, 9));
  b.initializer("bias", {5}, random_values(5, 10));
  auto& conv = b.node("Conv", {"x", "w", "bias"}, {"c"}, "conv");
  OnnxBuilder::attr(conv, "pads", std::vector<int64_t>{1, 1, 1, 1});
  std::string v = "c";
  if (affine) {  // PaddleOCR's learnable affine block in front of hard-swish
    b.constant("s", {1}, {1.7f});
    b.constant("t", {1}, {-0.3f});
    b.node("Mul", {"s", "c"}, {"ms"}, "affine_mul");
    b.node("Add", {"ms", "t"}, {"v"}, "affine_add");
    v = "v";
  }
  b.constant("three", {}, {3.0f});
  b.constant("zero", {}, {0.0f});
  b.constant("six", {}, {6.0f});
  b.constant("sixth", {}, {1.0f / 6.0f});
  b.node("Add", swap_add ? std::vector<std::string>{"three", v} : std::vector<std::string>{v, "three"},
         {"t3"}, "hs_add");
  b.node("Clip", {"t3", "zero", "six"}, {"cl"}, "hs_clip");
  b.node("Mul", swap_mul ? std::vector<std::string>{"cl", v} : std::vector<std::string>{v, "cl"},
         {"m"}, "hs_mul");
  if (use_mul_sixth) b.node("Mul", {"m", "sixth"}, {"y"}, "hs_div");
  else b.node("Div", {"m", "six"}, {"y"}, "hs_div");
  if (extra_reader) {
    b.node("Sigmoid", {"t3"}, {"z"}, "other_reader");
    b.output("z");
  }
  b.output("y");
  return b;
}

}  // namespace

TEST_CASE("converter passes: the decomposed hard-swish chain fuses into Conv") {
  for (int variant = 0; variant < 16; ++variant) {
    const bool swap_add = variant & 1, swap_mul = variant & 2, sixth = variant & 4, affine = variant & 8;
    CAPTURE(variant);
    OnnxBuilder b = hard_swish_model(swap_add, swap_mul, sixth, affine, false);
    passes::PassReport report;
    graph::Graph g;
    CHECK(optimized_error(b, {1, 3, 6, 6}, &report, &g) < 1e-5);
    REQUIRE(g.nodes.size() == 1);
    CHECK(g.nodes[0].op->type() == OpType::CONV);
    CHECK(g.nodes[0].op->fused_activation()->kind == schema::Activation::HARD_SWISH);
    REQUIRE(report.fused_activations.size() == 1);
    CHECK(report.fused_activations[0].removed.size() == 4);
    CHECK(report.folded_affine.size() == (affine ? 2u : 0u));
  }
}

TEST_CASE("converter passes: hard-swish is not fused when an intermediate has another reader") {
  OnnxBuilder b = hard_swish_model(false, false, false, false, true);
  passes::PassReport report;
  graph::Graph g;
  CHECK(optimized_error(b, {1, 3, 6, 6}, &report, &g) < 1e-5);
  CHECK(count_ops(g, OpType::CONV) == 1);
  CHECK(g.nodes[0].op->fused_activation()->is_none());
  for (const auto& r : report.fused_activations) CHECK(r.kind != schema::Activation::HARD_SWISH);
}

TEST_CASE("converter passes: x * HardSigmoid(x; 1/6, 0.5) fuses as hard-swish") {
  OnnxBuilder b(13);
  b.input("x", {1, 2, 4, 4});
  b.initializer("w", {2, 2, 1, 1}, random_values(4, 11, -3.0f, 3.0f));
  b.node("Conv", {"x", "w"}, {"c"}, "conv");
  auto& h = b.node("HardSigmoid", {"c"}, {"h"}, "hsig");
  OnnxBuilder::attr(h, "alpha", 1.0f / 6.0f);
  b.node("Mul", {"h", "c"}, {"y"}, "mul");
  b.output("y");
  passes::PassReport report;
  graph::Graph g;
  CHECK(optimized_error(b, {1, 2, 4, 4}, &report, &g) < 1e-5);
  REQUIRE(g.nodes.size() == 1);
  CHECK(g.nodes[0].op->fused_activation()->kind == schema::Activation::HARD_SWISH);
}

TEST_CASE("converter passes: constant folding, dead nodes and unused constants") {
  OnnxBuilder b(13);
  b.input("x", {1, 4});
  b.constant("k1", {4}, {1, 2, 3, 4});
  b.constant("k2", {4}, {10, 20, 30, 40});
  b.constant("unused", {3}, {1, 2, 3});
  b.node("Add", {"k1", "k2"}, {"k"}, "const_add");
  b.node("Relu", {"k"}, {"kr"}, "const_relu");
  b.node("Mul", {"x", "kr"}, {"y"}, "mul");
  b.node("Sigmoid", {"x"}, {"dead"}, "dead_sigmoid");
  b.output("y");
  graph::Graph g = import(b);
  const passes::PassReport report = passes::run_passes(g);
  CHECK(report.folded_constants == std::vector<std::string>{"const_add", "const_relu"});
  CHECK(report.removed_nodes == std::vector<std::string>{"dead_sigmoid"});
  CHECK(report.removed_constants >= 3);  // k1, k2, unused (and k)
  REQUIRE(g.nodes.size() == 1);
  CHECK(g.nodes[0].op->type() == OpType::MUL);
  CHECK(g.find_tensor("unused") == -1);
  CHECK(g.find_tensor("dead") == -1);
  const int kr = g.find_tensor("kr");
  REQUIRE(kr >= 0);
  const HostTensor kr_value = g.constant_value(kr);
  auto v = kr_value.as<float>();
  CHECK(v[0] == 11.0f);
  CHECK(v[3] == 44.0f);
  // Only the constants still referenced keep their bytes.
  CHECK(g.owned_data.size() == 1);
  auto out = run_graph(g, {{"x", converter_test::make_tensor({1, 4}, {1, 1, 1, 1})}});
  CHECK(out.at("y").as<float>()[2] == 33.0f);
}

TEST_CASE("converter passes: shape inference keeps symbols where an axis passes through") {
  OnnxBuilder b(13);
  b.input("x", {-1, 3, -1, -1}, {"batch", "", "height", "width"});
  b.initializer("w", {4, 3, 3, 3}, random_values(108, 1));
  auto& conv = b.node("Conv", {"x", "w"}, {"c"}, "conv");
  OnnxBuilder::attr(conv, "pads", std::vector<int64_t>{1, 1, 1, 1});
  b.node("Relu", {"x"}, {"r"}, "relu");
  b.node("Sigmoid", {"c"}, {"y"}, "sig");
  b.output("y", {-1, 4, -1, -1}, {"n_out", "", "h_out", "w_out"});
  b.output("r");
  graph::Graph g = import(b);
  passes::infer_shapes(g);
  const graph::TensorInfo& r = g.tensors[static_cast<size_t>(g.find_tensor("r"))];
  CHECK(r.shape == Shape{kUnknownDim, 3, kUnknownDim, kUnknownDim});
  CHECK(r.dim_symbols == std::vector<std::string>{"batch", "", "height", "width"});
  const graph::TensorInfo& c = g.tensors[static_cast<size_t>(g.find_tensor("c"))];
  CHECK(c.shape == Shape{kUnknownDim, 4, kUnknownDim, kUnknownDim});
  CHECK(c.dim_symbols[0] == "batch");
  CHECK(c.dim_symbols[2].empty());  // a conv's output height is a new value
  const graph::TensorInfo& y = g.tensors[static_cast<size_t>(g.find_tensor("y"))];
  CHECK(y.dim_symbols[0] == "batch");
  CHECK(y.dim_symbols[2] == "h_out");  // declared by the model
}

TEST_CASE("converter passes: run_passes output matches the unoptimized graph on a small net") {
  // Conv-BN-HardSwish(chain) -> depthwise Conv-BN-Relu -> SE(GAP, Conv-Relu,
  // Conv-HardSigmoid, Mul) -> Resize -> Concat.
  OnnxBuilder b(11);
  b.input("x", {1, 3, 8, 8});
  b.initializer("w0", {8, 3, 3, 3}, random_values(216, 1));
  auto& c0 = b.node("Conv", {"x", "w0"}, {"c0"}, "conv0");
  OnnxBuilder::attr(c0, "pads", std::vector<int64_t>{1, 1, 1, 1});
  add_bn(b, "c0", "n0", 8, 100, "bn0");
  b.constant("three", {}, {3.0f});
  b.constant("zero", {}, {0.0f});
  b.constant("six", {}, {6.0f});
  b.node("Add", {"n0", "three"}, {"t"}, "hs_add");
  b.node("Clip", {"t", "zero", "six"}, {"cl"}, "hs_clip");
  b.node("Mul", {"n0", "cl"}, {"m"}, "hs_mul");
  b.node("Div", {"m", "six"}, {"h0"}, "hs_div");
  b.initializer("w1", {8, 1, 3, 3}, random_values(72, 2));
  auto& c1 = b.node("Conv", {"h0", "w1"}, {"c1"}, "dwconv");
  OnnxBuilder::attr(c1, "pads", std::vector<int64_t>{1, 1, 1, 1});
  OnnxBuilder::attr(c1, "group", int64_t{8});
  add_bn(b, "c1", "n1", 8, 200, "bn1");
  b.node("Relu", {"n1"}, {"r1"}, "relu1");
  b.node("GlobalAveragePool", {"r1"}, {"p"}, "gap");
  b.initializer("w2", {2, 8, 1, 1}, random_values(16, 3));
  b.initializer("b2", {2}, random_values(2, 4));
  b.node("Conv", {"p", "w2", "b2"}, {"c2"}, "se_reduce");
  b.node("Relu", {"c2"}, {"r2"}, "se_relu");
  b.initializer("w3", {8, 2, 1, 1}, random_values(16, 5));
  b.node("Conv", {"r2", "w3"}, {"c3"}, "se_expand");
  b.node("HardSigmoid", {"c3"}, {"g"}, "se_gate");
  b.node("Mul", {"r1", "g"}, {"se"}, "se_mul");
  b.constant("roi", {0}, {});
  b.constant("scales", {4}, {1, 1, 2, 2});
  auto& rs = b.node("Resize", {"se", "roi", "scales"}, {"up"}, "resize");
  OnnxBuilder::attr(rs, "coordinate_transformation_mode", std::string("asymmetric"));
  OnnxBuilder::attr(rs, "nearest_mode", std::string("floor"));
  b.node("Resize", {"h0", "roi", "scales"}, {"up0"}, "resize0");
  auto& cat = b.node("Concat", {"up", "up0"}, {"y"}, "concat");
  OnnxBuilder::attr(cat, "axis", int64_t{1});
  b.output("y");

  passes::PassReport report;
  graph::Graph g;
  CHECK(optimized_error(b, {1, 3, 8, 8}, &report, &g) < 1e-5);
  CHECK(report.folded_batch_norms.size() == 2);
  const auto counts = report.fusion_counts();
  CHECK(counts.at("CONV").at("HARD_SWISH") == 1);
  CHECK(counts.at("CONV").at("RELU") == 2);
  CHECK(counts.at("CONV").at("HARD_SIGMOID") == 1);
  CHECK(count_ops(g, OpType::CONV) == 4);
  CHECK(g.nodes.size() == 9);  // 4 conv, gap, mul, 2 resize, concat
}

}  // namespace fennec

namespace fennec {

TEST_CASE("converter passes: an affine chain folds forward into an unpadded Conv only") {
  for (int group : {1, 3}) {
    CAPTURE(group);
    // x -> Conv(3x3, pad 1) + HardSwish -> Mul(s) -> Add(t) -> Conv(1x1 or grouped 2x2, no pad)
    //   -> Mul(s2) -> Add(t2) -> Conv(3x3, pad 1) = y
    OnnxBuilder b(14);
    b.input("x", {1, 3, 7, 7});
    b.initializer("w0", {6, 3, 3, 3}, random_values(162, 1));
    auto& c0 = b.node("Conv", {"x", "w0"}, {"c0"}, "conv0");
    OnnxBuilder::attr(c0, "pads", std::vector<int64_t>{1, 1, 1, 1});
    b.node("HardSwish", {"c0"}, {"h0"}, "hswish");
    b.initializer("s", {1}, {0.7f});
    b.initializer("t", {1, 6, 1, 1}, random_values(6, 2));
    b.node("Mul", {"s", "h0"}, {"m"}, "affine_mul");
    b.node("Add", {"m", "t"}, {"a"}, "affine_add");
    b.initializer("w1", {4 * group, 6 / group, 2, 2}, random_values(static_cast<size_t>(4 * group * 6 / group * 4), 3));
    b.initializer("b1", {4 * group}, random_values(static_cast<size_t>(4 * group), 4));
    auto& c1 = b.node("Conv", {"a", "w1", "b1"}, {"c1"}, "conv1");
    OnnxBuilder::attr(c1, "group", int64_t{group});
    OnnxBuilder::attr(c1, "strides", std::vector<int64_t>{2, 2});
    b.node("Relu", {"c1"}, {"r1"}, "relu");
    b.initializer("s2", {}, {1.3f});
    b.initializer("t2", {}, {-0.2f});
    b.node("Mul", {"r1", "s2"}, {"m2"}, "affine_mul2");
    b.node("Sub", {"m2", "t2"}, {"a2"}, "affine_sub2");
    b.initializer("w2", {2, 4 * group, 3, 3}, random_values(static_cast<size_t>(2 * 4 * group * 9), 5));
    auto& c2 = b.node("Conv", {"a2", "w2"}, {"y"}, "conv2");
    OnnxBuilder::attr(c2, "pads", std::vector<int64_t>{1, 1, 1, 1});
    b.output("y");
    passes::PassReport report;
    graph::Graph g;
    CHECK(optimized_error(b, {1, 3, 7, 7}, &report, &g) < 1e-5);
    // The first chain folds into conv1; the second stays (conv2 is padded).
    CHECK(report.folded_affine == std::vector<std::string>{"affine_mul", "affine_add"});
    CHECK(g.nodes.size() == 5);
    CHECK(count_ops(g, OpType::MUL) == 1);
    CHECK(count_ops(g, OpType::SUB) == 1);
  }
}

}  // namespace fennec
