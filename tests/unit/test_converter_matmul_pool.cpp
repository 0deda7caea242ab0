// ONNX import of MatMul, Gemm (transA/transB/alpha/beta, optional C, opset 6
// broadcast), MaxPool and AveragePool (auto_pad, ceil_mode, dilations,
// count_include_pad), and the errors for unsupported forms.
#include <doctest/doctest.h>

#include "ops/matmul.h"
#include "ops/pool2d.h"
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

}  // namespace

TEST_CASE("converter import: MatMul keeps symbolic batch and row dims") {
  OnnxBuilder b(13);
  b.input("x", {-1, 5, 3}, {"batch"});
  b.initializer("w", {3, 2}, {1, 0, 0, 1, 1, 1});
  b.node("MatMul", {"x", "w"}, {"y"}, "matmul");
  b.input("v", {3});
  b.node("MatMul", {"v", "w"}, {"z"}, "vec");
  b.output("y");
  b.output("z");
  auto result = onnx_import::import_model(b.model());
  const graph::Graph& g = result.graph;
  CHECK(converter_test::count_ops(g, OpType::MATMUL) == 2);
  CHECK(tensor_named(g, "y").shape == Shape{U, 5, 2});
  CHECK(tensor_named(g, "y").dim_symbols[0] == "batch");
  CHECK(tensor_named(g, "z").shape == Shape{2});
  auto out = converter_test::run_graph(
      g, {{"x", converter_test::make_tensor({1, 5, 3}, {1, 2, 3, 0, 0, 0, 1, 1, 1, 2, 0, 0, 0, 2, 0})},
          {"v", converter_test::make_tensor({3}, {1, -1, 2})}});
  CHECK(values(out.at("y")) == std::vector<float>{4, 5, 0, 0, 2, 2, 2, 0, 0, 2});
  CHECK(values(out.at("z")) == std::vector<float>{3, 1});
}

TEST_CASE("converter import: Gemm attributes and C across opsets") {
  for (int opset : {6, 11, 13}) {
    OnnxBuilder b(opset);
    b.input("a", {3, 2});  // transA: op(A) is [2, 3]
    b.initializer("bt", {2, 3}, {1, 0, 1, 0, 1, 1});  // transB: op(B) is [3, 2]
    b.initializer("c", {2}, {100, 200});
    auto& gemm = b.node("Gemm", {"a", "bt", "c"}, {"y"}, "gemm");
    OnnxBuilder::attr(gemm, "transA", int64_t{1});
    OnnxBuilder::attr(gemm, "transB", int64_t{1});
    OnnxBuilder::attr(gemm, "alpha", 2.0f);
    OnnxBuilder::attr(gemm, "beta", 0.5f);
    if (opset < 7) OnnxBuilder::attr(gemm, "broadcast", int64_t{1});
    b.output("y");
    auto result = onnx_import::import_model(b.model());
    const graph::Graph& g = result.graph;
    REQUIRE(g.nodes.size() == 1);
    const auto& op = dynamic_cast<const ops::MatMulOp&>(*g.nodes[0].op);
    CHECK(op.params().transpose_a);
    CHECK(op.params().transpose_b);
    CHECK(op.params().alpha == 2.0f);
    CHECK(op.params().beta == 0.5f);
    CHECK(tensor_named(g, "y").shape == Shape{2, 2});
    // A^T = [[1,2,3],[4,5,6]], op(B) = [[1,0],[0,1],[1,1]]: A B = [[4,5],[10,11]].
    auto out = converter_test::run_graph(
        g, {{"a", converter_test::make_tensor({3, 2}, {1, 4, 2, 5, 3, 6})}});
    CHECK(values(out.at("y")) == std::vector<float>{58, 110, 70, 122});
  }
  {
    OnnxBuilder b(13);  // C is optional from opset 11
    b.input("a", {4, 3});
    b.initializer("w", {3, 2}, {1, 0, 0, 1, 1, 1});
    b.node("Gemm", {"a", "w"}, {"y"}, "gemm");
    b.output("y");
    auto result = onnx_import::import_model(b.model());
    CHECK(result.graph.nodes.at(0).inputs.size() == 2);
    CHECK(tensor_named(result.graph, "y").shape == Shape{4, 2});
  }
  {
    OnnxBuilder b(6);
    b.input("a", {4, 3});
    b.initializer("w", {3, 2}, {1, 0, 0, 1, 1, 1});
    b.initializer("c", {2}, {1, 2});
    b.node("Gemm", {"a", "w", "c"}, {"y"}, "gemm");
    b.output("y");
    CHECK_THROWS_WITH_AS(onnx_import::import_model(b.model()),
                         "C has shape [2] but broadcast=0 needs [4,2] in ONNX op Gemm (opset 6) "
                         "at node gemm",
                         ConvertError);
  }
}

