// Binary16 activation storage: every kernel's _a16 variant against the
// reference CPU kernel run on the same binary16 inputs (widened to float32,
// the result rounded to binary16, as ops::run_reference does for a FLOAT16
// node). The kernels compute in float32 too, so the two differ by at most
// about one binary16 rounding step plus float32 reordering.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <vector>

#include "common/harness.h"
#include "graph/activation_storage.h"
#include "graph/graph.h"
#include "ops/attention.h"
#include "ops/batch_norm.h"
#include "ops/binary.h"
#include "ops/cast.h"
#include "ops/concat.h"
#include "ops/conv.h"
#include "ops/conv_transpose.h"
#include "ops/expand.h"
#include "ops/gather.h"
#include "ops/global_average_pool.h"
#include "ops/layer_norm.h"
#include "ops/matmul.h"
#include "ops/pad.h"
#include "ops/pool2d.h"
#include "ops/reduce.h"
#include "ops/reshape.h"
#include "ops/resize.h"
#include "ops/slice.h"
#include "ops/softmax.h"
#include "ops/transpose.h"
#include "ops/unary.h"
#include "quant/formats.h"
#include "vulkan/context.h"
#include "vulkan/session.h"

namespace fennec {
namespace {

HostTensor half(const HostTensor& t) { return convert_dtype(t, DataType::FLOAT16).value(); }
HostTensor wide(const HostTensor& t) { return convert_dtype(t, DataType::FLOAT32).value(); }

HostTensor half_random(const Shape& shape, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  return half(testing::random_tensor(shape, seed, lo, hi));
}

// Runs `op` on the device and the reference; `inputs` hold FLOAT16
// activations and FLOAT32 parameters. Each output element must agree within
// two binary16 steps of its magnitude (plus a small floor for values near 0).
void check(std::unique_ptr<ops::Op> op, const std::vector<const HostTensor*>& inputs,
           const std::vector<bool>& constant = {}, const std::vector<quant::WeightQuant>& quant = {},
           const std::vector<const HostTensor*>& reference_inputs = {}) {
  const std::string what = std::string(op->type_name()) + " " + op->describe();
  auto expected = ops::run_reference(*op, reference_inputs.empty() ? inputs : reference_inputs);
  REQUIRE_MESSAGE(expected.ok(), expected.status().to_string());
  auto actual = testing::run_on_vulkan(std::move(op), inputs, constant, quant);
  REQUIRE_MESSAGE(actual.ok(), what << ": " << actual.status().to_string());
  REQUIRE(actual.value().size() == expected.value().size());
  for (size_t o = 0; o < expected.value().size(); ++o) {
    // float32 reference inputs (w8a8's activations as their int8 codes
    // see them) give a float32 result: it rounds at the store like the kernel's.
    const HostTensor e16 = half(expected.value()[o]);
    const HostTensor& a16 = actual.value()[o];
    INFO(what, " output ", o);
    CHECK(a16.dtype == DataType::FLOAT16);
    REQUIRE(e16.shape == a16.shape);
    const HostTensor e = wide(e16), a = wide(a16);
    size_t bad = 0;
    double worst = 0.0;
    for (int64_t i = 0; i < e.elements(); ++i) {
      const double ev = e.as<float>()[static_cast<size_t>(i)], av = a.as<float>()[static_cast<size_t>(i)];
      const double err = std::fabs(ev - av);
      if (!(err <= 2.0 * std::ldexp(1.0, -10) * std::fabs(ev) + 1e-4)) ++bad;
      worst = std::max(worst, err);
    }
    INFO("elements beyond two binary16 steps: ", bad, " of ", e.elements(), "; worst |err| ", worst);
    CHECK(bad == 0);
  }
}

ops::ConvParams conv(int kernel, int stride, int pad, int group = 1) {
  ops::ConvParams p;
  p.kernel_h = p.kernel_w = kernel;
  p.stride_h = p.stride_w = stride;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = pad;
  p.group = group;
  return p;
}

}  // namespace

TEST_CASE("fp16 activations: CAST rounds to nearest even and widens exactly") {
  const HostTensor x = testing::tensor({6}, {1.0f, 1.0f + 1.0f / 4096.0f, 1.0f + 3.0f / 4096.0f, 65504.0f, 70000.0f, -2.5e-8f});
  auto narrow = ops::run_reference(ops::CastOp(DataType::FLOAT16), std::vector<const HostTensor*>{&x});
  REQUIRE(narrow.ok());
  const HostTensor& narrowed = narrow.value()[0];
  const std::span<const uint16_t> h = narrowed.as<uint16_t>();
  // 1 + 2^-12 is a tie between 1 and 1 + 2^-10: even (1) wins; 1 + 3*2^-12
  // rounds up; 70000 overflows to inf; -2.5e-8 is below half the smallest
  // subnormal (2^-25 = 2.98e-8): -0.
  CHECK(h[0] == 0x3C00);
  CHECK(h[1] == 0x3C00);
  CHECK(h[2] == 0x3C01);
  CHECK(h[3] == 0x7BFF);
  CHECK(h[4] == 0x7C00);
  CHECK(h[5] == 0x8000);
  auto device = testing::run_on_vulkan(std::make_unique<ops::CastOp>(DataType::FLOAT16), {&x});
  REQUIRE_MESSAGE(device.ok(), device.status().to_string());
  CHECK(device.value()[0].bytes == narrow.value()[0].bytes);
  const HostTensor back = narrow.value()[0];
  auto widened = testing::run_on_vulkan(std::make_unique<ops::CastOp>(DataType::FLOAT32), {&back});
  REQUIRE_MESSAGE(widened.ok(), widened.status().to_string());
  CHECK(widened.value()[0].dtype == DataType::FLOAT32);
  CHECK(widened.value()[0].as<float>()[2] == 1.0f + 1.0f / 1024.0f);
  CHECK(std::isinf(widened.value()[0].as<float>()[4]));
}

TEST_CASE("fp16 activations: elementwise, layout and pooling kernels match the reference") {
  const HostTensor x = half_random({2, 5, 9, 13}, 1, -3.0f, 3.0f);
  const HostTensor y = half_random({2, 5, 9, 13}, 2);
  const HostTensor row = half_random({1, 5, 1, 1}, 3);
  check(std::make_unique<ops::UnaryOp>(ops::OpType::UNARY,
                                       ops::UnaryOp::activation_for(ops::OpType::HARD_SWISH, 0, 0)),
        {&x});
  check(std::make_unique<ops::UnaryOp>(ops::OpType::SIGMOID, ops::UnaryOp::activation_for(ops::OpType::SIGMOID, 0, 0)),
        {&x});
  check(std::make_unique<ops::BinaryOp>(ops::OpType::ADD), {&x, &y});
  check(std::make_unique<ops::BinaryOp>(ops::OpType::MUL), {&x, &row}, {false, true});
  check(std::make_unique<ops::ConcatOp>(1), {&x, &y});
  check(std::make_unique<ops::ConcatOp>(3), {&x, &y}, {false, true});
  check(std::make_unique<ops::TransposeOp>(std::vector<int32_t>{0, 2, 3, 1}), {&x});
  check(std::make_unique<ops::ReshapeOp>(std::vector<int64_t>{2, -1}, std::vector<int32_t>{}), {&x});
  check(std::make_unique<ops::ExpandOp>(std::vector<int64_t>{2, 5, 9, 13}), {&row});
  ops::SliceParams slice;
  slice.axes = {2, 3};
  slice.starts = {1, 12};
  slice.ends = {8, 0};
  slice.steps = {2, -3};
  check(std::make_unique<ops::SliceOp>(slice), {&x});
  check(std::make_unique<ops::PadOp>(schema::PadMode::REFLECT, std::vector<int64_t>{0, 0, 1, 2, 0, 0, 2, 1}, 0.0f),
        {&x});
  check(std::make_unique<ops::GlobalAveragePoolOp>(), {&x});
  ops::Pool2DParams pool;
  pool.kind = schema::PoolKind::AVERAGE;
  pool.kernel_h = pool.kernel_w = 3;
  pool.stride_h = pool.stride_w = 2;
  pool.pad_top = pool.pad_left = pool.pad_bottom = pool.pad_right = 1;
  check(std::make_unique<ops::Pool2DOp>(pool), {&x});
  pool.kind = schema::PoolKind::MAXIMUM;
  check(std::make_unique<ops::Pool2DOp>(pool), {&x});
  ops::ResizeParams resize;
  resize.mode = schema::ResizeMode::LINEAR;
  resize.scale_h = resize.scale_w = 2.0f;
  check(std::make_unique<ops::ResizeOp>(resize), {&x});
  HostTensor indices(DataType::INT32, {4});
  const int32_t picks[4] = {8, 0, -1, 3};
  std::copy(picks, picks + 4, indices.as<int32_t>().begin());
  check(std::make_unique<ops::GatherOp>(2), {&x, &indices}, {false, true});
}

TEST_CASE("fp16 activations: normalization and reduction kernels match the reference") {
  const HostTensor x = half_random({2, 6, 7, 11}, 4, -4.0f, 4.0f);
  const HostTensor scale = testing::random_tensor({6}, 5, 0.5f, 1.5f);
  const HostTensor bias = testing::random_tensor({6}, 6);
  const HostTensor mean = testing::random_tensor({6}, 7);
  const HostTensor var = testing::random_tensor({6}, 8, 0.5f, 2.0f);
  check(std::make_unique<ops::BatchNormOp>(1e-5f), {&x, &scale, &bias, &mean, &var},
        {false, true, true, true, true});
  const HostTensor gamma = testing::random_tensor({11}, 9, 0.5f, 1.5f);
  const HostTensor beta = testing::random_tensor({11}, 10);
  check(std::make_unique<ops::LayerNormOp>(3, 1e-5f), {&x, &gamma, &beta}, {false, true, true});
  check(std::make_unique<ops::SoftmaxOp>(3, false), {&x});
  check(std::make_unique<ops::SoftmaxOp>(1, true), {&x});
  check(std::make_unique<ops::ReduceOp>(schema::ReduceKind::MEAN, std::vector<int>{1, 3}, true), {&x});
  check(std::make_unique<ops::ReduceOp>(schema::ReduceKind::MAXIMUM, std::vector<int>{2}, false), {&x});
}

TEST_CASE("fp16 activations: convolutions and attention match the reference") {
  const HostTensor x = half_random({1, 8, 13, 17}, 11);
  const HostTensor w3 = testing::random_tensor({16, 8, 3, 3}, 12, -0.3f, 0.3f);
  const HostTensor b = testing::random_tensor({16}, 13);
  const HostTensor wdw = testing::random_tensor({8, 1, 3, 3}, 14);
  const HostTensor w1 = testing::random_tensor({3, 8, 1, 1}, 15);
  check(std::make_unique<ops::ConvOp>(conv(3, 1, 1)), {&x, &w3, &b}, {false, true, true});   // tiled
  check(std::make_unique<ops::ConvOp>(conv(3, 2, 1, 8)), {&x, &wdw}, {false, true});         // direct
  check(std::make_unique<ops::ConvOp>(conv(1, 1, 0)), {&x, &w1, nullptr}, {false, true});
  ops::ConvTransposeParams up;
  up.kernel_h = up.kernel_w = 2;
  up.stride_h = up.stride_w = 2;
  const HostTensor wt = testing::random_tensor({8, 4, 2, 2}, 16);
  check(std::make_unique<ops::ConvTransposeOp>(up), {&x, &wt}, {false, true});
  const HostTensor q = half_random({2, 3, 7, 16}, 17);
  const HostTensor k = half_random({2, 3, 13, 16}, 18);
  const HostTensor v = half_random({2, 3, 13, 9}, 19);
  const HostTensor mask = half_random({7, 13}, 20, -2.0f, 0.0f);
  check(std::make_unique<ops::AttentionOp>(0.25f), {&q, &k, &v, &mask}, {false, true, true, true});
}

TEST_CASE("quantized weights: every format under binary16 activations matches the reference") {
  // MATMUL as a matrix-vector product (one row) and as a tiled product, and
  // CONV, with each weight format decoded in registers.
  const HostTensor a1 = half_random({1, 96}, 21);
  const HostTensor a9 = half_random({9, 96}, 22);
  const HostTensor c = half_random({40}, 23);
  const HostTensor bt = testing::random_tensor({40, 96}, 24, -0.2f, 0.2f);  // [N, K]: a row per column
  const HostTensor x = half_random({1, 8, 9, 10}, 25);
  const HostTensor w = testing::random_tensor({16, 8, 3, 3}, 26, -0.3f, 0.3f);
  using quant::WeightFormat;
  for (WeightFormat format : {WeightFormat::kFloat16, WeightFormat::kInt8, WeightFormat::kInt4,
                              WeightFormat::kInt4Asymmetric, WeightFormat::kMxFp8, WeightFormat::kInt8Grouped}) {
    quant::WeightQuant q;
    q.format = format;
    q.group_size = format == WeightFormat::kInt4 || format == WeightFormat::kInt4Asymmetric ||
                           format == WeightFormat::kInt8Grouped
                       ? 32
                       : 0;
    q.transposed = false;  // MATMUL transposes B: its rows are already N
    ops::MatMulParams p;
    p.transpose_b = true;
    const HostTensor decoded = testing::dequantized(bt, q);
    for (const HostTensor* a : {&a1, &a9})
      check(std::make_unique<ops::MatMulOp>(p), {a, &bt, &c}, {false, true, true}, {{}, q, {}},
            {a, &decoded, &c});
    quant::WeightQuant cq = q;
    cq.transposed = false;
    const HostTensor wq = testing::dequantized(w, cq);
    check(std::make_unique<ops::ConvOp>(conv(3, 1, 1)), {&x, &w}, {false, true}, {{}, cq}, {&x, &wq});
  }
  // w8a8: the binary16 activations quantized to int8 per tensor.
  quant::WeightQuant w8a8;
  w8a8.format = WeightFormat::kInt8;
  w8a8.activation_scale = 1.0f / 127.0f;
  auto as_int8 = [&](const HostTensor& x16) {
    HostTensor seen = wide(x16);
    for (float& v : seen.as<float>())
      v = static_cast<float>(quant::quantize_activation(v, w8a8.activation_scale)) * w8a8.activation_scale;
    return seen;
  };
  ops::MatMulParams pt;
  pt.transpose_b = true;
  const HostTensor b8 = testing::dequantized(bt, w8a8), w8 = testing::dequantized(w, w8a8);
  const HostTensor c32 = wide(c);
  for (const HostTensor* a : {&a1, &a9}) {
    const HostTensor seen = as_int8(*a);
    check(std::make_unique<ops::MatMulOp>(pt), {a, &bt, &c}, {false, true, true}, {{}, w8a8, {}}, {&seen, &b8, &c32});
  }
  const HostTensor x_seen = as_int8(x);
  check(std::make_unique<ops::ConvOp>(conv(3, 1, 1)), {&x, &w}, {false, true}, {{}, w8a8}, {&x_seen, &w8});
  // Float B (an activation) in both MATMUL paths.
  const HostTensor b = half_random({96, 40}, 27);
  for (const HostTensor* a : {&a1, &a9}) check(std::make_unique<ops::MatMulOp>(ops::MatMulParams{}), {a, &b});
}

TEST_CASE("fp16 activations: a graph is widened to float32 where 16-bit storage is missing") {
  // x (FLOAT32) -> CAST fp16 -> ADD constant (FLOAT16) -> CAST fp32 -> y.
  graph::Graph g;
  auto add = [&](const std::string& name, DataType dtype) {
    graph::TensorInfo info;
    info.name = name;
    info.dtype = dtype;
    info.shape = {4};
    info.dim_symbols.assign(1, "");
    return g.add_tensor(std::move(info));
  };
  const int x = add("x", DataType::FLOAT32), x16 = add("x16", DataType::FLOAT16);
  const int s16 = add("s16", DataType::FLOAT16), y = add("y", DataType::FLOAT32);
  const int k = g.add_constant("k", half(testing::tensor({4}, {0.5f, -1.0f, 2.0f, 1e-3f})));
  g.inputs = {x};
  g.outputs = {y};
  g.nodes.push_back({"to16", std::make_unique<ops::CastOp>(DataType::FLOAT16), {x}, {x16}});
  g.nodes.push_back({"add", std::make_unique<ops::BinaryOp>(ops::OpType::ADD), {x16, k}, {s16}});
  g.nodes.push_back({"to32", std::make_unique<ops::CastOp>(DataType::FLOAT32), {s16}, {y}});
  REQUIRE(g.validate().ok());
  CHECK(graph::binary16_node(g, g.nodes[1]));
  CHECK_FALSE(graph::binary16_node(g, g.nodes[0]));
  auto wide_graph = graph::widened_copy(g);
  REQUIRE(wide_graph.ok());
  const graph::Graph& w = *wide_graph.value();
  REQUIRE(w.validate().ok());
  CHECK_FALSE(graph::has_binary16_activations(w));
  CHECK(w.tensors[static_cast<size_t>(k)].dtype == DataType::FLOAT32);
  CHECK(w.constant_value(k).as<float>()[3] == quant::fp16_to_float(quant::float_to_fp16(1e-3f)));
  // Run on a context without 16-bit storage, the session widens the graph:
  // x + k in float32 with k's binary16 value; with it, x and the sum round.
  const HostTensor xv = testing::tensor({4}, {0.1f, 0.2f, 1000.3f, 3.0f});
  auto run = [&](bool storage16) {
    if (!storage16) setenv("FENNEC_FP16_STORAGE", "0", 1);
    auto context = vulkan::Context::create({});
    unsetenv("FENNEC_FP16_STORAGE");
    REQUIRE(context.ok());
    CHECK(context.value()->caps().storage_16bit == storage16);
    auto session = vulkan::Session::create(*context.value(), g, {});
    REQUIRE_MESSAGE(session.ok(), session.status().to_string());
    const std::vector<vulkan::InputView> feeds{{DataType::FLOAT32, {4}, xv.bytes.data(), xv.bytes.size()}};
    REQUIRE(session.value()->run(feeds).ok());
    CHECK(session.value()->stats().model_binary16_nodes == 1);
    CHECK(session.value()->stats().binary16_nodes == (storage16 ? 1u : 0u));
    return session.value()->outputs()[0];
  };
  const HostTensor k32 = wide(half(testing::tensor({4}, {0.5f, -1.0f, 2.0f, 1e-3f})));
  const HostTensor widened_y = run(false);
  const HostTensor half_y = run(true);
  for (size_t i = 0; i < 4; ++i) {
    const float exact = xv.as<float>()[i] + k32.as<float>()[i];
    CHECK(widened_y.as<float>()[i] == exact);
    const float rounded = quant::fp16_to_float(quant::float_to_fp16(
        quant::fp16_to_float(quant::float_to_fp16(xv.as<float>()[i])) + k32.as<float>()[i]));
    CHECK(half_y.as<float>()[i] == rounded);
  }
  CHECK(widened_y.as<float>()[2] != half_y.as<float>()[2]);  // 1000.8 is not a binary16 value

  // A FLOAT16 output on a node with FLOAT32 inputs breaks the contract.
  g.tensors[static_cast<size_t>(x16)].dtype = DataType::FLOAT32;
  g.nodes[0].op = std::make_unique<ops::CastOp>(DataType::FLOAT32);
  const Status broken = g.validate();
  CHECK_FALSE(broken.ok());
  CHECK(broken.to_string().find("reads FLOAT32 'x16'") != std::string::npos);

  // The same without the first CAST: x16 is a FLOAT16 graph input, fed
  // float32 data (converted on the host) or binary16 data as it is.
  graph::Graph h;
  h.tensors = g.tensors;
  h.tensors[static_cast<size_t>(x16)].dtype = DataType::FLOAT16;
  h.set_constant(k, g.constant_value(k));
  h.inputs = {x16};
  h.outputs = {y};
  h.nodes.push_back({"add", std::make_unique<ops::BinaryOp>(ops::OpType::ADD), {x16, k}, {s16}});
  h.nodes.push_back({"to32", std::make_unique<ops::CastOp>(DataType::FLOAT32), {s16}, {y}});
  REQUIRE(h.validate().ok());
  auto context = vulkan::Context::create({});
  REQUIRE(context.ok());
  auto session = vulkan::Session::create(*context.value(), h, {});
  REQUIRE(session.ok());
  const HostTensor x16v = half(xv);
  for (const HostTensor* fed : {&xv, &x16v}) {
    const std::vector<vulkan::InputView> feeds{{fed->dtype, {4}, fed->bytes.data(), fed->bytes.size()}};
    const Status status = session.value()->run(feeds);
    REQUIRE_MESSAGE(status.ok(), status.to_string());
    CHECK(session.value()->outputs()[0].bytes == half_y.bytes);
  }
}

}  // namespace fennec
