// GPTQ rounding (passes/gptq.h): the inverse Hessian factor, the fixed-grid
// encoders it relies on (encoding other values on given scales decodes to
// exactly what QuantGrid::round says), and on a depthwise strided CONV and a
// MATMUL that the layer output error on the calibration inputs, computed by
// the ops' reference kernels, is smaller than with rounding to nearest.
#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <random>

#include "ops/conv.h"
#include "ops/matmul.h"
#include "passes/gptq.h"
#include "quant/weight_format.h"
#include "test_converter_helpers.h"

namespace fennec {
namespace {

using converter_test::random_values;
using quant::QuantGrid;

// sum((a - b)^2) / sum(a^2)
double nmse(std::span<const float> a, std::span<const float> b) {
  double e = 0.0, r = 0.0;
  for (size_t i = 0; i < a.size(); ++i) e += (a[i] - b[i]) * (a[i] - b[i]), r += a[i] * a[i];
  return e / r;
}

HostTensor with_values(const Shape& shape, const std::vector<float>& values) {
  return converter_test::make_tensor(shape, values);
}

HostTensor run_reference(const ops::Op& op, const HostTensor& x, const HostTensor& w, const Shape& out) {
  HostTensor y(DataType::FLOAT32, out);
  const HostTensor* inputs[] = {&x, &w};
  REQUIRE(op.reference(inputs, std::span(&y, 1)).ok());
  return y;
}

TEST_CASE("gptq: U^T U is the inverse of the damped Hessian") {
  const size_t n = 9;
  const std::vector<float> a = random_values(n * 20, 3);
  std::vector<double> h(n * n, 0.0);
  for (size_t v = 0; v < 20; ++v)
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j) h[i * n + j] += a[v * n + i] * a[v * n + j];
  std::vector<double> u;
  REQUIRE(passes::gptq_inverse_factor(h, n, 0.0, u));
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < i; ++j) CHECK(u[i * n + j] == 0.0);  // upper triangular
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) {
      double s = 0.0;  // (U^T U H)[i][j]
      for (size_t k = 0; k < n; ++k) {
        double utu = 0.0;
        for (size_t m = 0; m < n; ++m) utu += u[m * n + i] * u[m * n + k];
        s += utu * h[k * n + j];
      }
      CHECK(s == doctest::Approx(i == j ? 1.0 : 0.0).epsilon(1e-9).scale(1.0));
    }
  // An input that is always zero leaves a zero row and column; it still factors.
  std::vector<double> dead = h;
  for (size_t i = 0; i < n; ++i) dead[2 * n + i] = dead[i * n + 2] = 0.0;
  CHECK(passes::gptq_inverse_factor(dead, n, 0.01, u));
}

TEST_CASE("quant: values encoded on a given grid decode to QuantGrid::round") {
  const size_t rows = 5, cols = 70;
  const std::vector<float> original = random_values(rows * cols, 11);
  std::vector<float> moved = random_values(rows * cols, 12, -1.3f, 1.3f);  // beyond the scales too
  const Shape shape = {static_cast<int64_t>(rows), static_cast<int64_t>(cols)};
  const quant::WeightQuant formats[] = {{quant::WeightFormat::kInt8, 0, false},
                                        {quant::WeightFormat::kInt4, 32, false},
                                        {quant::WeightFormat::kInt4Asymmetric, 16, false},
                                        {quant::WeightFormat::kMxFp8, 0, false}};
  for (const quant::WeightQuant& q : formats) {
    CAPTURE(q.to_string());
    const QuantGrid grid = quant::weight_grid(q, shape, original);
    const auto decoded = quant::decode_weight(q, shape, quant::encode_weight(q, shape, moved, &grid));
    for (size_t r = 0; r < rows; ++r)
      for (size_t c = 0; c < cols; ++c) REQUIRE(decoded[r * cols + c] == grid.round(r, c, moved[r * cols + c]));
    // Without a grid, the original's own scales: the same grid.
    const auto own = quant::decode_weight(q, shape, quant::encode_weight(q, shape, original));
    for (size_t i = 0; i < own.size(); ++i) REQUIRE(own[i] == grid.round(i / cols, i % cols, original[i]));
  }
}

