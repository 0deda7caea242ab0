#include "ops/matmul.h"

#include <fmt/format.h>

#include "ops/batch_broadcast.h"
#include "ops/binary.h"

namespace fennec::ops {
namespace {

bool known(int64_t d) { return d >= 0; }

// True when `c` broadcasts to `y` without changing y (numpy rules, unknown
// dims given the benefit of the doubt).
bool broadcasts_to(const Shape& c, const Shape& y) {
  if (c.size() > y.size()) return false;
  for (size_t k = 0; k < c.size(); ++k) {
    const int64_t dc = c[c.size() - 1 - k];
    const int64_t dy = y[y.size() - 1 - k];
    if (dc != 1 && known(dc) && known(dy) && dc != dy) return false;
  }
  return true;
}

}  // namespace

Result<MatMulDims> MatMulOp::dims(const Shape& a, const Shape& b) const {
  if (a.empty() || b.empty())
    return make_error(StatusCode::kInvalidModel,
                      "MATMUL: A {} and B {} must both have rank 1 or more", shape_to_string(a),
                      shape_to_string(b));
  MatMulDims d;
  d.a_vector = a.size() == 1;
  d.b_vector = b.size() == 1;
  if (d.a_vector) {
    d.m = 1;
    d.k = a[0];
  } else {
    const int64_t rows = a[a.size() - 2], cols = a[a.size() - 1];
    d.m = params_.transpose_a ? cols : rows;
    d.k = params_.transpose_a ? rows : cols;
    d.a_batch.assign(a.begin(), a.end() - 2);
  }
  int64_t kb;
  if (d.b_vector) {
    kb = b[0];
    d.n = 1;
  } else {
    const int64_t rows = b[b.size() - 2], cols = b[b.size() - 1];
    kb = params_.transpose_b ? cols : rows;
    d.n = params_.transpose_b ? rows : cols;
    d.b_batch.assign(b.begin(), b.end() - 2);
  }
  if (known(d.k) && known(kb) && d.k != kb)
    return make_error(StatusCode::kInvalidModel,
                      "MATMUL: op(A) of {} has {} columns but op(B) of {} has {} rows "
                      "(transpose_a={}, transpose_b={})",
                      shape_to_string(a), d.k, shape_to_string(b), kb, params_.transpose_a,
                      params_.transpose_b);
  if (!known(d.k)) d.k = kb;
  auto batch = broadcast_shapes(d.a_batch, d.b_batch);
  if (!batch.ok()) return batch.status().with_context("MATMUL batch axes");
  d.batch = std::move(batch).value();
  return d;
}

Status MatMulOp::infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const {
  if (inputs.size() < 2 || inputs.size() > 3)
    return make_error(StatusCode::kInvalidModel,
                      "MATMUL takes 2 or 3 inputs (A, B, optional C), got {}", inputs.size());
  FENNEC_ASSIGN_OR_RETURN(MatMulDims d, dims(inputs[0], inputs[1]));
  Shape y = d.batch;
  if (!d.a_vector) y.push_back(d.m);
  if (!d.b_vector) y.push_back(d.n);
  if (inputs.size() == 3 && !inputs[2].empty() && !broadcasts_to(inputs[2], y))
    return make_error(StatusCode::kInvalidModel, "MATMUL: C {} does not broadcast to Y {}",
                      shape_to_string(inputs[2]), shape_to_string(y));
  outputs = {std::move(y)};
  return ok_status();
}

Status MatMulOp::reference(std::span<const HostTensor* const> inputs,
                           std::span<HostTensor> outputs) const {
  if (inputs.size() < 2 || !inputs[0] || !inputs[1])
    return make_error(StatusCode::kInvalidArgument, "MATMUL reference: A and B are required");
  FENNEC_RETURN_IF_ERROR(require_float32(*this, inputs));
  const HostTensor& at = *inputs[0];
  const HostTensor& bt = *inputs[1];
  const HostTensor* ct = inputs.size() > 2 ? inputs[2] : nullptr;
  HostTensor& yt = outputs[0];
  FENNEC_ASSIGN_OR_RETURN(MatMulDims d, dims(at.shape, bt.shape));
  const int64_t m = d.m, k = d.k, n = d.n;

  // Element strides of op(A)[i, p] and op(B)[p, j] inside one matrix.
  const int64_t a_i = d.a_vector ? 0 : (params_.transpose_a ? 1 : k);
  const int64_t a_p = d.a_vector ? 1 : (params_.transpose_a ? m : 1);
  const int64_t b_p = d.b_vector ? 1 : (params_.transpose_b ? 1 : n);
  const int64_t b_j = d.b_vector ? 0 : (params_.transpose_b ? k : 1);

  // C right-aligned against Y viewed as [batch..., M, N]: its last two axes
  // (present and not 1) give the strides along M and N, the rest batch.
  Shape c_batch;
  int64_t c_i = 0, c_j = 0, c_matrix = 1;
  if (ct) {
    Shape full = ct->shape;
    // Y drops the axis of a rank-1 operand; put it back as size 1 in C.
    if (d.b_vector) full.push_back(1);
    if (d.a_vector && !full.empty()) full.insert(full.end() - 1, 1);
    while (full.size() < 2) full.insert(full.begin(), 1);
    const int64_t cm = full[full.size() - 2], cn = full[full.size() - 1];
    c_j = cn == 1 ? 0 : 1;
    c_i = cm == 1 ? 0 : cn;
    c_matrix = cm * cn;
    c_batch.assign(full.begin(), full.end() - 2);
  }
  const Shape batches[] = {d.a_batch, d.b_batch, c_batch};
  const int64_t sizes[] = {m * k, k * n, c_matrix};
  const BatchLayout layout = make_batch_layout(d.batch, batches, sizes);

  auto a = at.as<float>();
  auto b = bt.as<float>();
  auto y = yt.as<float>();
  const float* c = ct ? ct->as<float>().data() : nullptr;
  const MatMulParams& p = params_;
  for (int64_t bi = 0; bi < layout.count(); ++bi) {
    const float* ab = a.data() + layout.offset(0, bi);
    const float* bb = b.data() + layout.offset(1, bi);
    const float* cb = c ? c + layout.offset(2, bi) : nullptr;
    float* yb = y.data() + bi * m * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        // Double accumulation keeps the oracle's rounding far below the
        // kernel's fp32 error on long dot products.
        double acc = 0.0;
        for (int64_t q = 0; q < k; ++q)
          acc += static_cast<double>(ab[i * a_i + q * a_p]) * bb[q * b_p + j * b_j];
        double v = p.alpha * acc;
        if (cb) v += static_cast<double>(p.beta) * cb[i * c_i + j * c_j];
        yb[i * n + j] = p.activation.apply(static_cast<float>(v));
      }
  }
  return ok_status();
}

