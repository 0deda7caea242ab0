// The weight quantization pass: which layers it quantizes and in which
// format, the int4 end-layer rule, --keep-fp32, shared weights, the report's
// error figures, and the file round trip (writer -> loader -> decoded values).
#include <doctest/doctest.h>

#include <filesystem>
#include <unistd.h>

#include "model/model_file.h"
#include "onnx/importer.h"
#include "passes/convert_error.h"
#include "passes/pipeline.h"
#include "passes/quantization.h"
#include "test_converter_helpers.h"
#include "writer/writer.h"

namespace fennec {
namespace {

using converter_test::OnnxBuilder;
using converter_test::random_values;
using converter_test::tensor_named;
using passes::QuantScheme;
using quant::WeightFormat;

// x[1,3,16,16] -> Conv 3x3 (stem) -> Relu -> Conv 3x3 (body) -> GlobalAveragePool
// -> Flatten -> Gemm transB (classifier [10, 24]) -> MatMul with [10, 7] (head).
graph::Graph small_model() {
  OnnxBuilder b(13);
  b.input("x", {1, 3, 16, 16});
  b.initializer("w_stem", {8, 3, 3, 3}, random_values(8 * 27, 1));
  b.initializer("w_body", {24, 8, 3, 3}, random_values(24 * 72, 2));
  b.initializer("w_fc", {10, 24}, random_values(240, 3));
  b.initializer("b_fc", {10}, random_values(10, 4));
  b.initializer("w_head", {10, 7}, random_values(70, 5));
  auto& stem = b.node("Conv", {"x", "w_stem"}, {"s"}, "stem");
  OnnxBuilder::attr(stem, "pads", std::vector<int64_t>{1, 1, 1, 1});
  b.node("Relu", {"s"}, {"r"}, "relu");
  b.node("Conv", {"r", "w_body"}, {"c"}, "body");
  b.node("GlobalAveragePool", {"c"}, {"g"}, "gap");
  b.node("Flatten", {"g"}, {"f"}, "flatten");
  auto& fc = b.node("Gemm", {"f", "w_fc", "b_fc"}, {"fc"}, "fc");
  OnnxBuilder::attr(fc, "transB", int64_t{1});
  b.node("MatMul", {"fc", "w_head"}, {"y"}, "head");
  b.output("y");
  graph::Graph g = onnx_import::import_model(b.model()).graph;
  passes::run_passes(g);
  return g;
}


std::map<std::string, HostTensor> run(const graph::Graph& g) {
  const HostTensor x = converter_test::random_tensor({1, 3, 16, 16}, 9);
  return converter_test::run_graph(g, {{"x", x}});
}

double output_nmse(const HostTensor& expected, const HostTensor& actual) {
  double err = 0.0, ref = 0.0;
  for (size_t i = 0; i < expected.as<float>().size(); ++i) {
    const double e = expected.as<float>()[i], a = actual.as<float>()[i];
    err += (e - a) * (e - a);
    ref += e * e;
  }
  return err / ref;
}

passes::QuantizeOptions options(QuantScheme scheme) {
  passes::QuantizeOptions o;
  o.scheme = scheme;
  return o;
}

}  // namespace

TEST_CASE("pass quantization: each scheme stores every CONV and MATMUL weight in its format") {
  const struct {
    QuantScheme scheme;
    WeightFormat format;
    double max_nmse;
  } cases[] = {{QuantScheme::kFp16, WeightFormat::kFloat16, 1e-6},
               {QuantScheme::kInt8, WeightFormat::kInt8, 1e-3},
               {QuantScheme::kFp8, WeightFormat::kMxFp8, 5e-3}};
  // (fp8 keeps its end layers at int8 by default; this case checks the format itself.)
  for (const auto& c : cases) {
    INFO(std::string(passes::quant_scheme_name(c.scheme)));
    graph::Graph g = small_model();
    const auto before = run(g);
    passes::QuantizeOptions o = options(c.scheme);
    o.protect_ends = false;
    const passes::QuantizeReport report = passes::quantize_weights(g, o);
    REQUIRE(report.layers.size() == 4);
    for (const passes::QuantizedLayer& l : report.layers) {
      INFO(l.node);
      CHECK(l.quant.format == c.format);
      CHECK(l.note.empty());
      CHECK(l.weight_nmse > 0.0);
      CHECK(l.weight_nmse < c.max_nmse);
      CHECK(l.bytes_after < l.bytes_before);
    }
    CHECK(tensor_named(g, "w_fc").quant.transposed == false);   // Gemm transB: already [N, K]
    CHECK(tensor_named(g, "w_head").quant.transposed == true);  // MatMul B [K, N]
    CHECK(tensor_named(g, "b_fc").is_quantized() == false);     // biases stay fp32
    CHECK(report.weights_after < report.weights_before);
    REQUIRE(g.validate().ok());

    // The reference run of the quantized graph decodes the weights; its
    // output stays close to fp32 but is not identical.
    const auto after = run(g);
    const double nmse = output_nmse(before.at("y"), after.at("y"));
    MESSAGE(std::string(passes::quant_scheme_name(c.scheme)), " output NMSE ", nmse);
    CHECK(nmse > 0.0);
    CHECK(nmse < 10.0 * c.max_nmse);
  }
}

TEST_CASE("pass quantization: int4 keeps the first and last layers at int8 unless told otherwise") {
  graph::Graph g = small_model();
  passes::QuantizeOptions o = options(QuantScheme::kInt4);
  o.group_size = 64;
  const passes::QuantizeReport report = passes::quantize_weights(g, o);
  REQUIRE(report.layers.size() == 4);
  CHECK(report.layers[0].node == "stem");
  CHECK(report.layers[0].quant.format == WeightFormat::kInt8);
  CHECK(report.layers[0].note == "int8: first layer");
  CHECK(report.layers[1].quant.format == WeightFormat::kInt4);
  CHECK(report.layers[1].quant.group_size == 64);
  CHECK(report.layers[2].quant.format == WeightFormat::kInt4);
  CHECK(report.layers[3].quant.format == WeightFormat::kInt8);
  CHECK(report.layers[3].note == "int8: last layer");

  graph::Graph all = small_model();
  o.protect_ends = false;
  o.asymmetric = true;
  for (const auto& l : passes::quantize_weights(all, o).layers) CHECK(l.quant.format == WeightFormat::kInt4Asymmetric);

  graph::Graph bad = small_model();
  o.group_size = 7;
  CHECK_THROWS_AS(passes::quantize_weights(bad, o), converter::ConvertError);
}

TEST_CASE("pass quantization: --keep-fp32 by node name and by op type") {
  graph::Graph g = small_model();
  passes::QuantizeOptions o = options(QuantScheme::kInt8);
  o.keep_fp32 = {"body", "Gemm"};  // Gemm and MatMul both import as MATMUL
  const passes::QuantizeReport report = passes::quantize_weights(g, o);
  REQUIRE(report.layers.size() == 4);
  CHECK(report.layers[0].quant.format == WeightFormat::kInt8);
  for (size_t i = 1; i < 4; ++i) {
    CHECK(report.layers[i].quant.format == WeightFormat::kFloat32);
    CHECK(report.layers[i].note == "kept fp32 (--keep-fp32)");
    CHECK(report.layers[i].bytes_after == report.layers[i].bytes_before);
  }
  CHECK_THROWS_AS(passes::parse_quant_scheme("int3"), converter::ConvertError);
  CHECK(passes::parse_quant_scheme("FP8") == QuantScheme::kFp8);
}

// x [5,1,16] -> LSTM (hidden 32: W 8 KiB, R 16 KiB, B 1 KiB) -> MatMul [32, 8];
// z [300,16] + a 19 KiB constant table.
graph::Graph lstm_model() {
  OnnxBuilder b(13);
  b.input("x", {5, 1, 16});
  b.initializer("w", {1, 128, 16}, random_values(128 * 16, 11));
  b.initializer("r", {1, 128, 32}, random_values(128 * 32, 12));
  b.initializer("bias", {1, 256}, random_values(256, 13));
  b.initializer("w_head", {32, 8}, random_values(256, 14));
  b.input("z", {300, 16});
  b.initializer("table", {300, 16}, random_values(300 * 16, 15));
  auto& lstm = b.node("LSTM", {"x", "w", "r", "bias"}, {"", "h"}, "rnn");
  OnnxBuilder::attr(lstm, "hidden_size", int64_t{32});
  b.node("MatMul", {"h", "w_head"}, {"y"}, "head");
  b.node("Add", {"z", "table"}, {"shifted"}, "shift");
  b.output("y");
  b.output("shifted");
  graph::Graph g = onnx_import::import_model(b.model()).graph;
  passes::run_passes(g);
  return g;
}

TEST_CASE("pass quantization: the report lists large weights that stay fp32 outside the quantized layers") {
  graph::Graph g = lstm_model();
  const passes::QuantizeReport report = passes::quantize_weights(g, options(QuantScheme::kInt8));
  REQUIRE(report.layers.size() == 2);
  REQUIRE(report.kept.size() == 1);
  CHECK(report.kept[0].node == "shift");
  CHECK(report.kept[0].op_type == std::string("ADD"));
  CHECK(report.kept[0].tensor == "table");
  CHECK(report.kept[0].bytes == 300 * 16 * 4);
  CHECK(report.kept[0].shape == Shape{300, 16});
  // A node the user keeps is not listed again.
  graph::Graph user = lstm_model();
  passes::QuantizeOptions o = options(QuantScheme::kInt8);
  o.keep_fp32 = {"shift"};
  CHECK(passes::quantize_weights(user, o).kept.empty());
}

TEST_CASE("pass quantization: an LSTM's W and R become one quantized matrix") {
  for (QuantScheme scheme : {QuantScheme::kFp16, QuantScheme::kInt8, QuantScheme::kInt4, QuantScheme::kFp8}) {
    const std::string name = passes::quant_scheme_name(scheme);
    CAPTURE(name);
    const graph::Graph fp32 = lstm_model();
    graph::Graph g = lstm_model();
    passes::QuantizeOptions o = options(scheme);
    o.protect_ends = false;
    const passes::QuantizeReport report = passes::quantize_weights(g, o);
    REQUIRE(report.layers.size() == 2);
    CHECK(report.layers[0].node == "rnn");
    // 4 gates x 32 rows; 16 inputs, then (but for fp16) zeros up to the
    // group boundary at 32, then 32 hidden.
    CHECK(report.layers[0].shape == Shape{128, scheme == QuantScheme::kFp16 ? 48 : 64});
    CHECK(report.layers[0].quant.quantized());
    // int8: in groups of 32, so that W's and R's values keep their own scales.
    if (scheme == QuantScheme::kInt8) CHECK(report.layers[0].quant.format == WeightFormat::kInt8Grouped);
    const auto rnn = std::find_if(g.nodes.begin(), g.nodes.end(), [](const graph::Node& n) { return n.name == "rnn"; });
    REQUIRE(rnn != g.nodes.end());
    CHECK(rnn->inputs[2] == -1);
    CHECK(g.find_tensor("w") < 0);  // the separate W and R are gone
    CHECK(g.find_tensor("r") < 0);
    REQUIRE(g.validate().ok());
    CHECK(writer::required_schema_version(g) == 5);  // older runtimes refuse it by its version
    // The decoded matrix computes what W and R did, within the rounding.
    const std::map<std::string, HostTensor> feed = {{"x", converter_test::random_tensor({5, 1, 16}, 9)},
                                                    {"z", converter_test::random_tensor({300, 16}, 10)}};
    const auto expected = converter_test::run_graph(fp32, feed), actual = converter_test::run_graph(g, feed);
    REQUIRE(expected.at("y").shape == actual.at("y").shape);
    const double nmse = output_nmse(expected.at("y"), actual.at("y"));
    MESSAGE(name << " LSTM model output NMSE " << nmse);
    CHECK(nmse > 0.0);
    CHECK(nmse < (scheme == QuantScheme::kInt4 ? 5e-2 : scheme == QuantScheme::kFp8 ? 1e-2 : 1e-3));
  }
  // --keep-fp32 LSTM leaves W and R apart.
  graph::Graph kept = lstm_model();
  passes::QuantizeOptions o = options(QuantScheme::kInt8);
  o.keep_fp32 = {"LSTM"};
  passes::quantize_weights(kept, o);
  CHECK(kept.find_tensor("r") >= 0);
  CHECK(writer::required_schema_version(kept) == 3);
}

TEST_CASE("pass quantization: a quantized weight survives the file round trip") {
  graph::Graph g = small_model();
  passes::QuantizeOptions o = options(QuantScheme::kInt4);
  o.asymmetric = true;
  passes::quantize_weights(g, o);
  const auto path = std::filesystem::temp_directory_path() /
                    ("fennec_quant_" + std::to_string(::getpid()) + ".fennec");
  const writer::WriteStats stats = writer::write_model_file(g, path, {});
  CHECK(stats.quantized == 4);
  auto file = model::ModelFile::open(path.string());
  REQUIRE_MESSAGE(file.ok(), file.status().to_string());
  auto loaded = file.value()->to_graph();
  std::filesystem::remove(path);
  REQUIRE_MESSAGE(loaded.ok(), loaded.status().to_string());
  for (const char* name : {"w_stem", "w_body", "w_fc", "w_head"}) {
    INFO(name);
    const graph::TensorInfo& a = tensor_named(g, name);
    const graph::TensorInfo& b = tensor_named(loaded.value(), name);
    CHECK(b.quant.format == a.quant.format);
    CHECK(b.quant.group_size == a.quant.group_size);
    CHECK(b.quant.transposed == a.quant.transposed);
    CHECK(b.shape == a.shape);
    const HostTensor va = g.constant_value(g.find_tensor(name));
    const HostTensor vb = loaded.value().constant_value(loaded.value().find_tensor(name));
    CHECK(va.bytes == vb.bytes);
  }
}

TEST_CASE("graph validation: a quantized weight may only feed a kernel that decodes it") {
  graph::Graph g = small_model();
  passes::quantize_weights(g, options(QuantScheme::kInt8));
  REQUIRE(g.validate().ok());
  // Pretend the head's B is stored [K, N] as is: rows would no longer be N.
  const int head = g.find_tensor("w_head");
  g.tensors[static_cast<size_t>(head)].quant.transposed = false;
  const Status status = g.validate();
  CHECK_FALSE(status.ok());
  CHECK(status.message().find("w_head") != std::string::npos);
}

}  // namespace fennec

