// ATTENTION: shape rules, the reference against hand-computed values (uniform
// and one-hot scores, masks), the option round trip, and the Vulkan kernel
// against the reference with S != T, D != Dv, broadcast batch axes, masks
// and rows longer than one 64-row block.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "common/harness.h"
#include "ops/attention.h"

namespace fennec {
namespace {

using ops::AttentionOp;
constexpr int64_t U = kUnknownDim;

std::vector<float> reference(float scale, const std::vector<const HostTensor*>& in) {
  auto out = ops::run_reference(AttentionOp(scale), in);
  REQUIRE_MESSAGE(out.ok(), out.status().to_string());
  auto v = out.value()[0].as<float>();
  return {v.begin(), v.end()};
}

Result<Shape> infer(std::vector<Shape> inputs) {
  std::vector<Shape> out;
  FENNEC_RETURN_IF_ERROR(AttentionOp(1.0f).infer_shapes(inputs, out));
  return out.at(0);
}

// Scores are sums of D products of values in [-1, 1) scaled by 1/sqrt(D), so
// the softmax and the weighted sum of V stay well inside the fp32 bounds.
void check_vulkan(const Shape& q, const Shape& k, const Shape& v, const Shape* mask = nullptr,
                  uint32_t seed = 7) {
  const HostTensor qt = testing::random_tensor(q, seed);
  const HostTensor kt = testing::random_tensor(k, seed + 1);
  const HostTensor vt = testing::random_tensor(v, seed + 2);
  const HostTensor mt = testing::random_tensor(mask ? *mask : Shape{1}, seed + 3, -2.0f, 0.0f);
  std::vector<const HostTensor*> inputs{&qt, &kt, &vt};
  if (mask) inputs.push_back(&mt);
  const float scale = 1.0f / std::sqrt(static_cast<float>(q.back()));
  auto expected = ops::run_reference(AttentionOp(scale), inputs);
  REQUIRE_MESSAGE(expected.ok(), expected.status().to_string());
  auto actual = testing::run_on_vulkan(std::make_unique<AttentionOp>(scale), inputs,
                                       {false, true, true, true});
  REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());
  const auto stats = testing::compare(expected.value()[0], actual.value()[0]);
  INFO("ATTENTION Q ", shape_to_string(q), " K ", shape_to_string(k), " V ", shape_to_string(v),
       " mask ", mask ? shape_to_string(*mask) : "-", ": max_abs ", stats.max_abs, " nmse ",
       stats.nmse);
  CHECK(stats.shape_match);
  CHECK(stats.max_abs <= testing::kFp32MaxAbs);
  CHECK(stats.nmse <= testing::kFp32Nmse);
}

}  // namespace

TEST_CASE("attention: infer_shapes") {
  CHECK(infer({{2, 5, 8}, {2, 7, 8}, {2, 7, 3}}).value() == Shape{2, 5, 3});
  CHECK(infer({{5, 8}, {7, 8}, {7, 3}, {7}}).value() == Shape{5, 3});
  CHECK(infer({{2, 4, 5, 8}, {2, 1, 7, 8}, {1, 4, 7, 3}, {5, 7}}).value() == Shape{2, 4, 5, 3});
  CHECK(infer({{U, 5, 8}, {U, U, 8}, {U, U, 3}, {U, 5, U}}).value() == Shape{U, 5, 3});
  CHECK(infer({{2, 5, 8}, {2, 7, 6}, {2, 7, 3}}).status().code() == StatusCode::kInvalidModel);
  CHECK(infer({{2, 5, 8}, {2, 7, 8}, {2, 6, 3}}).status().code() == StatusCode::kInvalidModel);
  CHECK(infer({{5, 8}, {7, 8}, {7, 3}, {4, 7}}).status().code() == StatusCode::kInvalidModel);
  CHECK(infer({{8}, {7, 8}, {7, 3}}).status().code() == StatusCode::kInvalidModel);
}

TEST_CASE("attention: reference against hand-computed values") {
  // Zero queries: uniform weights, so each output row is the mean of V's rows.
  const HostTensor q = testing::tensor({2, 2}, {0, 0, 0, 0});
  const HostTensor k = testing::tensor({3, 2}, {1, 2, 3, 4, 5, 6});
  const HostTensor v = testing::tensor({3, 1}, {3, 6, 9});
  CHECK(reference(1.0f, {&q, &k, &v}) == std::vector<float>{6, 6});
  // A mask of -inf on all but one key selects that key's value row.
  const float inf = std::numeric_limits<float>::infinity();
  const HostTensor mask = testing::tensor({2, 3}, {-inf, 0, -inf, -inf, -inf, 0});
  CHECK(reference(1.0f, {&q, &k, &v, &mask}) == std::vector<float>{6, 9});
  // Two keys with scores ln(3) apart: weights 3/4 and 1/4.
  const HostTensor q1 = testing::tensor({1, 1}, {1});
  const HostTensor k1 = testing::tensor({2, 1}, {std::log(3.0f), 0});
  const HostTensor v1 = testing::tensor({2, 2}, {4, 0, 0, 8});
  const std::vector<float> y = reference(1.0f, {&q1, &k1, &v1});
  CHECK(y[0] == doctest::Approx(3.0f));
  CHECK(y[1] == doctest::Approx(2.0f));
  // scale multiplies the scores before the mask: scale 0 gives uniform weights.
  CHECK(reference(0.0f, {&q1, &k1, &v1}) == std::vector<float>{2, 4});
  // A fully masked row gives zeros.
  const HostTensor all = testing::tensor({1, 2}, {-inf, -inf});
  CHECK(reference(1.0f, {&q1, &k1, &v1, &all}) == std::vector<float>{0, 0});
}

TEST_CASE("attention: options round-trip") {
  AttentionOp op(0.125f);
  flatbuffers::FlatBufferBuilder fbb;
  auto [type, options] = op.write_options(fbb);
  fbb.Finish(schema::CreateOperator(fbb, schema::OpType::ATTENTION, 0, 0, 0, type, options));
  auto made = ops::make_op(*flatbuffers::GetRoot<schema::Operator>(fbb.GetBufferPointer()));
  REQUIRE(made.ok());
  CHECK(static_cast<const AttentionOp&>(*made.value()).scale() == 0.125f);
}

TEST_CASE("attention: vulkan matches reference") {
  check_vulkan({1, 1}, {1, 1}, {1, 1});
  check_vulkan({13, 8}, {127, 8}, {127, 5});
  check_vulkan({2, 3, 7, 16}, {2, 3, 13, 16}, {2, 3, 13, 33});
  check_vulkan({2, 4, 5, 12}, {2, 1, 65, 12}, {2, 1, 65, 300});  // shared K/V heads, 2 chunks
  const Shape square{5, 5}, row{70}, per_head{2, 3, 1, 70};
  check_vulkan({2, 3, 5, 8}, {2, 3, 5, 8}, {2, 3, 5, 8}, &square);
  check_vulkan({3, 1, 16}, {3, 70, 16}, {3, 70, 7}, &row);
  check_vulkan({2, 3, 4, 16}, {2, 3, 70, 16}, {2, 3, 70, 9}, &per_head);
  check_vulkan({1, 4099}, {129, 4099}, {129, 3});
}

}  // namespace fennec
