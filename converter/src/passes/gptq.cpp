#include "passes/gptq.h"

#include <algorithm>
#include <cmath>

#include "ops/conv.h"
#include "ops/matmul.h"
#include "passes/convert_error.h"

namespace fennec::passes {
namespace {

// Lower Cholesky factor of a symmetric positive definite a (n x n, full,
// row-major), in place; false when a pivot is not positive.
bool cholesky_lower(std::vector<double>& a, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    double* ri = &a[i * n];
    for (size_t j = 0; j <= i; ++j) {
      const double* rj = &a[j * n];
      double s = ri[j];
      for (size_t k = 0; k < j; ++k) s -= ri[k] * rj[k];
      if (i == j) {
        if (!(s > 0.0)) return false;
        ri[i] = std::sqrt(s);
      } else {
        ri[j] = s / rj[j];
      }
    }
    for (size_t j = i + 1; j < n; ++j) ri[j] = 0.0;
  }
  return true;
}

}  // namespace

bool gptq_inverse_factor(std::vector<double> h, size_t n, double damping, std::vector<double>& u) {
  double mean = 0.0;
  for (size_t i = 0; i < n; ++i) {
    if (h[i * n + i] == 0.0) h[i * n + i] = 1.0;
    mean += h[i * n + i];
  }
  mean /= static_cast<double>(std::max<size_t>(n, 1));
  // H = R R^T with R upper triangular is the lower Cholesky factor of H with
  // rows and columns reversed; then H^-1 = (R^-1)^T R^-1, so U = R^-1.
  for (int attempt = 0; attempt < 4; ++attempt, damping *= 10.0) {
    std::vector<double> r(n * n);
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j) r[i * n + j] = h[(n - 1 - i) * n + (n - 1 - j)];
    for (size_t i = 0; i < n; ++i) r[i * n + i] += damping * mean;
    if (!cholesky_lower(r, n)) continue;
    std::reverse(r.begin(), r.end());  // r[i][j] = L[n-1-i][n-1-j]: upper
    u.assign(n * n, 0.0);
    for (size_t i = n; i-- > 0;) {
      double* ui = &u[i * n];
      const double* ri = &r[i * n];
      for (size_t k = i + 1; k < n; ++k) {
        const double rk = ri[k];
        if (rk == 0.0) continue;
        const double* uk = &u[k * n];
        for (size_t j = k; j < n; ++j) ui[j] -= rk * uk[j];
      }
      const double inv = 1.0 / ri[i];
      for (size_t j = i + 1; j < n; ++j) ui[j] *= inv;
      ui[i] = inv;
    }
    return true;
  }
  return false;
}

void gptq_round_row(std::span<double> w, std::span<const double> u, size_t n,
                    const std::function<float(size_t, float)>& round_to) {
  for (size_t j = 0; j < n; ++j) {
    const double q = round_to(j, static_cast<float>(w[j]));
    const double e = (w[j] - q) / u[j * n + j];
    const double* uj = &u[j * n];
    for (size_t k = j + 1; k < n; ++k) w[k] -= e * uj[k];
    w[j] = q;
  }
}

LayerHessian::LayerHessian(const graph::Node& node, size_t cols) : cols_(cols) {
  if (node.op->type() == ops::OpType::CONV) {
    const ops::ConvParams& p = static_cast<const ops::ConvOp&>(*node.op).params();
    conv_ = supported_ = p.group >= 1;
    groups_ = static_cast<size_t>(std::max(p.group, 1));
    kh_ = p.kernel_h, kw_ = p.kernel_w, sh_ = p.stride_h, sw_ = p.stride_w;
    dh_ = p.dilation_h, dw_ = p.dilation_w, pt_ = p.pad_top, pl_ = p.pad_left;
    pb_ = p.pad_bottom, pr_ = p.pad_right;
  } else if (node.op->type() == ops::OpType::MATMUL) {
    supported_ = !static_cast<const ops::MatMulOp&>(*node.op).params().transpose_a;
  }
  if (cols_ == 0) supported_ = false;
  blocks_ = (cols_ + kGptqBlock - 1) / std::max<size_t>(kGptqBlock, 1);
  if (!supported_) return;
  h_.resize(groups_);
  for (auto& group : h_) {
    group.resize(blocks_);
    for (size_t b = 0; b < blocks_; ++b) group[b].assign(block_size(b) * block_size(b), 0.0);
  }
}

size_t LayerHessian::block_size(size_t block) const {
  return std::min(kGptqBlock, cols_ - block * kGptqBlock);
}

void LayerHessian::add_vector(size_t group, std::span<const float> v) {
  for (size_t b = 0; b < blocks_; ++b) {
    const size_t n = block_size(b), base = b * kGptqBlock;
    double* h = h_[group][b].data();
    for (size_t i = 0; i < n; ++i) {
      const double vi = v[base + i];
      if (vi == 0.0) continue;
      double* row = h + i * n;
      for (size_t j = i; j < n; ++j) row[j] += vi * v[base + j];
    }
  }
}