namespace fennec {

TEST_CASE("pass quantization: fp16 keeps a layer whose weights overflow fp16 in fp32") {
  OnnxBuilder b(13);
  b.input("x", {1, 4});
  std::vector<float> big = random_values(4 * 3, 31), small = random_values(3 * 2, 32);
  big[5] = 70000.0f;  // past 65504: fp16 would store infinity
  b.initializer("w_big", {4, 3}, big);
  b.initializer("w_small", {3, 2}, small);
  b.node("MatMul", {"x", "w_big"}, {"h"}, "big");
  b.node("MatMul", {"h", "w_small"}, {"y"}, "small");
  b.output("y");
  graph::Graph g = onnx_import::import_model(b.model()).graph;
  passes::run_passes(g);
  const passes::QuantizeReport report = passes::quantize_weights(g, options(QuantScheme::kFp16));
  REQUIRE(report.layers.size() == 2);
  CHECK(report.layers[0].quant.format == WeightFormat::kFloat32);
  CHECK(report.layers[0].note.find("beyond fp16's 65504") != std::string::npos);
  CHECK(report.layers[1].quant.format == WeightFormat::kFloat16);
  CHECK(!tensor_named(g, "w_big").is_quantized());
  CHECK(g.constant_value(g.find_tensor("w_big")).as<float>()[5] == 70000.0f);
}

TEST_CASE("pass quantization: calibration measures layer and model output errors on the device") {
  graph::Graph fp32 = small_model();
  graph::Graph g = small_model();
  std::vector<passes::CalibrationSample> samples;
  for (uint32_t seed : {21u, 22u, 23u}) samples.push_back({converter_test::random_tensor({1, 3, 16, 16}, seed)});
  passes::QuantizeOptions o = options(QuantScheme::kInt8);
  const passes::QuantizeReport report = passes::quantize_weights_calibrated(g, o, samples);
  CHECK(report.calibration_samples == 3);
  CHECK(g.outputs.size() == 1);  // the captures leave the graph's outputs as they were
  REQUIRE(report.layers.size() == 4);
  for (const passes::QuantizedLayer& l : report.layers) {
    INFO(l.node);
    CHECK(l.output_nmse > 0.0);
    CHECK(l.output_nmse < 1e-3);
  }
  // The model output's error, measured on the device, agrees with the
  // reference kernels' run of the fp32 and quantized graphs on the same samples.
  double error = 0.0, reference = 0.0;
  for (const auto& sample : samples) {
    const auto a = converter_test::run_graph(fp32, {{"x", sample[0]}}).at("y");
    const auto b = converter_test::run_graph(g, {{"x", sample[0]}}).at("y");
    for (size_t i = 0; i < a.as<float>().size(); ++i) {
      const double d = static_cast<double>(a.as<float>()[i]) - b.as<float>()[i];
      error += d * d;
      reference += static_cast<double>(a.as<float>()[i]) * a.as<float>()[i];
    }
  }
  REQUIRE(report.outputs.size() == 1);
  CHECK(report.outputs[0].name == "y");
  CHECK(report.outputs[0].nmse == doctest::Approx(error / reference).epsilon(0.02));
  CHECK(report.outputs[0].max_ref > 0.0);
}

}  // namespace fennec

