#include <cstdint>
#include <limits>

#include "ops/batch_broadcast.h"
#include "ops/matmul.h"
#include "vulkan/ops/kernels.h"
#include "vulkan/ops/weight_variants.h"

namespace fennec::vulkan {
namespace {

struct MatMulPush {
  uint32_t m, n, k;
  uint32_t tiles_m, tiles_n, batches;
  uint32_t a_row, a_col;
  uint32_t b_row, b_col;
  uint32_t c_row, c_col;
  uint32_t dim1, dim2;
  uint32_t a_s[3], b_s[3], c_s[3];
  float alpha, beta;
  uint32_t has_c;
  int32_t kind;
  float act_alpha, act_beta;
  uint32_t weight_group;  // int4 group size of a quantized B
  float act_scale;        // w8a8: activation scale of A (0 otherwise)
  float act_inverse;      // w8a8: its float32 reciprocal
};
static_assert(sizeof(MatMulPush) == 128, "must match the push block of matmul.comp");

struct MatVecPush {
  uint32_t rows, n, k;
  float alpha, beta;
  uint32_t has_c;
  int32_t kind;
  float act_alpha, act_beta;
  uint32_t weight_group;
  uint32_t chunked;
  float act_scale, act_inverse;
};
static_assert(sizeof(MatVecPush) == 52, "must match the push blocks of matvec.comp and matvec_q.comp");

constexpr WeightVariants kTiledVariants{ShaderId::matmul,     ShaderId::matmul_f16,  ShaderId::matmul_i8,
                                        ShaderId::matmul_i4,  ShaderId::matmul_i4a, ShaderId::matmul_mxfp8,
                                        ShaderId::matmul_w8a8, ShaderId::matmul_w8a8_dot, ShaderId::matmul_i8g};
constexpr WeightVariants kVectorVariants{ShaderId::matvec,       ShaderId::matvec_q_f16,
                                         ShaderId::matvec_q_i8,  ShaderId::matvec_q_i4,
                                         ShaderId::matvec_q_i4a, ShaderId::matvec_q_mxfp8,
                                         ShaderId::matvec_q_w8a8, ShaderId::matvec_q_w8a8_dot,
                                         ShaderId::matvec_q_i8g};
// matvec_q with a subgroup per column (FENNEC_SUBGROUP), for float
// activations; w8a8 keeps the shared-memory kernels.
constexpr WeightVariants kVectorSubgroupVariants{ShaderId::matvec,          ShaderId::matvec_q_f16_sg,
                                                 ShaderId::matvec_q_i8_sg,  ShaderId::matvec_q_i4_sg,
                                                 ShaderId::matvec_q_i4a_sg, ShaderId::matvec_q_mxfp8_sg,
                                                 ShaderId::matvec_q_w8a8,   ShaderId::matvec_q_w8a8_dot,
                                                 ShaderId::matvec_q_i8g_sg};
// matvec_q with an invocation per column (FENNEC_LANE_COLUMNS), for CPU devices.
constexpr WeightVariants kVectorLaneVariants{ShaderId::matvec,            ShaderId::matvec_q_f16_lane,
                                             ShaderId::matvec_q_i8_lane,  ShaderId::matvec_q_i4_lane,
                                             ShaderId::matvec_q_i4a_lane, ShaderId::matvec_q_mxfp8_lane,
                                             ShaderId::matvec_q_w8a8,     ShaderId::matvec_q_w8a8_dot,
                                             ShaderId::matvec_q_i8g_lane};
// Columns per invocation of the lane variants (kLaneColumns in matvec_q.comp).
constexpr int64_t kMatVecLaneColumns = 8;
// Columns per workgroup of the subgroup variants (kSubgroupColumns in matvec_q.comp).
constexpr int64_t kMatVecSubgroupColumns = 8;
// Rows of A that the matrix-vector kernels handle (one vec4 of sums).
constexpr int64_t kMaxVectorRows = 4;

// The output block of one workgroup of matmul.comp (32x32 by 64 lanes).
constexpr uint64_t kTile = 32;
static_assert(kDefaultWorkgroupSize == 64, "matmul.comp maps 64 lanes onto an 8x8 grid");
// Batch axes the shader addresses after merging (MatMulPush::dim1, dim2).
constexpr size_t kMaxBatchAxes = 3;

bool fits_u32(int64_t v) { return v >= 0 && v <= std::numeric_limits<uint32_t>::max(); }

// The fields of Y = act(alpha * A @ B + beta * C) that the tiled and the
// matrix-vector pushes share.
template <typename Push>
void set_epilogue_push(Push& push, const ops::MatMulParams& p, bool has_c) {
  push.alpha = p.alpha;
  push.beta = p.beta;
  push.has_c = has_c ? 1 : 0;
  push.kind = static_cast<int32_t>(p.activation.kind);
  push.act_alpha = p.activation.alpha;
  push.act_beta = p.activation.beta;
}

// The matrix-vector path: A is at most four contiguous rows of K values (its
// batch axes fold into the rows, since B has none), B is a rank-2 matrix that
// is quantized (rows = N) or a plain untransposed [K, N], and C is absent or
// one bias per output column. On CPU devices, a quantized B in whole blocks
// of 32 takes any number of rows here (the lane kernels run a row per
// invocation). Records it and sets `taken`; leaves everything else to the
// tiled kernel.
Status record_matvec(const ops::MatMulParams& p, const ops::MatMulDims& d, Recorder& recorder,
                     std::span<const TensorBinding> inputs, std::span<const TensorBinding> outputs,
                     bool& taken) {
  taken = false;
  const TensorBinding& b = inputs[1];
  const bool has_c = inputs.size() > 2 && inputs[2].slice.valid();
  const int64_t rows = element_count(outputs[0].shape) / std::max<int64_t>(d.n, 1);
  const quant::WeightFormat format = b.quant.format;
  // 2: whole 16-byte aligned blocks of 32 (matvec_q.comp), 1: chunks of 8.
  const bool grouped = quant::grouped_format(format);
  const uint32_t chunked = d.k % 32 == 0 && (!grouped || b.quant.group_size % 32 == 0) ? 2
                           : !grouped || b.quant.group_size % 8 == 0                    ? 1
                                                                                        : 0;
  // matvec: an invocation per column; matvec_q: a workgroup per column, a
  // subgroup per column and kMatVecSubgroupColumns columns per workgroup,
  // or (CPU devices) kMatVecLaneColumns columns per invocation.
  const bool float_acts = b.quant.quantized() && !b.quant.int8_activations();
  const bool lanes = float_acts && recorder.cpu_device();
  const bool subgroups = float_acts && !lanes && recorder.subgroup_arithmetic();
  const bool row_per_lane = lanes && chunked == 2;
  const bool b_ok = b.shape.size() == 2 && !d.b_vector && (b.quant.quantized() || !p.transpose_b);
  const bool a_ok = !p.transpose_a && d.b_batch.empty() && d.batch == d.a_batch;
  const bool c_ok = !has_c || (element_count(inputs[2].shape) == d.n && !inputs[2].shape.empty() &&
                               inputs[2].shape.back() == d.n);
  if (!b_ok || !a_ok || !c_ok || rows < 1 || (rows > kMaxVectorRows && !row_per_lane) || d.k < 1 || d.n < 1 ||
      !fits_u32(element_count(b.shape)) || !fits_u32(element_count(outputs[0].shape)))
    return ok_status();
  taken = true;
  MatVecPush push{};
  push.rows = static_cast<uint32_t>(rows);
  push.n = static_cast<uint32_t>(d.n);
  push.k = static_cast<uint32_t>(d.k);
  set_epilogue_push(push, p, has_c);
  set_weight_push(push, b.quant);
  push.chunked = chunked;
  const BufferSlice c = has_c ? inputs[2].slice : recorder.dummy_buffer();
  const WeightVariants& variants = lanes ? kVectorLaneVariants : subgroups ? kVectorSubgroupVariants : kVectorVariants;
  const auto lane_groups = static_cast<uint64_t>((d.n + kMatVecLaneColumns - 1) / kMatVecLaneColumns);
  const uint64_t invocations =
      !b.quant.quantized() ? static_cast<uint64_t>(d.n)
      : lanes     ? lane_groups * (row_per_lane ? static_cast<uint64_t>(rows) : 1)
      : subgroups ? static_cast<uint64_t>((d.n + kMatVecSubgroupColumns - 1) / kMatVecSubgroupColumns) *
                        kDefaultWorkgroupSize
                  : static_cast<uint64_t>(d.n) * kDefaultWorkgroupSize;
  return recorder.dispatch(variants.pick(b.quant, recorder.integer_dot_product()),
                           {inputs[0].slice, b.slice, c, outputs[0].slice}, push, invocations);
}

}  // namespace

Status record_matmul(const ops::Op& op, Recorder& recorder, std::span<const TensorBinding> inputs,
                     std::span<const TensorBinding> outputs) {
  const auto& mm = static_cast<const ops::MatMulOp&>(op);
  const ops::MatMulParams& p = mm.params();
  const Shape& as = inputs[0].shape;
  const Shape& bs = inputs[1].shape;
  const Shape& ys = outputs[0].shape;
  const bool has_c = inputs.size() > 2 && inputs[2].slice.valid();
  FENNEC_ASSIGN_OR_RETURN(ops::MatMulDims d, mm.dims(as, bs));
  const int64_t m = d.m, k = d.k, n = d.n;
  if (element_count(ys) == 0) return ok_status();  // an empty output
  bool vector_path = false;
  FENNEC_RETURN_IF_ERROR(record_matvec(p, d, recorder, inputs, outputs, vector_path));
  if (vector_path) return ok_status();

  MatMulPush push{};
  push.m = static_cast<uint32_t>(m);
  push.n = static_cast<uint32_t>(n);
  push.k = static_cast<uint32_t>(k);
  push.a_row = static_cast<uint32_t>(d.a_vector ? 0 : (p.transpose_a ? 1 : k));
  push.a_col = static_cast<uint32_t>(d.a_vector ? 1 : (p.transpose_a ? m : 1));
  push.b_row = static_cast<uint32_t>(d.b_vector ? 1 : (p.transpose_b ? 1 : n));
  push.b_col = static_cast<uint32_t>(d.b_vector ? 0 : (p.transpose_b ? k : 1));

  // C right-aligned against Y as [batch..., M, N], as in the reference.
  Shape c_batch;
  int64_t c_matrix = 1;
  if (has_c) {
    Shape full = inputs[2].shape;
    if (d.b_vector) full.push_back(1);
    if (d.a_vector && !full.empty()) full.insert(full.end() - 1, 1);
    while (full.size() < 2) full.insert(full.begin(), 1);
    const int64_t cm = full[full.size() - 2], cn = full[full.size() - 1];
    push.c_col = cn == 1 ? 0 : 1;
    push.c_row = static_cast<uint32_t>(cm == 1 ? 0 : cn);
    c_matrix = cm * cn;
    c_batch.assign(full.begin(), full.end() - 2);
  }
  const Shape batches[] = {d.a_batch, d.b_batch, c_batch};
  const int64_t sizes[] = {m * k, k * n, c_matrix};
  const ops::BatchLayout layout = ops::make_batch_layout(d.batch, batches, sizes);
  if (layout.dims.size() > kMaxBatchAxes)
    return make_error(StatusCode::kUnsupported,
                      "MATMUL kernel: {} and {} broadcast over {} separate batch axes; at most {} "
                      "are supported (reshape the operands to merge batch axes)",
                      shape_to_string(as), shape_to_string(bs), layout.dims.size(), kMaxBatchAxes);
  // Pad the merged axes to three on the left with size-1 axes.
  const size_t pad = kMaxBatchAxes - layout.dims.size();
  uint32_t dims[kMaxBatchAxes] = {1, 1, 1};
  for (size_t i = 0; i < layout.dims.size(); ++i) {
    dims[pad + i] = static_cast<uint32_t>(layout.dims[i]);
    push.a_s[pad + i] = static_cast<uint32_t>(layout.strides[0][i]);
    push.b_s[pad + i] = static_cast<uint32_t>(layout.strides[1][i]);
    push.c_s[pad + i] = static_cast<uint32_t>(layout.strides[2][i]);
  }
  push.dim1 = dims[1];
  push.dim2 = dims[2];

  const int64_t batch_count = layout.count();
  const uint64_t tiles_m = (static_cast<uint64_t>(m) + kTile - 1) / kTile;
  const uint64_t tiles_n = (static_cast<uint64_t>(n) + kTile - 1) / kTile;
  const uint64_t groups = static_cast<uint64_t>(batch_count) * tiles_m * tiles_n;
  // The shader indexes with 32-bit integers.
  if (!fits_u32(element_count(as)) || !fits_u32(element_count(bs)) || !fits_u32(element_count(ys)) ||
      (has_c && !fits_u32(element_count(inputs[2].shape))) ||
      groups > std::numeric_limits<uint32_t>::max())
    return make_error(StatusCode::kUnsupported,
                      "MATMUL kernel: {} @ {} -> {} exceeds 32-bit indexing; split the batch",
                      shape_to_string(as), shape_to_string(bs), shape_to_string(ys));
  if (groups == 0) return ok_status();  // an empty output
  push.batches = static_cast<uint32_t>(batch_count);
  push.tiles_m = static_cast<uint32_t>(tiles_m);
  push.tiles_n = static_cast<uint32_t>(tiles_n);
  set_epilogue_push(push, p, has_c);
  set_weight_push(push, inputs[1].quant);

  const BufferSlice c = has_c ? inputs[2].slice : recorder.dummy_buffer();
  return recorder.dispatch(kTiledVariants.pick(inputs[1].quant, recorder.integer_dot_product()),
                           {inputs[0].slice, inputs[1].slice, c, outputs[0].slice}, push,
                           groups * kDefaultWorkgroupSize);
}

}  // namespace fennec::vulkan
