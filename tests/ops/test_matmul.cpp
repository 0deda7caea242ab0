// MATMUL: shape rules (rank-1 operands, transposes, batch broadcasting,
// unknown dims), the reference against hand-computed values and the ONNX
// Gemm/MatMul documentation semantics, the option round trip, and the Vulkan
// kernel against the reference on odd shapes.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "common/harness.h"
#include "ops/matmul.h"

namespace fennec {
namespace {

using ops::MatMulOp;
using ops::MatMulParams;
constexpr int64_t U = kUnknownDim;

MatMulParams params(bool ta = false, bool tb = false, float alpha = 1.0f, float beta = 1.0f) {
  MatMulParams p;
  p.transpose_a = ta;
  p.transpose_b = tb;
  p.alpha = alpha;
  p.beta = beta;
  return p;
}

Result<Shape> infer(const MatMulParams& p, std::vector<Shape> inputs) {
  std::vector<Shape> out;
  FENNEC_RETURN_IF_ERROR(MatMulOp(p).infer_shapes(inputs, out));
  return out.at(0);
}

std::vector<float> values(const HostTensor& t) {
  return {t.as<float>().begin(), t.as<float>().end()};
}

std::vector<float> reference(const MatMulParams& p, const std::vector<const HostTensor*>& in) {
  auto out = ops::run_reference(MatMulOp(p), in);
  REQUIRE_MESSAGE(out.ok(), out.status().to_string());
  return values(out.value()[0]);
}

// Random A, B (and C) of the given shapes through Vulkan and the reference.
//
// The reference accumulates in double, the kernel in fp32 over K products of
// values in [-1, 1); its rounding grows like sqrt(K) times the output
// magnitude (itself ~sqrt(K)/3), so beyond K = 256 the max-abs bound is
// scaled by K/256, as in the conv tests. NMSE is relative and stays at the
// house bound.
void check_vulkan(const MatMulParams& p, const Shape& a_shape, const Shape& b_shape,
                  const Shape* c_shape = nullptr, bool constant_b = false, uint32_t seed = 1) {
  const HostTensor a = testing::random_tensor(a_shape, seed);
  const HostTensor b = testing::random_tensor(b_shape, seed + 1);
  const HostTensor c = testing::random_tensor(c_shape ? *c_shape : Shape{1}, seed + 2);
  std::vector<const HostTensor*> inputs{&a, &b};
  if (c_shape) inputs.push_back(&c);
  auto expected = ops::run_reference(MatMulOp(p), inputs);
  REQUIRE_MESSAGE(expected.ok(), expected.status().to_string());
  auto actual =
      testing::run_on_vulkan(std::make_unique<MatMulOp>(p), inputs, {false, constant_b, true});
  REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());
  const auto d = MatMulOp(p).dims(a_shape, b_shape);
  REQUIRE(d.ok());
  const double k = static_cast<double>(d.value().k);
  const auto stats = testing::compare(expected.value()[0], actual.value()[0]);
  INFO("MATMUL ", shape_to_string(a_shape), " @ ", shape_to_string(b_shape), " transA ",
       p.transpose_a, " transB ", p.transpose_b, " C ", c_shape ? shape_to_string(*c_shape) : "-",
       ": max_abs ", stats.max_abs, " nmse ", stats.nmse);
  CHECK(stats.shape_match);
  CHECK(stats.max_abs <= testing::kFp32MaxAbs * std::max(1.0, k / 256.0));
  CHECK(stats.nmse <= testing::kFp32Nmse);
}

}  // namespace

