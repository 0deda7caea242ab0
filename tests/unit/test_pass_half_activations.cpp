// The fp16 activation pass: which nodes store binary16 activations, the
// CASTs at the graph's inputs and outputs and around nodes kept in float32,
// the calibration range guard, and the output against fp32 on the device.
#include <doctest/doctest.h>

#include "graph/activation_storage.h"
#include "onnx/importer.h"
#include "passes/half_activations.h"
#include "passes/pipeline.h"
#include "test_converter_helpers.h"
#include "writer/writer.h"

namespace fennec {
namespace {

using converter_test::OnnxBuilder;
using converter_test::random_values;
using converter_test::tensor_named;

// x[1,3,16,16] -> Conv (stem) -> Add a [1,8,16,16] constant -> a (also a
// graph output) -> Sigmoid -> Conv (body) -> GlobalAveragePool -> y.
graph::Graph model() {
  OnnxBuilder b(13);
  b.input("x", {1, 3, 16, 16});
  b.initializer("w_stem", {8, 3, 3, 3}, random_values(8 * 27, 1));
  b.initializer("k", {1, 8, 16, 16}, random_values(8 * 256, 2));
  b.initializer("w_body", {4, 8, 3, 3}, random_values(4 * 72, 3));
  auto& stem = b.node("Conv", {"x", "w_stem"}, {"s"}, "stem");
  OnnxBuilder::attr(stem, "pads", std::vector<int64_t>{1, 1, 1, 1});
  b.node("Add", {"s", "k"}, {"a"}, "add");
  b.node("Sigmoid", {"a"}, {"g"}, "sigmoid");
  b.node("Conv", {"g", "w_body"}, {"c"}, "body");
  b.node("GlobalAveragePool", {"c"}, {"y"}, "gap");
  b.output("y");
  b.output("a");
  graph::Graph g = onnx_import::import_model(b.model()).graph;
  passes::run_passes(g);
  return g;
}


const graph::Node& node(const graph::Graph& g, const std::string& name) {
  for (const graph::Node& n : g.nodes)
    if (n.name == name) return n;
  FAIL("no node " << name);
  return g.nodes.front();
}

std::vector<passes::CalibrationSample> samples() {
  std::vector<passes::CalibrationSample> s;
  for (uint32_t seed : {31u, 32u}) s.push_back({converter_test::random_tensor({1, 3, 16, 16}, seed)});
  return s;
}

}  // namespace

TEST_CASE("pass fp16 activations: binary16 between nodes, float32 at the graph's edges and around kept nodes") {
  graph::Graph g = model();
  const size_t nodes = g.nodes.size();
  const passes::HalfActivationReport report = passes::store_activations_fp16(g, {{"body"}, {}});
  CHECK_FALSE(report.ranges_checked);
  // stem, add, sigmoid and gap store binary16; body is kept.
  CHECK(report.half_nodes == nodes - 1);
  REQUIRE(report.kept.size() == 1);
  CHECK(report.kept[0].node == "body");
  CHECK(report.kept[0].reason == "--keep-fp32");
  // x, read by stem only, becomes FLOAT16. Casts: a's fp16 value to the
  // float32 graph output "a"; the sigmoid's output to fp32 for body; body's
  // output to fp16 for gap; gap's output to the graph output y.
  CHECK(report.half_inputs == 1);
  CHECK(report.casts == 4);
  CHECK(report.constants == 1);
  CHECK(tensor_named(g, "k:fp16").dtype == DataType::FLOAT16);
  CHECK(g.find_tensor("k") < 0);  // the float32 copy is gone
  CHECK(tensor_named(g, "x").dtype == DataType::FLOAT16);
  CHECK(tensor_named(g, "y").dtype == DataType::FLOAT32);
  CHECK(tensor_named(g, "a").dtype == DataType::FLOAT32);
  CHECK(tensor_named(g, "a:fp16").dtype == DataType::FLOAT16);
  CHECK(g.tensors[static_cast<size_t>(g.outputs[1])].name == "a");
  CHECK(graph::binary16_node(g, node(g, "stem")));
  CHECK_FALSE(graph::binary16_node(g, node(g, "body")));
  REQUIRE(g.validate().ok());
  CHECK(writer::required_schema_version(g) == 6);

  // On the device, against the fp32 model's outputs.
  graph::Graph fp32 = model();
  std::vector<std::vector<HostTensor>> reference;
  passes::activation_ranges(fp32, samples(), &reference);
  const std::vector<passes::OutputError> errors = passes::output_errors(g, samples(), reference);
  REQUIRE(errors.size() == 2);
  for (const passes::OutputError& e : errors) {
    INFO(e.name, " NMSE ", e.nmse, " max |err| ", e.max_abs);
    CHECK(e.nmse > 0.0);  // binary16 rounding shows
    CHECK(e.nmse < 1e-5);
  }
  // The reference kernels agree with the device on the fp16 graph.
  const auto host = converter_test::run_graph(g, {{"x", samples()[0][0]}});
  const auto device = passes::run_capturing(g, {}, {samples()[0]});
  passes::ErrorSums sums;
  sums.add(host.at("y"), device[0][0]);
  CHECK(sums.max_abs <= 2e-3 * sums.max_ref);
}

TEST_CASE("pass fp16 activations: calibration ranges beyond binary16 keep the nodes that touch them in float32") {
  graph::Graph fp32 = model();
  std::vector<float> ranges = passes::activation_ranges(fp32, samples());
  CHECK(ranges[static_cast<size_t>(fp32.find_tensor("s"))] > 0.0f);
  CHECK(ranges[static_cast<size_t>(fp32.find_tensor("x"))] < 0.0f);  // graph inputs are not measured
  {
    graph::Graph g = model();
    const passes::HalfActivationReport plain = passes::store_activations_fp16(g, {{}, ranges});
    CHECK(plain.ranges_checked);
    CHECK(plain.kept.empty());
    CHECK(tensor_named(g, "x").dtype == DataType::FLOAT16);
    // Every activation halves; x, y and a stay float32 beside their binary16 copies.
    CHECK(plain.activation_bytes_after < plain.activation_bytes_before);
  }
  // s overflows: stem writes it, add reads it.
  ranges[static_cast<size_t>(fp32.find_tensor("s"))] = 1e6f;
  // g underflows: sigmoid writes it, body reads it.
  ranges[static_cast<size_t>(fp32.find_tensor("g"))] = 1e-5f;
  graph::Graph g = model();
  const passes::HalfActivationReport report = passes::store_activations_fp16(g, {{}, ranges});
  REQUIRE(report.kept.size() == 4);
  CHECK(report.kept[0].node == "stem");
  CHECK(report.kept[0].reason.find("'s' reaches 1e+06") != std::string::npos);
  CHECK(report.kept[1].node == "add");
  CHECK(report.kept[2].node == "sigmoid");
  CHECK(report.kept[2].reason.find("'g' stays within 1e-05") != std::string::npos);
  CHECK(report.kept[3].node == "body");
  CHECK(report.half_nodes == 1);  // gap
  CHECK(tensor_named(g, "x").dtype == DataType::FLOAT32);  // stem reads it in float32
  CHECK(graph::binary16_node(g, node(g, "gap")));
  REQUIRE(g.validate().ok());
}

}  // namespace fennec
