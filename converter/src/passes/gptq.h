// GPTQ rounding (Frantar et al., "GPTQ: Accurate Post-Training Quantization
// for Generative Pre-trained Transformers", 2022): a layer's weights are
// rounded one input column at a time, and the rounding error of each column
// is pushed onto the columns not yet rounded, weighted by the inverse of the
// Hessian H = sum x x^T of the layer's inputs x on calibration data. That
// minimizes the error of the layer's output W x on those inputs rather than
// the error of W itself. The grid (scales per row and group) is fixed from
// the original weights first; GPTQ chooses only the codes.
//
// Approximations, both usual: the inputs are those of the float32 model; a
// reduction dimension longer than kGptqBlock is split into blocks whose
// Hessians are taken alone (block-diagonal H), so that the work stays
// O(rows * cols * kGptqBlock).
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <vector>

#include "graph/graph.h"
#include "quant/blocks.h"

namespace fennec::passes {

constexpr size_t kGptqBlock = 1024;

// The Hessians of one CONV or MATMUL layer, accumulated from its input X.
class LayerHessian {
 public:
  // node: a CONV (X NCHW, W [O, C/g, kh, kw]) or a MATMUL without transpose_a
  // (A [..., M, K]); `cols` = the weight's reduction length (C/g*kh*kw or K).
  // supported() is false for anything else.
  LayerHessian(const graph::Node& node, size_t cols);
  bool supported() const { return supported_; }
  // Adds the input vectors of one run (at most `max_vectors` of them, evenly
  // strided, per call; more cost O(vectors * cols * block)).
  void add(const HostTensor& x, size_t max_vectors = 4096);
  size_t vectors() const { return vectors_; }

  // The weight matrix [rows, cols] (rows = output channels) rounded onto
  // `grid` by GPTQ; row r uses the Hessian of its convolution group.
  // `damping` is the fraction of the mean diagonal added to it.
  std::vector<float> round(std::span<const float> matrix, const quant::QuantGrid& grid,
                           double damping = 0.01) const;

 private:
  void add_vector(size_t group, std::span<const float> v);
  bool supported_ = false;
  bool conv_ = false;
  size_t groups_ = 1, cols_ = 0, blocks_ = 1;
  int kh_ = 1, kw_ = 1, sh_ = 1, sw_ = 1, dh_ = 1, dw_ = 1, pt_ = 0, pl_ = 0, pb_ = 0, pr_ = 0;
  size_t vectors_ = 0;
  // [group][block]: upper triangle of the block's Hessian, row-major b x b.
  std::vector<std::vector<std::vector<double>>> h_;
  size_t block_size(size_t block) const;
};

// GPTQ on one row block: rounds w (length n) in place onto `round_to`
// (column index -> grid value), given U, the upper Cholesky factor of H^-1
// (row-major n x n).
void gptq_round_row(std::span<double> w, std::span<const double> u, size_t n,
                    const std::function<float(size_t, float)>& round_to);

// U with U^T U = (H + damping * mean(diag H) * I)^-1, H symmetric n x n
// (row-major, full). Zero diagonal entries (inputs that are always 0) become
// 1 first. Returns false when H is not positive definite even after ten-fold
// more damping, three times.
bool gptq_inverse_factor(std::vector<double> h, size_t n, double damping, std::vector<double>& u);

}  // namespace fennec::passes