void check_gptq_beats_nearest(const graph::Node& node, const HostTensor& x, const Shape& w_shape,
                              const Shape& y_shape, const quant::WeightQuant& q, double min_gain) {
  const std::vector<float> w = random_values(static_cast<size_t>(element_count(w_shape)), 21);
  const HostTensor wt = with_values(w_shape, w);
  const quant::WeightMatrix m = quant::weight_matrix(q, w_shape);
  passes::LayerHessian hessian(node, m.cols);
  REQUIRE(hessian.supported());
  hessian.add(x);
  CHECK(hessian.vectors() > 0);
  const QuantGrid grid = quant::weight_grid(q, w_shape, w);
  const std::vector<float> gptq =
      quant::from_weight_matrix(q, w_shape, hessian.round(quant::to_weight_matrix(q, w_shape, w), grid));
  const std::vector<float> nearest = quant::decode_weight(q, w_shape, quant::encode_weight(q, w_shape, w));
  // GPTQ's values are on the grid: encoding them on it changes nothing.
  CHECK(quant::decode_weight(q, w_shape, quant::encode_weight(q, w_shape, gptq, &grid)) == gptq);
  const HostTensor y = run_reference(*node.op, x, wt, y_shape);
  const HostTensor y_gptq = run_reference(*node.op, x, with_values(w_shape, gptq), y_shape);
  const HostTensor y_nearest = run_reference(*node.op, x, with_values(w_shape, nearest), y_shape);
  const double e_gptq = nmse(y.as<float>(), y_gptq.as<float>());
  const double e_nearest = nmse(y.as<float>(), y_nearest.as<float>());
  CAPTURE(q.to_string());
  CAPTURE(e_gptq);
  CAPTURE(e_nearest);
  CHECK(e_gptq * min_gain < e_nearest);
}

TEST_CASE("gptq: a depthwise strided CONV and a grouped one lose less output than rounding to nearest") {
  // Correlated inputs (a smooth image) are where GPTQ has something to use.
  HostTensor x(DataType::FLOAT32, {2, 8, 12, 12});
  std::mt19937 rng(5);
  std::normal_distribution<float> noise(0.0f, 0.1f);
  auto xs = x.as<float>();
  for (size_t i = 0; i < xs.size(); ++i) {
    const size_t col = i % 12, row = i / 12 % 12, ch = i / 144 % 8;
    xs[i] = std::sin(0.4f * static_cast<float>(col + ch)) * std::cos(0.3f * static_cast<float>(row)) + noise(rng);
  }
  ops::ConvParams p;
  p.kernel_h = p.kernel_w = 3;
  p.stride_h = p.stride_w = 2;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
  for (const int group : {8, 2}) {
    CAPTURE(group);
    p.group = group;
    graph::Node node{"conv", std::make_unique<ops::ConvOp>(p), {0, 1}, {2}};
    const Shape w_shape = {16, 8 / group, 3, 3};
    check_gptq_beats_nearest(node, x, w_shape, {2, 16, 6, 6}, {quant::WeightFormat::kInt4, 32, false}, 1.2);
    check_gptq_beats_nearest(node, x, w_shape, {2, 16, 6, 6}, {quant::WeightFormat::kMxFp8, 0, false}, 1.2);
  }
}

TEST_CASE("gptq: a MATMUL with B [K, N] loses less output than rounding to nearest") {
  const size_t k = 96;
  HostTensor a(DataType::FLOAT32, {3, 40, static_cast<int64_t>(k)});
  const std::vector<float> base = random_values(40 * 8, 7);
  const std::vector<float> mix = random_values(8 * k, 8);
  auto as = a.as<float>();
  for (size_t b = 0; b < 3; ++b)  // rank-8 structure plus noise: strongly correlated columns
    for (size_t r = 0; r < 40; ++r)
      for (size_t c = 0; c < k; ++c) {
        float s = 0.01f * static_cast<float>((r * 7 + c * 3 + b) % 11);
        for (size_t t = 0; t < 8; ++t) s += base[r * 8 + t] * mix[t * k + c];
        as[(b * 40 + r) * k + c] = s;
      }
  graph::Node node{"fc", std::make_unique<ops::MatMulOp>(ops::MatMulParams{}), {0, 1}, {2}};
  const Shape w_shape = {static_cast<int64_t>(k), 24};
  for (const quant::WeightQuant q : {quant::WeightQuant{quant::WeightFormat::kInt8, 0, true},
                                     quant::WeightQuant{quant::WeightFormat::kInt4, 32, true},
                                     quant::WeightQuant{quant::WeightFormat::kInt4Asymmetric, 32, true},
                                     quant::WeightQuant{quant::WeightFormat::kMxFp8, 0, true}})
    check_gptq_beats_nearest(node, a, w_shape, {3, 40, 24}, q, 1.5);
}

}  // namespace
}  // namespace fennec