TEST_CASE("converter import: MaxPool and AveragePool") {
  OnnxBuilder b(19);
  b.input("x", {1, 2, 5, 5});
  auto& max_pool = b.node("MaxPool", {"x"}, {"m"}, "max");
  OnnxBuilder::attr(max_pool, "kernel_shape", std::vector<int64_t>{3, 3});
  OnnxBuilder::attr(max_pool, "strides", std::vector<int64_t>{2, 2});
  OnnxBuilder::attr(max_pool, "auto_pad", std::string("SAME_UPPER"));
  auto& avg = b.node("AveragePool", {"x"}, {"a"}, "avg");
  OnnxBuilder::attr(avg, "kernel_shape", std::vector<int64_t>{5, 5});
  OnnxBuilder::attr(avg, "pads", std::vector<int64_t>{2, 2, 2, 2});
  OnnxBuilder::attr(avg, "count_include_pad", int64_t{1});
  auto& ceil = b.node("AveragePool", {"x"}, {"c"}, "ceil");
  OnnxBuilder::attr(ceil, "kernel_shape", std::vector<int64_t>{2, 2});
  OnnxBuilder::attr(ceil, "strides", std::vector<int64_t>{2, 2});
  OnnxBuilder::attr(ceil, "dilations", std::vector<int64_t>{1, 2});
  OnnxBuilder::attr(ceil, "ceil_mode", int64_t{1});
  auto& lower = b.node("MaxPool", {"x"}, {"l"}, "lower");
  OnnxBuilder::attr(lower, "kernel_shape", std::vector<int64_t>{2, 2});
  OnnxBuilder::attr(lower, "auto_pad", std::string("SAME_LOWER"));
  for (const char* out : {"m", "a", "c", "l"}) b.output(out);
  auto result = onnx_import::import_model(b.model());
  const graph::Graph& g = result.graph;
  CHECK(converter_test::count_ops(g, OpType::POOL2D) == 4);
  CHECK(tensor_named(g, "m").shape == Shape{1, 2, 3, 3});
  CHECK(tensor_named(g, "a").shape == Shape{1, 2, 5, 5});
  CHECK(tensor_named(g, "c").shape == Shape{1, 2, 3, 2});
  CHECK(tensor_named(g, "l").shape == Shape{1, 2, 5, 5});
  const auto& lp = dynamic_cast<const ops::Pool2DOp&>(*g.nodes.at(3).op).params();
  CHECK(lp.pad_top == 1);
  CHECK(lp.pad_bottom == 0);
  const auto& cp = dynamic_cast<const ops::Pool2DOp&>(*g.nodes.at(2).op).params();
  CHECK(cp.ceil_mode);
  CHECK(cp.dilation_w == 2);
  CHECK(!cp.count_include_pad);

  std::vector<float> x(50);
  for (size_t i = 0; i < 25; ++i) x[i] = x[25 + i] = static_cast<float>(i + 1);
  auto out = converter_test::run_graph(g, {{"x", converter_test::make_tensor({1, 2, 5, 5}, x)}});
  const std::vector<float> m = values(out.at("m"));
  CHECK(std::vector<float>(m.begin(), m.begin() + 9) ==
        std::vector<float>{7, 9, 10, 17, 19, 20, 22, 24, 25});
  CHECK(values(out.at("a"))[0] == doctest::Approx(2.52f));
}

namespace {

// A direct N-D box pool (max, or average with or without the padding in the
// count) over a [1, 1, spatial...] tensor, for checking the 2-D decomposition.
std::vector<float> naive_pool(const std::vector<float>& x, const std::vector<int64_t>& in,
                              const std::vector<int64_t>& k, const std::vector<int64_t>& s,
                              const std::vector<int64_t>& pads, bool max, bool include_pad,
                              std::vector<int64_t>& out) {
  const size_t n = in.size();
  out.resize(n);
  for (size_t a = 0; a < n; ++a) out[a] = (in[a] + pads[a] + pads[a + n] - k[a]) / s[a] + 1;
  std::vector<float> y;
  std::vector<int64_t> o(n, 0);
  for (bool done = false; !done;) {
    double acc = max ? -1e30 : 0.0;
    int64_t count = 0, padded = 1;
    std::vector<int64_t> w(n, 0);
    for (size_t a = 0; a < n; ++a) padded *= k[a];
    for (bool wd = false; !wd;) {
      bool inside = true;
      int64_t idx = 0;
      for (size_t a = 0; a < n; ++a) {
        const int64_t c = o[a] * s[a] - pads[a] + w[a];
        inside &= c >= 0 && c < in[a];
        idx = idx * in[a] + c;
      }
      if (inside) {
        const double v = x[static_cast<size_t>(idx)];
        acc = max ? std::max(acc, v) : acc + v;
        ++count;
      }
      wd = true;
      for (size_t a = n; a-- > 0;) {
        if (++w[a] < k[a]) { wd = false; break; }
        w[a] = 0;
      }
    }
    y.push_back(static_cast<float>(max ? acc : acc / static_cast<double>(include_pad ? padded : count)));
    done = true;
    for (size_t a = n; a-- > 0;) {
      if (++o[a] < out[a]) { done = false; break; }
      o[a] = 0;
    }
  }
  return y;
}

}  // namespace

