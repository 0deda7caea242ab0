// POOL2D: output sizes (ceil_mode and its last-window rule), the reference
// against the ONNX MaxPool/AveragePool documentation examples, the option
// round trip, and the Vulkan kernel against the reference on odd shapes with
// pads, strides, dilations, ceil_mode and count_include_pad.
#include <doctest/doctest.h>

#include <vector>

#include "common/harness.h"
#include "ops/pool2d.h"

namespace fennec {
namespace {

using ops::Pool2DOp;
using ops::Pool2DParams;
using ops::PoolKind;

Pool2DParams pool(PoolKind kind, int kernel, int stride = 1, int pad = 0, bool ceil = false,
                  bool include_pad = false, int dilation = 1) {
  Pool2DParams p;
  p.kind = kind;
  p.kernel_h = p.kernel_w = kernel;
  p.stride_h = p.stride_w = stride;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = pad;
  p.ceil_mode = ceil;
  p.count_include_pad = include_pad;
  p.dilation_h = p.dilation_w = dilation;
  return p;
}

HostTensor iota_tensor(const Shape& shape) {
  std::vector<float> v(static_cast<size_t>(element_count(shape)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i + 1);
  return testing::tensor(shape, v);
}

std::vector<float> reference(const Pool2DParams& p, const HostTensor& x) {
  auto out = ops::run_reference(Pool2DOp(p), std::vector<const HostTensor*>{&x});
  REQUIRE_MESSAGE(out.ok(), out.status().to_string());
  auto v = out.value()[0].as<float>();
  return {v.begin(), v.end()};
}

void check_vulkan(const Pool2DParams& p, const Shape& x_shape, uint32_t seed = 3) {
  const HostTensor x = testing::random_tensor(x_shape, seed, -2.0f, 2.0f);
  auto expected = ops::run_reference(Pool2DOp(p), std::vector<const HostTensor*>{&x});
  REQUIRE_MESSAGE(expected.ok(), expected.status().to_string());
  auto actual = testing::run_on_vulkan(std::make_unique<Pool2DOp>(p), {&x});
  REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());
  const auto stats = testing::compare(expected.value()[0], actual.value()[0]);
  INFO("POOL2D ", Pool2DOp(p).describe(), " on ", shape_to_string(x_shape));
  CHECK(stats.shape_match);
  CHECK(stats.max_abs <= testing::kFp32MaxAbs);
  CHECK(stats.nmse <= testing::kFp32Nmse);
}

}  // namespace

TEST_CASE("pool2d: output extents") {
  CHECK(ops::pool_output_extent(4, 3, 2, 1, 0, 0, false).value() == 1);
  CHECK(ops::pool_output_extent(4, 3, 2, 1, 0, 0, true).value() == 2);
  // ceil_mode: a window starting in the end padding is dropped.
  CHECK(ops::pool_output_extent(5, 2, 2, 1, 0, 1, true).value() == 3);
  CHECK(ops::pool_output_extent(4, 2, 2, 1, 0, 1, true).value() == 2);
  CHECK(ops::pool_output_extent(kUnknownDim, 3, 2, 1, 1, 1, false).value() == kUnknownDim);
  CHECK(ops::pool_output_extent(2, 3, 1, 2, 0, 0, false).status().code() ==
        StatusCode::kInvalidModel);
  std::vector<Shape> out;
  const Shape x[] = {{kUnknownDim, 3, 32, 17}};
  REQUIRE(Pool2DOp(pool(PoolKind::MAXIMUM, 3, 2, 1)).infer_shapes(x, out).ok());
  CHECK(out[0] == Shape{kUnknownDim, 3, 16, 9});
  const Shape bad[] = {{3, 32, 17}};
  CHECK(Pool2DOp(pool(PoolKind::MAXIMUM, 3)).infer_shapes(bad, out).code() ==
        StatusCode::kInvalidModel);
}

TEST_CASE("pool2d: reference matches the ONNX documentation examples") {
  const HostTensor x4 = iota_tensor({1, 1, 4, 4});
  // maxpool_2d_ceil / averagepool_2d_ceil: kernel 3, stride 2, ceil_mode.
  CHECK(reference(pool(PoolKind::MAXIMUM, 3, 2, 0, true), x4) ==
        std::vector<float>{11, 12, 15, 16});
  CHECK(reference(pool(PoolKind::AVERAGE, 3, 2, 0, true), x4) ==
        std::vector<float>{6, 7.5, 12, 13.5});
  // maxpool_2d_dilations: kernel 2, dilation 2.
  CHECK(reference(pool(PoolKind::MAXIMUM, 2, 1, 0, false, false, 2), x4) ==
        std::vector<float>{11, 12, 15, 16});

  const HostTensor x5 = iota_tensor({1, 1, 5, 5});
  // averagepool_2d_precomputed_pads(_count_include_pad): kernel 5, pads 2.
  const std::vector<float> exclusive = {7,  7.5, 8,  8.5, 9,  9.5, 10, 10.5, 11, 11.5, 12, 12.5, 13,
                                        13.5, 14, 14.5, 15, 15.5, 16, 16.5, 17, 17.5, 18, 18.5, 19};
  CHECK(reference(pool(PoolKind::AVERAGE, 5, 1, 2), x5) == exclusive);
  const std::vector<float> inclusive = {2.52f, 3.6f, 4.8f,  4.08f, 3.24f, 4.56f, 6.4f,
                                        8.4f,  7.04f, 5.52f, 7.2f,  10.0f, 13.0f, 10.8f,
                                        8.4f,  6.96f, 9.6f,  12.4f, 10.24f, 7.92f, 6.12f,
                                        8.4f,  10.8f, 8.88f, 6.84f};
  const std::vector<float> got = reference(pool(PoolKind::AVERAGE, 5, 1, 2, false, true), x5);
  REQUIRE(got.size() == inclusive.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(inclusive[i]));
  // maxpool_2d_precomputed_strides: kernel 2, stride 2.
  CHECK(reference(pool(PoolKind::MAXIMUM, 2, 2), x5) == std::vector<float>{7, 9, 17, 19});
  // maxpool_2d_precomputed_same_upper: kernel 3, stride 2, pads 1,1,1,1.
  CHECK(reference(pool(PoolKind::MAXIMUM, 3, 2, 1), x5) ==
        std::vector<float>{7, 9, 10, 17, 19, 20, 22, 24, 25});
}

TEST_CASE("pool2d: options round-trip") {
  Pool2DParams p = pool(PoolKind::AVERAGE, 3, 2, 1, true, true, 2);
  p.pad_right = 0;
  p.kernel_w = 2;
  Pool2DOp op(p);
  flatbuffers::FlatBufferBuilder fbb;
  auto [type, options] = op.write_options(fbb);
  fbb.Finish(schema::CreateOperator(fbb, schema::OpType::POOL2D, 0, 0, 0, type, options));
  auto made = ops::make_op(*flatbuffers::GetRoot<schema::Operator>(fbb.GetBufferPointer()));
  REQUIRE(made.ok());
  const Pool2DParams& back = static_cast<const Pool2DOp&>(*made.value()).params();
  CHECK(back.kind == PoolKind::AVERAGE);
  CHECK(back.kernel_w == 2);
  CHECK(back.pad_right == 0);
  CHECK(back.pad_bottom == 1);
  CHECK(back.dilation_h == 2);
  CHECK(back.ceil_mode);
  CHECK(back.count_include_pad);
  CHECK(op.describe() == "AVERAGE 3x2 s2x2 p1,1,1,0 d2x2 ceil count_include_pad");
}

TEST_CASE("pool2d: vulkan matches reference") {
  for (PoolKind kind : {PoolKind::MAXIMUM, PoolKind::AVERAGE}) {
    check_vulkan(pool(kind, 1), {1, 1, 1, 1});
    check_vulkan(pool(kind, 2, 2), {1, 13, 13, 13});
    check_vulkan(pool(kind, 3, 2, 1), {2, 3, 127, 13});
    check_vulkan(pool(kind, 3, 2, 1, true), {1, 5, 14, 127});
    check_vulkan(pool(kind, 3, 2, 1, true, true), {1, 5, 14, 127});
    check_vulkan(pool(kind, 3, 1, 1, false, true), {1, 4099, 1, 3});
    check_vulkan(pool(kind, 2, 3, 1, true, false, 2), {1, 2, 17, 19});
    check_vulkan(pool(kind, 3, 2, 2, true, true, 2), {1, 2, 17, 19});
    Pool2DParams asym = pool(kind, 3, 2);
    asym.kernel_w = 2;
    asym.stride_w = 1;
    asym.pad_top = 1;
    asym.pad_right = 1;
    asym.ceil_mode = true;
    check_vulkan(asym, {2, 3, 13, 8});
    asym.count_include_pad = true;
    check_vulkan(asym, {2, 3, 13, 8});
  }
}

}  // namespace fennec
