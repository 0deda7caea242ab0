// Converter writer: file layout (identifier, alignment, verifier), content
// round trip through the schema, atomic writes, and the PaddleOCR detection
// model end to end when it is available.
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <unistd.h>

#include <flatbuffers/flatbuffers.h>

#include "fennec_generated.h"
#include "onnx/importer.h"
#include "passes/convert_error.h"
#include "passes/pipeline.h"
#include "unit/test_converter_helpers.h"
#include "writer/writer.h"

namespace fennec {
namespace {

using converter_test::OnnxBuilder;
using converter_test::random_values;
using schema::OpType;

std::filesystem::path temp_path(const std::string& name) {
  return std::filesystem::temp_directory_path() /
         ("fennec_test_" + std::to_string(::getpid()) + "_" + name);
}

std::vector<uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Checks the file layout rules and returns the root.
const schema::Model* check_layout(const std::vector<uint8_t>& bytes) {
  REQUIRE(bytes.size() >= 12);
  CHECK(std::string(reinterpret_cast<const char*>(bytes.data()) + 8, 4) == "FNC1");
  uint32_t fb_size;
  std::memcpy(&fb_size, bytes.data(), 4);
  REQUIRE(fb_size + 4u <= bytes.size());
  // The verifier covers the FlatBuffer only: its size prefix must equal the
  // buffer length it is given, and the weight section follows it.
  flatbuffers::Verifier verifier(bytes.data(), fb_size + 4u);
  REQUIRE(schema::VerifySizePrefixedModelBuffer(verifier));
  const schema::Model* model = schema::GetSizePrefixedModel(bytes.data());
  CHECK(model->schema_version() == 3);  // nothing newer needed
  CHECK(model->schema_version() <= writer::kSchemaVersion);
  CHECK(model->weights_offset() % 64 == 0);
  CHECK(model->weights_offset() == (fb_size + 4 + 63) / 64 * 64);
  CHECK(model->weights_offset() + model->weights_size() == bytes.size());
  for (uint64_t i = fb_size + 4; i < model->weights_offset(); ++i) CHECK(bytes[i] == 0);
  for (const schema::Tensor* t : *model->graph()->tensors()) {
    if (!t->has_data()) continue;
    REQUIRE(t->data() != nullptr);
    CHECK(t->data()->offset() % 64 == 0);
    CHECK(t->data()->offset() + t->data()->size() <= model->weights_size());
  }
  return model;
}

graph::Graph conv_model_graph() {
  OnnxBuilder b(13);
  b.input("x", {-1, 3, 8, 8}, {"batch"});
  b.initializer("w", {5, 3, 3, 3}, random_values(135, 1));
  b.initializer("bias", {5}, random_values(5, 2));
  b.initializer("g", {5}, random_values(5, 3, 0.5f, 1.5f));
  b.initializer("be", {5}, random_values(5, 4));
  b.initializer("m", {5}, random_values(5, 5));
  b.initializer("v", {5}, random_values(5, 6, 0.5f, 1.0f));
  auto& conv = b.node("Conv", {"x", "w", "bias"}, {"c"}, "conv");
  OnnxBuilder::attr(conv, "pads", std::vector<int64_t>{1, 1, 1, 1});
  b.node("BatchNormalization", {"c", "g", "be", "m", "v"}, {"n"}, "bn");
  b.node("Relu", {"n"}, {"r"}, "relu");
  b.initializer("w2", {7, 5, 1, 1}, random_values(35, 7));
  b.node("Conv", {"r", "w2"}, {"y"}, "conv2");
  b.output("y", {-1, 7, 8, 8}, {"batch"});
  graph::Graph g = onnx_import::import_model(b.model()).graph;
  passes::run_passes(g);
  return g;
}

}  // namespace

TEST_CASE("converter writer: layout, alignment, verifier and content") {
  graph::Graph g = conv_model_graph();
  REQUIRE(g.nodes.size() == 2);
  const auto path = temp_path("layout.fennec");
  writer::WriteOptions options;
  options.metadata = {{"source", "test.onnx"}, {"onnx.opset", "13"}};
  const writer::WriteStats stats = writer::write_model_file(g, path, options);
  const std::vector<uint8_t> bytes = read_bytes(path);
  std::filesystem::remove(path);
  CHECK(stats.file_bytes == bytes.size());
  CHECK(stats.operators == 2);
  CHECK(stats.constants == 3);  // w (folded), bias (folded), w2

  const schema::Model* model = check_layout(bytes);
  CHECK(model->producer()->str() == "fennec-convert 0.1");
  REQUIRE(model->metadata()->size() == 2);
  CHECK(model->metadata()->Get(0)->key()->str() == "source");
  CHECK(model->metadata()->Get(0)->value()->str() == "test.onnx");

  const schema::Graph* sg = model->graph();
  REQUIRE(sg->operators()->size() == 2);
  const schema::Operator* conv = sg->operators()->Get(0);
  CHECK(conv->type() == OpType::CONV);
  CHECK(conv->name()->str() == "conv");
  const auto* options0 = conv->options_as_Conv2DOptions();
  REQUIRE(options0 != nullptr);
  CHECK(options0->activation()->kind() == schema::Activation::RELU);
  CHECK(options0->pad_top() == 1);
  // Every written op can be rebuilt by the runtime's factory.
  for (const schema::Operator* op : *sg->operators()) CHECK(ops::make_op(*op).ok());

  // Tensor indices are dense and the data matches the graph's constants.
  const auto* tensors = sg->tensors();
  CHECK(tensors->size() == 6);  // x, w, bias, r, w2, y
  const schema::Tensor* input = tensors->Get(static_cast<uint32_t>(sg->inputs()->Get(0)));
  CHECK(input->name()->str() == "x");
  REQUIRE(input->shape()->size() == 4);
  CHECK(input->shape()->Get(0)->value() == -1);
  CHECK(input->shape()->Get(0)->symbol()->str() == "batch");
  CHECK(input->shape()->Get(1)->value() == 3);
  CHECK(input->shape()->Get(1)->symbol() == nullptr);
  for (const schema::Operator* op : *sg->operators())
    for (int32_t index : *op->inputs()) CHECK(index < static_cast<int32_t>(tensors->size()));
  for (const schema::Tensor* t : *tensors) {
    if (!t->has_data()) continue;
    const int gi = g.find_tensor(t->name()->str());
    REQUIRE(gi >= 0);
    const graph::TensorInfo& info = g.tensors[static_cast<size_t>(gi)];
    REQUIRE(info.data_bytes == t->data()->size());
    CHECK(std::memcmp(bytes.data() + model->weights_offset() + t->data()->offset(), info.data,
                      info.data_bytes) == 0);
  }
}

TEST_CASE("converter writer: a failed write leaves no file behind") {
  graph::Graph g = conv_model_graph();
  const auto dir = temp_path("missing_dir");
  CHECK_THROWS_AS(writer::write_model_file(g, dir / "model.fennec", {}), converter::ConvertError);
  CHECK(!std::filesystem::exists(dir));

  // A constant whose bytes do not match its shape is rejected before
  // anything is renamed into place.
  const auto path = temp_path("bad.fennec");
  for (graph::TensorInfo& t : g.tensors)
    if (t.is_constant()) {
      t.data_bytes -= 4;
      break;
    }
  CHECK_THROWS_AS(writer::write_model_file(g, path, {}), converter::ConvertError);
  CHECK(!std::filesystem::exists(path));
  for (const auto& entry : std::filesystem::directory_iterator(path.parent_path()))
    CHECK(entry.path().filename().string().rfind(path.filename().string() + ".tmp", 0) != 0);
}

TEST_CASE("converter writer: PaddleOCR v4 detection model converts with all folds and fusions") {
  // FENNEC_OCR_DET_MODEL names the file directly; otherwise it is looked up
  // in the fetch cache (scripts/test.sh sets FENNEC_MODELS_DIR).
  std::filesystem::path model_path;
  if (const char* file = std::getenv("FENNEC_OCR_DET_MODEL")) model_path = file;
  else if (const char* dir = std::getenv("FENNEC_MODELS_DIR"))
    model_path = std::filesystem::path(dir) / "ocr-models" / "assets" / "ch_PP-OCRv4_det_infer.onnx";
  if (model_path.empty() || !std::filesystem::exists(model_path)) {
    MESSAGE("skipped: set FENNEC_MODELS_DIR (scripts/test.sh) or FENNEC_OCR_DET_MODEL");
    return;
  }
  auto imported = onnx_import::import_file(model_path);
  CHECK(imported.info.opset == 11);
  CHECK(imported.info.constant_nodes == 342);
  graph::Graph reference = onnx_import::import_file(model_path).graph;
  graph::Graph& g = imported.graph;
  const passes::PassReport report = passes::run_passes(g);
  CHECK(report.folded_batch_norms.size() == 3);
  const auto counts = report.fusion_counts();
  CHECK(counts.at("CONV").at("HARD_SWISH") == 24);
  CHECK(converter_test::count_ops(g, OpType::BATCH_NORM) == 0);
  CHECK(converter_test::count_ops(g, OpType::CLIP) == 0);
  CHECK(converter_test::count_ops(g, OpType::DIV) == 0);
  CHECK(converter_test::count_ops(g, OpType::RELU) == 0);
  CHECK(converter_test::count_ops(g, OpType::HARD_SIGMOID) == 0);
  CHECK(converter_test::count_ops(g, OpType::SIGMOID) == 0);

  const auto path = temp_path("det.fennec");
  writer::write_model_file(g, path, {});
  const std::vector<uint8_t> bytes = read_bytes(path);
  std::filesystem::remove(path);
  const schema::Model* model = check_layout(bytes);
  for (const schema::Operator* op : *model->graph()->operators()) CHECK(ops::make_op(*op).ok());

  // The optimized graph computes what the imported one does: compare every
  // tensor that both graphs compute (a fused conv's output keeps the name of
  // the last node it absorbed), relative to the tensor's magnitude.
  const HostTensor x = converter_test::random_tensor({1, 3, 64, 64}, 7, 0.0f, 1.0f);
  passes::PassOptions none;
  none.fold_constants = none.fold_batch_norms = none.fold_affine = none.fuse_activations = false;
  passes::run_passes(reference, none);
  auto expected = converter_test::run_graph(reference, {{"x", x}}, true);
  auto actual = converter_test::run_graph(g, {{"x", x}}, true);
  int compared = 0;
  double worst = 0.0;
  for (const auto& [name, value] : actual) {
    auto it = expected.find(name);
    if (it == expected.end()) continue;
    CAPTURE(name);
    const double err = converter_test::max_abs_diff(it->second, value) /
                       std::max(1.0, converter_test::max_abs(it->second));
    worst = std::max(worst, err);
    CHECK(err < 1e-4);
    ++compared;
  }
  MESSAGE("compared " << compared << " tensors, worst relative error " << worst);
  CHECK(compared == static_cast<int>(g.nodes.size()));
  const HostTensor& out = actual.at(g.tensors[static_cast<size_t>(g.outputs[0])].name);
  CHECK(out.shape == Shape{1, 1, 64, 64});
}

}  // namespace fennec