void LayerHessian::add(const HostTensor& x, size_t max_vectors) {
  if (!supported_) return;
  if (x.dtype != DataType::FLOAT32) throw converter::ConvertError("gptq: a layer input is not float32");
  const std::span<const float> values = x.as<float>();
  // Work per vector: every group's upper triangles.
  const double per_vector = static_cast<double>(groups_) * static_cast<double>(cols_) *
                            static_cast<double>(std::min(cols_, kGptqBlock)) / 2.0;
  const auto affordable = static_cast<size_t>(std::max(256.0, 1e8 / per_vector));
  max_vectors = std::max<size_t>(1, std::min(max_vectors, affordable));
  std::vector<float> v(cols_);
  if (!conv_) {
    const size_t count = values.size() / cols_;
    if (count * cols_ != values.size()) throw converter::ConvertError("gptq: MATMUL input does not end in K");
    const size_t used = std::min(count, max_vectors);
    for (size_t i = 0; i < used; ++i) add_vector(0, values.subspan(i * count / used * cols_, cols_));
    vectors_ += used;
    return;
  }
  if (x.shape.size() != 4) throw converter::ConvertError("gptq: CONV input is not NCHW");
  const auto n = static_cast<size_t>(x.shape[0]), c = static_cast<size_t>(x.shape[1]);
  const auto ih = static_cast<int>(x.shape[2]), iw = static_cast<int>(x.shape[3]);
  const size_t per_group = c / groups_;
  if (per_group * static_cast<size_t>(kh_ * kw_) != cols_)
    throw converter::ConvertError("gptq: CONV input channels do not match the weight");
  const int oh = (ih + pt_ + pb_ - dh_ * (kh_ - 1) - 1) / sh_ + 1;
  const int ow = (iw + pl_ + pr_ - dw_ * (kw_ - 1) - 1) / sw_ + 1;
  if (oh <= 0 || ow <= 0) return;
  const size_t positions = n * static_cast<size_t>(oh) * static_cast<size_t>(ow);
  const size_t used = std::min(positions, max_vectors);
  for (size_t i = 0; i < used; ++i) {
    const size_t p = i * positions / used;
    const size_t img = p / (static_cast<size_t>(oh) * static_cast<size_t>(ow));
    const int oy = static_cast<int>(p / static_cast<size_t>(ow) % static_cast<size_t>(oh));
    const int ox = static_cast<int>(p % static_cast<size_t>(ow));
    for (size_t g = 0; g < groups_; ++g) {
      size_t k = 0;
      for (size_t ch = 0; ch < per_group; ++ch) {
        const float* plane = values.data() + ((img * c + g * per_group + ch) * static_cast<size_t>(ih)) *
                                                 static_cast<size_t>(iw);
        for (int ky = 0; ky < kh_; ++ky) {
          const int y = oy * sh_ - pt_ + ky * dh_;
          for (int kx = 0; kx < kw_; ++kx, ++k) {
            const int xx = ox * sw_ - pl_ + kx * dw_;
            v[k] = y >= 0 && y < ih && xx >= 0 && xx < iw ? plane[y * iw + xx] : 0.0f;
          }
        }
      }
      add_vector(g, v);
    }
  }
  vectors_ += used;
}

std::vector<float> LayerHessian::round(std::span<const float> matrix, const quant::QuantGrid& grid,
                                       double damping) const {
  const size_t rows = grid.rows;
  if (!supported_ || grid.cols != cols_ || matrix.size() != rows * cols_ || rows % groups_ != 0)
    throw converter::ConvertError("gptq: the weight matrix does not match the layer's Hessian");
  std::vector<float> out(matrix.size());
  const size_t rows_per_group = rows / groups_;
  std::vector<double> w, u, full;
  for (size_t g = 0; g < groups_; ++g)
    for (size_t b = 0; b < blocks_; ++b) {
      const size_t n = block_size(b), base = b * kGptqBlock;
      const std::vector<double>& upper = h_[g][b];
      // Columns go in order of decreasing input energy (diag H), the "act
      // order" heuristic: the hardest ones are rounded while many others can
      // still take their error. The grid is fixed, so any order is valid.
      std::vector<size_t> order(n);
      for (size_t i = 0; i < n; ++i) order[i] = i;
      std::stable_sort(order.begin(), order.end(),
                       [&](size_t a, size_t c) { return upper[a * n + a] > upper[c * n + c]; });
      full.assign(n * n, 0.0);
      for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < n; ++j) {
          const size_t a = std::min(order[i], order[j]), c = std::max(order[i], order[j]);
          full[i * n + j] = upper[a * n + c];
        }
      const bool factored = vectors_ > 0 && gptq_inverse_factor(full, n, damping, u);
      for (size_t r = g * rows_per_group; r < (g + 1) * rows_per_group; ++r) {
        const auto round_to = [&](size_t j, float v) { return grid.round(r, base + order[j], v); };
        w.resize(n);
        for (size_t j = 0; j < n; ++j) w[j] = matrix[r * cols_ + base + order[j]];
        if (factored) {
          gptq_round_row(w, u, n, round_to);
        } else {
          for (size_t j = 0; j < n; ++j) w[j] = round_to(j, static_cast<float>(w[j]));
        }
        for (size_t j = 0; j < n; ++j) out[r * cols_ + base + order[j]] = static_cast<float>(w[j]);
      }
    }
  return out;
}

}  // namespace fennec::passes