OptionsOffset MatMulOp::write_options(flatbuffers::FlatBufferBuilder& fbb) const {
  auto activation = params_.activation.write(fbb);
  auto options = schema::CreateMatMulOptions(fbb, params_.transpose_a, params_.transpose_b,
                                             params_.alpha, params_.beta, activation);
  return {schema::OpOptions::MatMulOptions, options.Union()};
}

std::string MatMulOp::describe() const {
  std::string s;
  auto add = [&s](const std::string& part) { s += (s.empty() ? "" : " ") + part; };
  if (params_.transpose_a) add("transA");
  if (params_.transpose_b) add("transB");
  if (params_.alpha != 1.0f) add(fmt::format("alpha={}", params_.alpha));
  if (params_.beta != 1.0f) add(fmt::format("beta={}", params_.beta));
  if (!params_.activation.is_none()) add("+" + params_.activation.to_string());
  return s;
}

Result<std::unique_ptr<Op>> make_matmul(const schema::Operator& op) {
  const auto* o = op.options_as_MatMulOptions();
  MatMulParams p;
  if (o) {
    p.transpose_a = o->transpose_a();
    p.transpose_b = o->transpose_b();
    p.alpha = o->alpha();
    p.beta = o->beta();
    p.activation = Activation::from_schema(o->activation());
  } else if (op.options_type() != schema::OpOptions::NONE) {
    return make_error(StatusCode::kInvalidModel, "MATMUL with {} instead of MatMulOptions",
                      schema::EnumNameOpOptions(op.options_type()));
  }
  if (p.activation.kind > schema::Activation::MAX)
    return make_error(StatusCode::kInvalidModel, "MATMUL: unknown fused activation code {}",
                      static_cast<int>(p.activation.kind));
  return std::unique_ptr<Op>(std::make_unique<MatMulOp>(p));
}

}  // namespace fennec::ops
