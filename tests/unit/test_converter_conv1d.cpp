// 1-D Conv imports as reshape -> 2-D conv -> reshape and computes the 1-D
// convolution (checked against a direct loop here).
#include <doctest/doctest.h>

#include "onnx/importer.h"
#include "unit/test_converter_helpers.h"

namespace fennec {

TEST_CASE("converter import: 1-D Conv with stride, dilation, pads and groups") {
  using converter_test::OnnxBuilder;
  const int64_t n = 2, c = 4, l = 23, o = 6, k = 5, group = 2, stride = 2, dilation = 2;
  const int64_t pad0 = 3, pad1 = 1;
  const int64_t out_l = (l + pad0 + pad1 - dilation * (k - 1) - 1) / stride + 1;
  const auto w = converter_test::random_values(static_cast<size_t>(o * (c / group) * k), 5);
  const auto bias = converter_test::random_values(static_cast<size_t>(o), 6);
  OnnxBuilder b(13);
  b.input("x", {-1, c, -1}, {"N", "", "L"});
  b.initializer("w", {o, c / group, k}, w);
  b.initializer("b", {o}, bias);
  onnx::NodeProto& conv = b.node("Conv", {"x", "w", "b"}, {"y"}, "conv1d");
  OnnxBuilder::attr(conv, "strides", std::vector<int64_t>{stride});
  OnnxBuilder::attr(conv, "dilations", std::vector<int64_t>{dilation});
  OnnxBuilder::attr(conv, "pads", std::vector<int64_t>{pad0, pad1});
  OnnxBuilder::attr(conv, "group", group);
  b.output("y", {-1, o, -1}, {"N", "", "L2"});
  auto result = onnx_import::import_model(b.model());

  const HostTensor x = converter_test::random_tensor({n, c, l}, 7);
  const HostTensor y = converter_test::run_graph(result.graph, {{"x", x}}).at("y");
  REQUIRE(y.shape == Shape{n, o, out_l});
  const auto xv = x.as<float>();
  const auto yv = y.as<float>();
  const int64_t per_group_in = c / group, per_group_out = o / group;
  double worst = 0.0;
  for (int64_t b_ = 0; b_ < n; ++b_)
    for (int64_t oc = 0; oc < o; ++oc)
      for (int64_t t = 0; t < out_l; ++t) {
        double sum = bias[static_cast<size_t>(oc)];
        const int64_t g = oc / per_group_out;
        for (int64_t ic = 0; ic < per_group_in; ++ic)
          for (int64_t j = 0; j < k; ++j) {
            const int64_t pos = t * stride - pad0 + j * dilation;
            if (pos < 0 || pos >= l) continue;
            sum += static_cast<double>(w[static_cast<size_t>((oc * per_group_in + ic) * k + j)]) *
                   xv[static_cast<size_t>((b_ * c + g * per_group_in + ic) * l + pos)];
          }
        worst = std::max(worst, std::abs(sum - yv[static_cast<size_t>((b_ * o + oc) * out_l + t)]));
      }
  CHECK(worst < 1e-5);
}

}  // namespace fennec