TEST_CASE("matmul: infer_shapes") {
  CHECK(infer(params(), {{2, 3}, {3, 4}}).value() == Shape{2, 4});
  CHECK(infer(params(), {{3}, {3, 4}}).value() == Shape{4});
  CHECK(infer(params(), {{2, 3}, {3}}).value() == Shape{2});
  CHECK(infer(params(), {{3}, {3}}).value() == Shape{});
  CHECK(infer(params(), {{5, 2, 3}, {3}}).value() == Shape{5, 2});
  CHECK(infer(params(), {{3}, {5, 3, 4}}).value() == Shape{5, 4});
  CHECK(infer(params(true, true), {{3, 2}, {4, 3}}).value() == Shape{2, 4});
  CHECK(infer(params(), {{2, 1, 5, 7}, {3, 7, 6}}).value() == Shape{2, 3, 5, 6});
  CHECK(infer(params(), {{U, 5, 7}, {7, 6}}).value() == Shape{U, 5, 6});
  CHECK(infer(params(), {{U, 7}, {U, U}}).value() == Shape{U, U});
  CHECK(infer(params(), {{U, 1, 5, 7}, {3, 7, 6}}).value() == Shape{U, 3, 5, 6});
  CHECK(infer(params(), {{2, 3}, {3, 4}, {4}}).value() == Shape{2, 4});
  CHECK(infer(params(), {{2, 3}, {3, 4}, {2, 1}}).value() == Shape{2, 4});

  CHECK(infer(params(), {{2, 3}, {4, 5}}).status().code() == StatusCode::kInvalidModel);
  CHECK(infer(params(), {{2, 2, 3}, {3, 3, 4}}).status().code() == StatusCode::kInvalidModel);
  CHECK(infer(params(), {{2, 3}, {3, 4}, {3, 4}}).status().code() == StatusCode::kInvalidModel);
  CHECK(infer(params(), {{}, {3, 4}}).status().code() == StatusCode::kInvalidModel);
  const Status s = infer(params(), {{2, 3}, {4, 5}}).status();
  CHECK(s.message().find("MATMUL") != std::string::npos);
}

TEST_CASE("matmul: reference against hand-computed values") {
  // [[1,2,3],[4,5,6]] @ [[1,0],[0,1],[1,1]] = [[4,5],[10,11]]
  const HostTensor a = testing::tensor({2, 3}, {1, 2, 3, 4, 5, 6});
  const HostTensor b = testing::tensor({3, 2}, {1, 0, 0, 1, 1, 1});
  CHECK(reference(params(), {&a, &b}) == std::vector<float>{4, 5, 10, 11});
  // The same through transposes: A^T stored [3,2], B^T stored [2,3].
  const HostTensor at = testing::tensor({3, 2}, {1, 4, 2, 5, 3, 6});
  const HostTensor bt = testing::tensor({2, 3}, {1, 0, 1, 0, 1, 1});
  CHECK(reference(params(true, true), {&at, &bt}) == std::vector<float>{4, 5, 10, 11});
  // Gemm: alpha * A B + beta * C with C a row broadcast over M.
  const HostTensor c = testing::tensor({2}, {100, 200});
  CHECK(reference(params(false, false, 2.0f, 0.5f), {&a, &b, &c}) ==
        std::vector<float>{58, 110, 70, 122});
  // C a column [M, 1].
  const HostTensor col = testing::tensor({2, 1}, {1, -1});
  CHECK(reference(params(), {&a, &b, &col}) == std::vector<float>{5, 6, 9, 10});
  // Rank-1 operands: row vector @ matrix, matrix @ vector, dot product.
  const HostTensor v = testing::tensor({3}, {1, -1, 2});
  CHECK(reference(params(), {&v, &b}) == std::vector<float>{3, 1});
  CHECK(reference(params(), {&a, &v}) == std::vector<float>{5, 11});
  CHECK(reference(params(), {&v, &v}) == std::vector<float>{6});
  // Batch broadcast: [2,1,1,2] @ [3,2,1] -> [2,3,1,1]; entry (i, j) = A[i] . B[j].
  const HostTensor ba = testing::tensor({2, 1, 1, 2}, {1, 2, 3, 4});
  const HostTensor bb = testing::tensor({3, 2, 1}, {1, 0, 0, 1, 1, 1});
  CHECK(reference(params(), {&ba, &bb}) == std::vector<float>{1, 2, 3, 3, 4, 7});
  // Fused activation.
  MatMulParams relu = params();
  relu.activation.kind = schema::Activation::RELU;
  const HostTensor neg = testing::tensor({2, 3}, {-1, -2, -3, 4, 5, 6});
  CHECK(reference(relu, {&neg, &b}) == std::vector<float>{0, 0, 10, 11});
}

