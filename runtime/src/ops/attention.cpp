#include "ops/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "ops/batch_broadcast.h"
#include "ops/binary.h"

namespace fennec::ops {
namespace {

bool known(int64_t d) { return d >= 0; }

bool mismatch(int64_t a, int64_t b) { return known(a) && known(b) && a != b; }

Shape leading(const Shape& s) { return Shape(s.begin(), s.end() - 2); }

}  // namespace

Result<AttentionDims> AttentionOp::dims(const Shape& q, const Shape& k, const Shape& v) {
  if (q.size() < 2 || k.size() < 2 || v.size() < 2)
    return make_error(StatusCode::kInvalidModel,
                      "ATTENTION: Q {}, K {} and V {} must have rank 2 or more", shape_to_string(q),
                      shape_to_string(k), shape_to_string(v));
  AttentionDims d;
  d.s = q[q.size() - 2];
  d.d = q[q.size() - 1];
  d.t = k[k.size() - 2];
  d.dv = v[v.size() - 1];
  if (mismatch(k[k.size() - 1], d.d) || mismatch(v[v.size() - 2], d.t))
    return make_error(StatusCode::kInvalidModel,
                      "ATTENTION: Q {}, K {} and V {} do not fit [..., S, D], [..., T, D], "
                      "[..., T, Dv]",
                      shape_to_string(q), shape_to_string(k), shape_to_string(v));
  if (!known(d.d)) d.d = k[k.size() - 1];
  if (!known(d.t)) d.t = v[v.size() - 2];
  auto qk = broadcast_shapes(leading(q), leading(k));
  if (!qk.ok()) return qk.status().with_context("ATTENTION batch axes");
  auto all = broadcast_shapes(qk.value(), leading(v));
  if (!all.ok()) return all.status().with_context("ATTENTION batch axes");
  d.batch = std::move(all).value();
  return d;
}

MaskLayout mask_layout(const Shape& mask) {
  Shape full = mask;
  while (full.size() < 2) full.insert(full.begin(), 1);
  MaskLayout m;
  const int64_t ms = full[full.size() - 2], mt = full[full.size() - 1];
  m.t_stride = mt == 1 ? 0 : 1;
  m.s_stride = ms == 1 ? 0 : mt;
  m.matrix = ms * mt;
  m.batch = leading(full);
  return m;
}

Status AttentionOp::infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const {
  if (inputs.size() < 3 || inputs.size() > 4)
    return make_error(StatusCode::kInvalidModel,
                      "ATTENTION takes 3 or 4 inputs (Q, K, V, optional mask), got {}",
                      inputs.size());
  FENNEC_ASSIGN_OR_RETURN(AttentionDims d, dims(inputs[0], inputs[1], inputs[2]));
  if (inputs.size() == 4 && !inputs[3].empty()) {
    Shape scores = d.batch;
    scores.push_back(d.s);
    scores.push_back(d.t);
    const Shape& mask = inputs[3];
    bool fits = mask.size() <= scores.size();
    for (size_t i = 0; fits && i < mask.size(); ++i) {
      const int64_t dm = mask[mask.size() - 1 - i];
      fits = dm == 1 || !mismatch(dm, scores[scores.size() - 1 - i]);
    }
    if (!fits)
      return make_error(StatusCode::kInvalidModel,
                        "ATTENTION: mask {} does not broadcast to the scores {}",
                        shape_to_string(inputs[3]), shape_to_string(scores));
  }
  Shape y = d.batch;
  y.push_back(d.s);
  y.push_back(d.dv);
  outputs = {std::move(y)};
  return ok_status();
}

Status AttentionOp::reference(std::span<const HostTensor* const> inputs,
                              std::span<HostTensor> outputs) const {
  if (inputs.size() < 3 || !inputs[0] || !inputs[1] || !inputs[2])
    return make_error(StatusCode::kInvalidArgument, "ATTENTION reference: Q, K and V are required");
  FENNEC_RETURN_IF_ERROR(require_float32(*this, inputs));
  const HostTensor* mt = inputs.size() > 3 ? inputs[3] : nullptr;
  FENNEC_ASSIGN_OR_RETURN(AttentionDims d,
                          dims(inputs[0]->shape, inputs[1]->shape, inputs[2]->shape));
  const MaskLayout mask = mask_layout(mt ? mt->shape : Shape{});
  const Shape batches[] = {leading(inputs[0]->shape), leading(inputs[1]->shape),
                           leading(inputs[2]->shape), mask.batch};
  const int64_t sizes[] = {d.s * d.d, d.t * d.d, d.t * d.dv, mask.matrix};
  const BatchLayout layout = make_batch_layout(d.batch, batches, sizes);
  auto y = outputs[0].as<float>();
  std::vector<double> scores(static_cast<size_t>(d.t));
  for (int64_t b = 0; b < layout.count(); ++b) {
    const float* q = inputs[0]->as<float>().data() + layout.offset(0, b);
    const float* k = inputs[1]->as<float>().data() + layout.offset(1, b);
    const float* v = inputs[2]->as<float>().data() + layout.offset(2, b);
    const float* m = mt ? mt->as<float>().data() + layout.offset(3, b) : nullptr;
    for (int64_t s = 0; s < d.s; ++s) {
      double top = -std::numeric_limits<double>::infinity();
      for (int64_t t = 0; t < d.t; ++t) {
        double dot = 0.0;
        for (int64_t i = 0; i < d.d; ++i)
          dot += static_cast<double>(q[s * d.d + i]) * k[t * d.d + i];
        double score = scale_ * dot;
        if (m) score += m[s * mask.s_stride + t * mask.t_stride];
        scores[static_cast<size_t>(t)] = score;
        top = std::max(top, score);
      }
      float* out = y.data() + (b * d.s + s) * d.dv;
      if (std::isinf(top) && top < 0) {  // fully masked (or T = 0)
        std::fill(out, out + d.dv, 0.0f);
        continue;
      }
      double total = 0.0;
      for (double& score : scores) total += (score = std::exp(score - top));
      for (int64_t j = 0; j < d.dv; ++j) {
        double acc = 0.0;
        for (int64_t t = 0; t < d.t; ++t) acc += scores[static_cast<size_t>(t)] * v[t * d.dv + j];
        out[j] = static_cast<float>(acc / total);
      }
    }
  }
  return ok_status();
}

OptionsOffset AttentionOp::write_options(flatbuffers::FlatBufferBuilder& fbb) const {
  return {schema::OpOptions::AttentionOptions,
          schema::CreateAttentionOptions(fbb, scale_).Union()};
}

std::string AttentionOp::describe() const { return fmt::format("scale={}", scale_); }

Result<std::unique_ptr<Op>> make_attention(const schema::Operator& op) {
  const auto* o = op.options_as_AttentionOptions();
  if (!o && op.options_type() != schema::OpOptions::NONE)
    return make_error(StatusCode::kInvalidModel, "ATTENTION with {} instead of AttentionOptions",
                      schema::EnumNameOpOptions(op.options_type()));
  return std::unique_ptr<Op>(std::make_unique<AttentionOp>(o ? o->scale() : 1.0f));
}

}  // namespace fennec::ops