namespace fennec {

TEST_CASE("pass quantization: w8a8 takes its activation scales from calibration") {
  {
    graph::Graph g = small_model();
    CHECK_THROWS_AS(passes::quantize_weights(g, options(QuantScheme::kW8A8)), converter::ConvertError);
  }
  std::vector<passes::CalibrationSample> samples;
  for (uint32_t seed : {31u, 32u}) samples.push_back({converter_test::random_tensor({1, 3, 16, 16}, seed)});
  // The input of "body" is relu's output: with min-max its scale is max|r| / 127.
  const graph::Graph fp32 = small_model();
  std::string body_input;
  for (const graph::Node& node : fp32.nodes)
    if (node.name == "body") body_input = fp32.tensors[static_cast<size_t>(node.inputs[0])].name;
  REQUIRE(!body_input.empty());
  float max_r = 0.0f;
  for (const auto& sample : samples) {
    const auto values = converter_test::run_graph(fp32, {{"x", sample[0]}}, true);
    for (float v : values.at(body_input).as<float>()) max_r = std::max(max_r, std::fabs(v));
  }

  for (const auto method : {passes::CalibrationMethod::kMinMax, passes::CalibrationMethod::kPercentile,
                            passes::CalibrationMethod::kMse}) {
    graph::Graph g = small_model();
    passes::QuantizeOptions o = options(QuantScheme::kW8A8);
    o.calibration_method = method;
    o.max_activation_nmse = 1.0;  // no layer falls back to float activations
    const passes::QuantizeReport report = passes::quantize_weights_calibrated(g, o, samples);
    REQUIRE(report.layers.size() == 4);
    CHECK(report.layers[0].quant.activation_scale == 0.0f);  // first layer: float activations
    CHECK(report.layers[0].note == "int8: first layer, float activations");
    CHECK(report.layers[3].quant.activation_scale == 0.0f);  // last layer
    const float body = report.layers[1].quant.activation_scale;
    CHECK(report.layers[1].quant.format == WeightFormat::kInt8);
    CHECK(body > 0.0f);
    if (method == passes::CalibrationMethod::kMinMax) CHECK(body == doctest::Approx(max_r / 127.0f));
    else CHECK(body <= max_r / 127.0f * 1.0001f);  // percentile and mse clip, never widen
    CHECK(report.layers[1].activation_nmse > 0.0);
    CHECK(report.layers[1].activation_nmse < 1e-3);
    CHECK(tensor_named(g, "w_body").quant.activation_scale == body);
    CHECK(report.outputs[0].nmse > 0.0);
    CHECK(report.outputs[0].nmse < 1e-2);
  }

  // A layer whose input would lose more than the bound keeps float activations.
  graph::Graph g = small_model();
  passes::QuantizeOptions o = options(QuantScheme::kW8A8);
  o.max_activation_nmse = 1e-12;
  const passes::QuantizeReport report = passes::quantize_weights_calibrated(g, o, samples);
  for (const passes::QuantizedLayer& l : report.layers) CHECK(l.quant.activation_scale == 0.0f);
  CHECK(report.layers[1].note.rfind("int8: float activations (int8 input NMSE", 0) == 0);
}

namespace {

// x[1,4,8,8] -> Conv 3x3 (stem) -> Relu -> ConvTranspose 2x2 stride 2 (up,
// weight [6, 5, 2, 2]) -> Relu -> Conv 1x1 (head) -> y[1,3,16,16].
graph::Graph upsampling_model() {
  OnnxBuilder b(13);
  b.input("x", {1, 4, 8, 8});
  b.initializer("w_stem", {6, 4, 3, 3}, random_values(6 * 36, 11));
  b.initializer("w_up", {6, 5, 2, 2}, random_values(6 * 20, 12));
  b.initializer("b_up", {5}, random_values(5, 13));
  b.initializer("w_head", {3, 5, 1, 1}, random_values(15, 14));
  auto& stem = b.node("Conv", {"x", "w_stem"}, {"s"}, "stem");
  OnnxBuilder::attr(stem, "pads", std::vector<int64_t>{1, 1, 1, 1});
  b.node("Relu", {"s"}, {"r"}, "relu");
  auto& up = b.node("ConvTranspose", {"r", "w_up", "b_up"}, {"u"}, "up");
  OnnxBuilder::attr(up, "strides", std::vector<int64_t>{2, 2});
  b.node("Relu", {"u"}, {"v"}, "relu2");
  b.node("Conv", {"v", "w_head"}, {"y"}, "head");
  b.output("y");
  graph::Graph g = onnx_import::import_model(b.model()).graph;
  passes::run_passes(g);
  return g;
}

}  // namespace

TEST_CASE("pass quantization: CONV_TRANSPOSE weights are quantized (rows = input channels)") {
  const HostTensor x = converter_test::random_tensor({1, 4, 8, 8}, 21);
  for (const auto& [scheme, format] : {std::pair{QuantScheme::kFp16, WeightFormat::kFloat16},
                                       std::pair{QuantScheme::kInt8, WeightFormat::kInt8},
                                       std::pair{QuantScheme::kInt4, WeightFormat::kInt4},
                                       std::pair{QuantScheme::kFp8, WeightFormat::kMxFp8}}) {
    INFO(std::string(passes::quant_scheme_name(scheme)));
    graph::Graph g = upsampling_model();
    const auto before = converter_test::run_graph(g, {{"x", x}});
    passes::QuantizeOptions o = options(scheme);
    o.protect_ends = false;
    const passes::QuantizeReport report = passes::quantize_weights(g, o);
    REQUIRE(report.layers.size() == 3);
    CHECK(report.layers[1].node == "up");
    CHECK(report.layers[1].op_type == "CONV_TRANSPOSE");
    CHECK(tensor_named(g, "w_up").quant.format == format);
    CHECK(tensor_named(g, "w_up").quant.transposed == false);
    CHECK(tensor_named(g, "b_up").is_quantized() == false);
    REQUIRE(g.validate().ok());
    const double nmse = output_nmse(before.at("y"), converter_test::run_graph(g, {{"x", x}}).at("y"));
    MESSAGE(std::string(passes::quant_scheme_name(scheme)), " output NMSE ", nmse);
    CHECK(nmse > 0.0);
    CHECK(nmse < 2e-2);
  }
  // w8a8: the transposed convolution keeps float activations; the device run
  // of the quantized model (calibration's output error) decodes its int8 weight.
  std::vector<passes::CalibrationSample> samples;
  for (uint32_t seed : {41u, 42u}) samples.push_back({converter_test::random_tensor({1, 4, 8, 8}, seed)});
  graph::Graph g = upsampling_model();
  passes::QuantizeOptions o = options(QuantScheme::kW8A8);
  o.protect_ends = false;
  o.max_activation_nmse = 1.0;
  const passes::QuantizeReport report = passes::quantize_weights_calibrated(g, o, samples);
  REQUIRE(report.layers.size() == 3);
  CHECK(report.layers[1].note == "int8: float activations (CONV_TRANSPOSE)");
  CHECK(report.layers[1].quant.format == WeightFormat::kInt8);
  CHECK(report.layers[1].quant.activation_scale == 0.0f);
  CHECK(report.layers[2].quant.activation_scale > 0.0f);
  REQUIRE(g.validate().ok());
  CHECK(report.outputs[0].nmse > 0.0);
  CHECK(report.outputs[0].nmse < 2e-2);
  // An int8 activation scale on it would be refused: no kernel decodes that.
  g.tensors[static_cast<size_t>(g.find_tensor("w_up"))].quant.activation_scale = 0.01f;
  CHECK_FALSE(g.validate().ok());
}

TEST_CASE("pass quantization: GPTQ rounding from calibration lowers the model output error") {
  std::vector<passes::CalibrationSample> samples;
  for (uint32_t seed : {41u, 42u, 43u, 44u}) samples.push_back({converter_test::random_tensor({1, 3, 16, 16}, seed)});
  const HostTensor x = converter_test::random_tensor({1, 3, 16, 16}, 9);  // not a calibration sample
  const HostTensor expected = run(small_model()).at("y");
  double nmse[2] = {0.0, 0.0};
  for (const passes::Rounding rounding : {passes::Rounding::kNearest, passes::Rounding::kGptq}) {
    graph::Graph g = small_model();
    passes::QuantizeOptions o = options(QuantScheme::kInt4);
    o.group_size = 8;
    o.protect_ends = false;
    o.rounding = rounding;
    const passes::QuantizeReport report = passes::quantize_weights_calibrated(g, o, samples);
    for (const passes::QuantizedLayer& l : report.layers) {
      INFO(l.node);
      CHECK(l.quant.format == WeightFormat::kInt4);
      CHECK((l.gptq_vectors > 0) == (rounding == passes::Rounding::kGptq));
    }
    nmse[rounding == passes::Rounding::kGptq] = output_nmse(expected, run(g).at("y"));
  }
  INFO("nearest ", nmse[0], ", gptq ", nmse[1]);
  CHECK(nmse[1] < nmse[0]);
}

}  // namespace fennec