TEST_CASE("matmul: options round-trip") {
  MatMulParams p = params(true, false, 0.5f, 2.0f);
  p.activation.kind = schema::Activation::CLIP;
  p.activation.alpha = -1.0f;
  p.activation.beta = 1.0f;
  MatMulOp op(p);
  flatbuffers::FlatBufferBuilder fbb;
  auto [type, options] = op.write_options(fbb);
  fbb.Finish(schema::CreateOperator(fbb, schema::OpType::MATMUL, 0, 0, 0, type, options));
  auto made = ops::make_op(*flatbuffers::GetRoot<schema::Operator>(fbb.GetBufferPointer()));
  REQUIRE(made.ok());
  auto& back = static_cast<MatMulOp&>(*made.value());
  CHECK(back.params().transpose_a);
  CHECK(!back.params().transpose_b);
  CHECK(back.params().alpha == 0.5f);
  CHECK(back.params().beta == 2.0f);
  CHECK(back.params().activation.kind == schema::Activation::CLIP);
  CHECK(back.fused_activation() != nullptr);
  CHECK(op.describe() == "transA alpha=0.5 beta=2 +Clip(-1, 1)");
}

TEST_CASE("matmul: vulkan matches reference") {
  check_vulkan(params(), {1, 1}, {1, 1});
  check_vulkan(params(), {1, 1, 1}, {1, 1, 1});
  check_vulkan(params(), {1, 13}, {13, 127}, nullptr, true);
  check_vulkan(params(), {13, 127}, {127, 13});
  check_vulkan(params(), {127, 4099}, {4099, 33}, nullptr, true);
  check_vulkan(params(), {1, 4099}, {4099, 127}, nullptr, true);
  check_vulkan(params(), {65, 33}, {33, 97});
  check_vulkan(params(), {2, 1, 5, 7}, {3, 7, 6});
  check_vulkan(params(), {4, 3, 5, 7}, {7, 6}, nullptr, true);
  check_vulkan(params(), {5, 7}, {2, 3, 7, 6});
  check_vulkan(params(), {2, 3, 4, 5, 7}, {2, 1, 4, 7, 6});  // three batch axes, one broadcast
  check_vulkan(params(), {13}, {13, 40});
  check_vulkan(params(), {3, 40, 13}, {13});
  check_vulkan(params(), {13}, {13});
  check_vulkan(params(), {13}, {2, 13, 3});
  check_vulkan(params(true, false), {37, 45}, {37, 29});
  check_vulkan(params(false, true), {45, 37}, {29, 37}, nullptr, true);
  check_vulkan(params(true, true), {2, 37, 45}, {29, 37});

  const Shape row{29}, column{45, 1}, full{45, 29}, scalar{}, batched{3, 1, 29};
  check_vulkan(params(false, false, 0.5f, 2.0f), {45, 37}, {37, 29}, &row, true);
  check_vulkan(params(false, true, 1.0f, -1.0f), {45, 37}, {29, 37}, &column, true);
  check_vulkan(params(true, false, 3.0f, 0.25f), {37, 45}, {37, 29}, &full);
  check_vulkan(params(false, false, 1.0f, 1.0f), {45, 37}, {37, 29}, &scalar);
  check_vulkan(params(), {3, 45, 37}, {37, 29}, &batched);
  const Shape vec_bias{40};
  check_vulkan(params(), {13}, {13, 40}, &vec_bias);

  MatMulParams clip = params(false, false, 1.0f, 1.0f);
  clip.activation.kind = schema::Activation::CLIP;
  clip.activation.alpha = -0.5f;
  clip.activation.beta = 0.5f;
  const Shape row23{23};
  check_vulkan(clip, {17, 19}, {19, 23}, &row23);
}

}  // namespace fennec
