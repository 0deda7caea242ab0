#include "common/harness.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "graph/graph.h"
#include "ops/cast.h"
#include "vulkan/context.h"
#include "vulkan/session.h"

namespace fennec::testing {
namespace {

std::unique_ptr<vulkan::Context> create_context(bool integer_dot_product) {
  vulkan::ContextOptions options;
  options.integer_dot_product = integer_dot_product;
  auto created = vulkan::Context::create(options);
  if (!created.ok()) {
    std::fprintf(stderr, "cannot create the Vulkan context: %s\n", created.status().to_string().c_str());
    std::abort();
  }
  return std::move(created).value();
}

vulkan::Context& shared_context() {
  static std::unique_ptr<vulkan::Context> context = create_context(true);
  return *context;
}

vulkan::Context& plain_integer_context() {
  static std::unique_ptr<vulkan::Context> context = create_context(false);
  return *context;
}

}  // namespace

bool device_has_integer_dot_product() { return shared_context().caps().integer_dot_product; }

Result<std::vector<HostTensor>> run_on_vulkan(std::unique_ptr<ops::Op> op,
                                              const std::vector<const HostTensor*>& inputs,
                                              const std::vector<bool>& constant,
                                              const std::vector<quant::WeightQuant>& quant,
                                              bool integer_dot_product) {
  graph::Graph g;
  graph::Node node;
  node.name = std::string("test_") + op->type_name();
  std::vector<vulkan::InputView> feeds;
  std::vector<Shape> in_shapes;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const HostTensor* t = inputs[i];
    in_shapes.push_back(t ? t->shape : Shape{});
    if (!t) {
      node.inputs.push_back(-1);
      continue;
    }
    if (i < constant.size() && constant[i]) {
      const int index = g.add_constant("const" + std::to_string(i), *t);
      if (i < quant.size() && quant[i].quantized())
        g.set_quantized_constant(index, quant[i], quant::encode_weight(quant[i], t->shape, t->as<float>()));
      node.inputs.push_back(index);
      continue;
    }
    graph::TensorInfo info;
    info.name = "input" + std::to_string(i);
    info.dtype = t->dtype;
    info.shape = t->shape;
    info.dim_symbols.assign(t->shape.size(), "");
    const int index = g.add_tensor(std::move(info));
    g.inputs.push_back(index);
    node.inputs.push_back(index);
    feeds.push_back({t->dtype, t->shape, t->bytes.data(), t->bytes.size()});
  }
  std::vector<Shape> out_shapes;
  FENNEC_RETURN_IF_ERROR(op->infer_shapes(in_shapes, out_shapes));
  // A FLOAT16 input makes the node one with binary16 activations; a CAST
  // writes its target dtype.
  DataType out_dtype = DataType::FLOAT32;
  for (const HostTensor* t : inputs)
    if (t && t->dtype == DataType::FLOAT16) out_dtype = DataType::FLOAT16;
  if (op->type() == ops::OpType::CAST) out_dtype = static_cast<const ops::CastOp&>(*op).to();
  for (size_t o = 0; o < out_shapes.size(); ++o) {
    graph::TensorInfo info;
    info.name = "output" + std::to_string(o);
    info.dtype = out_dtype;
    info.shape = out_shapes[o];
    info.dim_symbols.assign(out_shapes[o].size(), "");
    const int index = g.add_tensor(std::move(info));
    node.outputs.push_back(index);
    g.outputs.push_back(index);
  }
  node.op = std::move(op);
  g.nodes.push_back(std::move(node));
  FENNEC_RETURN_IF_ERROR(g.validate());
  FENNEC_ASSIGN_OR_RETURN(auto session, vulkan::Session::create(
                                            integer_dot_product ? shared_context() : plain_integer_context(), g, {}));
  FENNEC_RETURN_IF_ERROR(session->run(feeds));
  return session->outputs();
}

HostTensor dequantized(const HostTensor& t, const quant::WeightQuant& quant) {
  HostTensor out = t;
  const std::vector<float> values =
      quant::decode_weight(quant, t.shape, quant::encode_weight(quant, t.shape, t.as<float>()));
  std::copy(values.begin(), values.end(), out.as<float>().begin());
  return out;
}

HostTensor tensor(const Shape& shape, const std::vector<float>& values) {
  HostTensor t(DataType::FLOAT32, shape);
  REQUIRE(static_cast<size_t>(t.elements()) == values.size());
  std::copy(values.begin(), values.end(), t.as<float>().begin());
  return t;
}

HostTensor random_tensor(const Shape& shape, uint32_t seed, float lo, float hi) {
  HostTensor t(DataType::FLOAT32, shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (float& v : t.as<float>()) v = dist(rng);
  return t;
}

ErrorStats compare(const HostTensor& expected_in, const HostTensor& actual_in) {
  // FLOAT16 tensors compare by the float32 values they hold.
  const HostTensor expected = convert_dtype(expected_in, DataType::FLOAT32).value();
  const HostTensor actual = convert_dtype(actual_in, DataType::FLOAT32).value();
  ErrorStats stats;
  stats.shape_match = expected.shape == actual.shape && expected.bytes.size() == actual.bytes.size();
  if (!stats.shape_match) {
    stats.max_abs = INFINITY;
    stats.nmse = INFINITY;
    return stats;
  }
  auto e = expected.as<float>();
  auto a = actual.as<float>();
  double err = 0.0, ref = 0.0;
  for (size_t i = 0; i < e.size(); ++i) {
    const double d = static_cast<double>(e[i]) - static_cast<double>(a[i]);
    if (std::isnan(d)) {
      stats.max_abs = INFINITY;
      continue;
    }
    stats.max_abs = std::max(stats.max_abs, std::fabs(d));
    err += d * d;
    ref += static_cast<double>(e[i]) * e[i];
  }
  stats.nmse = ref > 0 ? err / ref : (err > 0 ? INFINITY : 0.0);
  return stats;
}

}  // namespace fennec::testing