TEST_CASE("converter import: 1-D and 3-D pooling run as 2-D pools") {
  struct Case {
    std::vector<int64_t> in, kernel, strides, pads;
    bool max, include_pad;
  };
  const Case cases[] = {
      {{9}, {3}, {2}, {1, 1}, true, false},
      {{10}, {4}, {3}, {2, 0}, false, false},
      {{4, 5, 6}, {2, 3, 2}, {1, 2, 2}, {0, 0, 0, 0, 0, 0}, true, false},
      {{5, 4, 7}, {3, 2, 3}, {2, 1, 2}, {1, 0, 1, 1, 1, 0}, true, false},
      {{5, 4, 7}, {3, 2, 3}, {2, 1, 2}, {1, 0, 1, 1, 1, 0}, false, false},
      {{5, 4, 7}, {3, 2, 3}, {2, 1, 2}, {1, 0, 1, 1, 1, 0}, false, true},
  };
  uint32_t seed = 40;
  for (const Case& c : cases) {
    Shape shape = {1, 1};
    shape.insert(shape.end(), c.in.begin(), c.in.end());
    INFO("input " << shape_to_string(shape) << (c.max ? " max" : " average"));
    OnnxBuilder b(12);
    b.input("x", shape);
    auto& n = b.node(c.max ? "MaxPool" : "AveragePool", {"x"}, {"y"}, "pool");
    OnnxBuilder::attr(n, "kernel_shape", c.kernel);
    OnnxBuilder::attr(n, "strides", c.strides);
    OnnxBuilder::attr(n, "pads", c.pads);
    if (!c.max) OnnxBuilder::attr(n, "count_include_pad", int64_t{c.include_pad ? 1 : 0});
    b.output("y");
    const graph::Graph g = onnx_import::import_model(b.model()).graph;
    CHECK(converter_test::count_ops(g, OpType::POOL2D) == (c.in.size() == 3 ? 2 : 1));
    const HostTensor x = converter_test::random_tensor(shape, ++seed);
    std::vector<int64_t> out_dims;
    const std::vector<float> want = naive_pool(values(x), c.in, c.kernel, c.strides, c.pads, c.max,
                                               c.include_pad, out_dims);
    Shape out_shape = {1, 1};
    out_shape.insert(out_shape.end(), out_dims.begin(), out_dims.end());
    CHECK(tensor_named(g, "y").shape == out_shape);
    const std::vector<float> got = values(converter_test::run_graph(g, {{"x", x}}).at("y"));
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-5));
  }
}

TEST_CASE("converter import: unsupported pooling and matmul forms") {
  auto expect_error = [](OnnxBuilder& b, const std::string& text) {
    CHECK_THROWS_WITH_AS(onnx_import::import_model(b.model()), text.c_str(), ConvertError);
  };
  {
    OnnxBuilder b(12);
    b.input("x", {1, 1, 4, 4});
    auto& n = b.node("MaxPool", {"x"}, {"y", "idx"}, "max");
    OnnxBuilder::attr(n, "kernel_shape", std::vector<int64_t>{2, 2});
    b.output("y");
    expect_error(b,
                 "the Indices output 'idx' is not supported; only the pooled values Y can be "
                 "produced in ONNX op MaxPool (opset 12) at node max");
  }
  {
    OnnxBuilder b(12);
    b.input("x", {1, 1, 4});
    auto& n = b.node("AveragePool", {"x"}, {"y"}, "avg");
    OnnxBuilder::attr(n, "kernel_shape", std::vector<int64_t>{2, 2});
    b.output("y");
    expect_error(b,
                 "kernel_shape [2,2] does not fit input 'x' of shape [1,1,4]; 1-D, 2-D and 3-D "
                 "pooling of N,C,... tensors are supported in ONNX op AveragePool (opset 12) at node avg");
  }
  {
    OnnxBuilder b(12);
    b.input("x", {1, 1, 4, 4});
    auto& n = b.node("MaxPool", {"x"}, {"y"}, "max");
    OnnxBuilder::attr(n, "kernel_shape", std::vector<int64_t>{2, 2});
    OnnxBuilder::attr(n, "auto_pad", std::string("SAME"));
    b.output("y");
    expect_error(b,
                 "unsupported attribute auto_pad=SAME of ONNX op MaxPool (opset 12) at node max");
  }
  {
    OnnxBuilder b(13);
    b.input("x", {2, 3});
    b.initializer_i64("w", {3, 2}, {1, 2, 3, 4, 5, 6});
    b.node("MatMul", {"x", "w"}, {"y"}, "matmul");
    b.output("y");
    expect_error(b,
                 "input 'w' has data type INT64; data type INT64 is not supported in ONNX op "
                 "MatMul (opset 13) at node matmul");
  }
}

}  // namespace fennec
