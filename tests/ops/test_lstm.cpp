// LSTM: shape rules, the reference kernel against ONNX's own LSTM node tests
// (imported from their model.onnx), the Vulkan kernel against the reference
// on odd sizes in every direction and layout, W holding R (the converter's
// form for quantized weights) decoded from every format, and the importer
// (absent outputs, sequence_lens, rejected activations).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "common/harness.h"
#include "onnx/importer.h"
#include "onnx/tensor_proto.h"
#include "ops/lstm.h"
#include "passes/convert_error.h"
#include "unit/test_converter_helpers.h"

namespace fennec {
namespace {

using schema::LstmDirection;

ops::LstmParams params(int hidden, LstmDirection direction = LstmDirection::FORWARD) {
  ops::LstmParams p;
  p.hidden_size = hidden;
  p.direction = direction;
  return p;
}

HostTensor read_tensor_pb(const std::filesystem::path& path, std::string& name) {
  std::ifstream file(path, std::ios::binary);
  onnx::TensorProto proto;
  REQUIRE_MESSAGE(proto.ParseFromIstream(&file), "cannot parse ", path.string());
  name = proto.name();
  return onnx_import::tensor_from_proto(proto, path.parent_path(), path.string());
}

struct Case {
  int hidden = 1, input = 5, seq = 1, batch = 1;
  LstmDirection direction = LstmDirection::FORWARD;
  bool initial_state = false, bias = false, peepholes = false, constant_weights = false;
  float clip = 0.0f;
  bool input_forget = false;
  int layout = 0;
};

std::string describe(const Case& c) {
  return "hidden " + std::to_string(c.hidden) + " input " + std::to_string(c.input) + " seq " +
         std::to_string(c.seq) + " batch " + std::to_string(c.batch) + " " +
         schema::EnumNameLstmDirection(c.direction) + (c.initial_state ? " +state" : "") +
         (c.bias ? " +bias" : "") + (c.peepholes ? " +peepholes" : "") +
         (c.clip > 0 ? " clip" : "") + (c.input_forget ? " input_forget" : "") +
         (c.layout ? " batch_first" : "");
}

void check_vulkan(const Case& c) {
  ops::LstmParams p = params(c.hidden, c.direction);
  p.clip = c.clip;
  p.input_forget = c.input_forget;
  p.layout = c.layout;
  const int64_t dirs = p.directions(), h = c.hidden;
  const Shape x_shape = c.layout ? Shape{c.batch, c.seq, c.input} : Shape{c.seq, c.batch, c.input};
  const Shape state_shape = c.layout ? Shape{c.batch, dirs, h} : Shape{dirs, c.batch, h};
  const HostTensor x = testing::random_tensor(x_shape, 1, -2.0f, 2.0f);
  const HostTensor w = testing::random_tensor({dirs, 4 * h, c.input}, 2, -0.6f, 0.6f);
  const HostTensor r = testing::random_tensor({dirs, 4 * h, h}, 3, -0.3f, 0.3f);
  const HostTensor b = testing::random_tensor({dirs, 8 * h}, 4, -0.5f, 0.5f);
  const HostTensor h0 = testing::random_tensor(state_shape, 5);
  const HostTensor c0 = testing::random_tensor(state_shape, 6, -2.0f, 2.0f);
  const HostTensor peep = testing::random_tensor({dirs, 3 * h}, 7);
  const std::vector<const HostTensor*> inputs = {
      &x, &w, &r, c.bias ? &b : nullptr, nullptr, c.initial_state ? &h0 : nullptr,
      c.initial_state ? &c0 : nullptr, c.peepholes ? &peep : nullptr};
  const bool k = c.constant_weights;
  auto expected = ops::run_reference(ops::LstmOp(p), inputs);
  REQUIRE_MESSAGE(expected.ok(), expected.status().to_string());
  auto actual = testing::run_on_vulkan(std::make_unique<ops::LstmOp>(p), inputs,
                                       {false, k, k, k, false, false, false, k});
  REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());
  REQUIRE(actual.value().size() == 3);
  for (size_t o = 0; o < 3; ++o) {
    const auto stats = testing::compare(expected.value()[o], actual.value()[o]);
    INFO("LSTM ", describe(c), " output ", o);
    CHECK(stats.shape_match);
    CHECK(stats.max_abs <= testing::kFp32MaxAbs);
    CHECK(stats.nmse <= testing::kFp32Nmse);
  }
}

const std::filesystem::path kNodeTests = "/usr/share/libonnx-testdata/data/node";

}  // namespace

TEST_CASE("lstm: infer_shapes") {
  const int64_t U = kUnknownDim;
  std::vector<Shape> out;
  const Shape fwd[] = {{U, 2, 5}, {1, 12, 5}, {1, 12, 3}};
  REQUIRE(ops::LstmOp(params(3)).infer_shapes(fwd, out).ok());
  CHECK(out == std::vector<Shape>{{U, 1, 2, 3}, {1, 2, 3}, {1, 2, 3}});

  // The batch comes from initial_h when X leaves it open; batch first layout.
  ops::LstmParams bf = params(3, LstmDirection::BIDIRECTIONAL);
  bf.layout = 1;
  const Shape bidi[] = {{U, 7, 5}, {2, 12, 5}, {2, 12, 3}, {2, 24}, {}, {4, 2, 3}, {}, {2, 9}};
  REQUIRE(ops::LstmOp(bf).infer_shapes(bidi, out).ok());
  CHECK(out == std::vector<Shape>{{4, 7, 2, 3}, {4, 2, 3}, {4, 2, 3}});

  const Shape bad_r[] = {{7, 2, 5}, {1, 12, 5}, {1, 12, 4}};
  Status s = ops::LstmOp(params(3)).infer_shapes(bad_r, out);
  CHECK(s.code() == StatusCode::kInvalidModel);
  CHECK(s.message().find("R") != std::string::npos);
  const Shape bad_dirs[] = {{7, 2, 5}, {1, 12, 5}, {1, 12, 3}};
  CHECK(!ops::LstmOp(params(3, LstmDirection::BIDIRECTIONAL)).infer_shapes(bad_dirs, out).ok());
  const Shape lens[] = {{7, 2, 5}, {1, 12, 5}, {1, 12, 3}, {}, {2}};
  s = ops::LstmOp(params(3)).infer_shapes(lens, out);
  CHECK(s.message().find("sequence_lens") != std::string::npos);
}

TEST_CASE("lstm: options round-trip through the schema") {
  ops::LstmParams p = params(13, LstmDirection::REVERSE);
  p.clip = 2.5f;
  p.layout = 1;
  p.input_forget = true;
  flatbuffers::FlatBufferBuilder fbb;
  const auto [type, options] = ops::LstmOp(p).write_options(fbb);
  fbb.Finish(schema::CreateOperator(fbb, schema::OpType::LSTM, 0, 0, 0, type, options));
  const auto* op = flatbuffers::GetRoot<schema::Operator>(fbb.GetBufferPointer());
  auto made = ops::make_op(*op);
  REQUIRE(made.ok());
  const auto& q = static_cast<const ops::LstmOp&>(*made.value()).params();
  CHECK(q.hidden_size == 13);
  CHECK(q.direction == LstmDirection::REVERSE);
  CHECK(q.clip == 2.5f);
  CHECK(q.layout == 1);
  CHECK(q.input_forget);
}

TEST_CASE("lstm: reference and Vulkan match the ONNX LSTM node tests") {
  for (const char* name : {"test_lstm_defaults", "test_lstm_with_initial_bias",
                           "test_lstm_with_peepholes", "test_lstm_batchwise"}) {
    const std::filesystem::path dir = kNodeTests / name;
    if (!std::filesystem::exists(dir / "model.onnx")) {
      MESSAGE("skipped: ", dir.string(), " is missing (Debian package libonnx-testdata)");
      continue;
    }
    INFO(name);
    const std::filesystem::path data = dir / "test_data_set_0";
    auto pb = [&](const char* kind, int i) {
      return data / (std::string(kind) + "_" + std::to_string(i) + ".pb");
    };
    std::map<std::string, HostTensor> feeds, expected;
    // Integer inputs (sequence_lens) are fixed at conversion, as a user would.
    onnx_import::ImportOptions options;
    for (int i = 0; std::filesystem::exists(pb("input", i)); ++i) {
      std::string tensor_name;
      HostTensor t = read_tensor_pb(pb("input", i), tensor_name);
      if (t.dtype == DataType::FLOAT32) feeds[tensor_name] = std::move(t);
      else options.constant_inputs[tensor_name] = std::move(t);
    }
    for (int i = 0; std::filesystem::exists(pb("output", i)); ++i) {
      std::string tensor_name;
      HostTensor t = read_tensor_pb(pb("output", i), tensor_name);
      expected[tensor_name] = std::move(t);
    }
    auto imported = onnx_import::import_file(dir / "model.onnx", options);
    const graph::Graph& g = imported.graph;
    REQUIRE(g.nodes.size() == 1);
    REQUIRE(!expected.empty());
    const auto outputs = converter_test::run_graph(g, feeds);
    for (const auto& [out_name, want] : expected) {
      INFO("output ", out_name);
      REQUIRE(outputs.count(out_name) == 1);
      const auto stats = testing::compare(want, outputs.at(out_name));
      CHECK(stats.shape_match);
      CHECK(stats.max_abs <= 1e-5);
    }

    // The same node on Vulkan, every input fed at run time.
    const graph::Node& node = g.nodes[0];
    std::vector<const HostTensor*> inputs;
    for (int in : node.inputs)
      inputs.push_back(in < 0 ? nullptr : &feeds.at(g.tensors[static_cast<size_t>(in)].name));
    const auto& lstm = static_cast<const ops::LstmOp&>(*node.op);
    auto actual = testing::run_on_vulkan(std::make_unique<ops::LstmOp>(lstm.params()), inputs);
    REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());
    for (size_t o = 0; o < node.outputs.size(); ++o) {
      auto want = expected.find(g.tensors[static_cast<size_t>(node.outputs[o])].name);
      if (want == expected.end()) continue;
      const auto stats = testing::compare(want->second, actual.value()[o]);
      INFO("Vulkan output ", want->first);
      CHECK(stats.shape_match);
      CHECK(stats.max_abs <= 1e-5);
    }
  }
}

TEST_CASE("lstm: Vulkan matches the reference on odd sizes") {
  const auto F = LstmDirection::FORWARD, R = LstmDirection::REVERSE,
             B = LstmDirection::BIDIRECTIONAL;
  std::vector<Case> cases = {
      {.hidden = 1, .input = 5, .seq = 1, .batch = 1},
      {.hidden = 1, .input = 5, .seq = 7, .batch = 3, .direction = B, .initial_state = true},
      {.hidden = 13, .input = 5, .seq = 7, .batch = 3, .initial_state = true, .bias = true},
      {.hidden = 13, .input = 5, .seq = 1, .batch = 3, .direction = R, .bias = true},
      {.hidden = 13, .input = 5, .seq = 7, .batch = 1, .direction = R, .initial_state = true,
       .bias = true, .peepholes = true, .constant_weights = true},
      {.hidden = 13, .input = 5, .seq = 7, .batch = 3, .direction = B, .initial_state = true,
       .bias = true, .peepholes = true, .clip = 0.7f},
      {.hidden = 13, .input = 5, .seq = 7, .batch = 3, .direction = B, .bias = true,
       .input_forget = true, .layout = 1},
      {.hidden = 13, .input = 5, .seq = 7, .batch = 3, .direction = F, .initial_state = true,
       .peepholes = true, .layout = 1},
      {.hidden = 127, .input = 5, .seq = 7, .batch = 1, .initial_state = true, .bias = true,
       .constant_weights = true},
      {.hidden = 127, .input = 5, .seq = 7, .batch = 3, .direction = B, .initial_state = true,
       .bias = true, .peepholes = true, .clip = 3.0f},
      // Silero VAD's shape: hidden 128, input 128, batch 1, forward, with state.
      {.hidden = 128, .input = 128, .seq = 2, .batch = 1, .initial_state = true, .bias = true,
       .constant_weights = true},
  };
  for (const Case& c : cases) check_vulkan(c);
}

TEST_CASE("lstm: W holding R computes the same, float and decoded from every weight format") {
  // Bidirectional, hidden 12, input 20: R starts at column 32, after 12
  // zero columns, as the converter lays it out for groups of 32.
  ops::LstmParams p = params(12, LstmDirection::BIDIRECTIONAL);
  const int64_t dirs = 2, h = 12, in = 20, seq = 4, batch = 2, r_at = 32, cols = r_at + h;
  const HostTensor x = testing::random_tensor({seq, batch, in}, 1, -2.0f, 2.0f);
  const HostTensor w = testing::random_tensor({dirs, 4 * h, in}, 2, -0.6f, 0.6f);
  const HostTensor r = testing::random_tensor({dirs, 4 * h, h}, 3, -0.3f, 0.3f);
  const HostTensor b = testing::random_tensor({dirs, 8 * h}, 4, -0.5f, 0.5f);
  HostTensor wr(DataType::FLOAT32, {dirs * 4 * h, cols});
  for (int64_t row = 0; row < dirs * 4 * h; ++row)
    for (int64_t col = 0; col < cols; ++col)
      wr.as<float>()[static_cast<size_t>(row * cols + col)] =
          col < in      ? w.as<float>()[static_cast<size_t>(row * in + col)]
          : col < r_at ? 0.0f
                        : r.as<float>()[static_cast<size_t>(row * h + col - r_at)];
  std::vector<Shape> out;
  REQUIRE(ops::LstmOp(p).infer_shapes(std::vector<Shape>{x.shape, wr.shape, {}, b.shape}, out).ok());
  CHECK(out[0] == Shape{seq, dirs, batch, h});
  CHECK(!ops::LstmOp(p).infer_shapes(std::vector<Shape>{x.shape, {dirs * 4 * h, in + h - 1}, {}, b.shape}, out).ok());
  const std::vector<const HostTensor*> apart = {&x, &w, &r, &b}, together = {&x, &wr, nullptr, &b};
  auto separate = ops::run_reference(ops::LstmOp(p), apart);
  auto combined = ops::run_reference(ops::LstmOp(p), together);
  REQUIRE(separate.ok());
  REQUIRE(combined.ok());
  for (size_t o = 0; o < 3; ++o) CHECK(separate.value()[o].bytes == combined.value()[o].bytes);

  using quant::WeightFormat;
  for (const quant::WeightQuant q :
       {quant::WeightQuant{}, quant::WeightQuant{WeightFormat::kFloat16}, quant::WeightQuant{WeightFormat::kInt8},
        quant::WeightQuant{WeightFormat::kInt4, 32}, quant::WeightQuant{WeightFormat::kInt4Asymmetric, 32},
        quant::WeightQuant{WeightFormat::kMxFp8}, quant::WeightQuant{WeightFormat::kInt8Grouped, 32}}) {
    CAPTURE(q.to_string());
    // The oracle runs on the values the device decodes.
    const HostTensor decoded = q.quantized() ? testing::dequantized(wr, q) : wr;
    const std::vector<const HostTensor*> oracle = {&x, &decoded, nullptr, &b};
    auto expected = ops::run_reference(ops::LstmOp(p), oracle);
    REQUIRE(expected.ok());
    auto actual = testing::run_on_vulkan(std::make_unique<ops::LstmOp>(p), together,
                                         {false, true, false, true}, {{}, q, {}, {}});
    REQUIRE_MESSAGE(actual.ok(), actual.status().to_string());
    for (size_t o = 0; o < 3; ++o) {
      const auto stats = testing::compare(expected.value()[o], actual.value()[o]);
      CHECK(stats.shape_match);
      CHECK(stats.max_abs <= testing::kFp32MaxAbs);
    }
    if (q.quantized()) {  // the rounding shows against the float weights
      const auto stats = testing::compare(combined.value()[0], actual.value()[0]);
      CHECK(stats.max_abs > 0.0);
    }
  }
}

TEST_CASE("lstm: import with omitted outputs, sequence_lens and activations") {
  using converter_test::OnnxBuilder;
  using converter::ConvertError;
  const int64_t hidden = 4, input = 3;
  auto build = [&](std::vector<std::string> outputs, bool lens, int64_t len_value,
                   bool activations) {
    OnnxBuilder b(14);
    b.input("x", {-1, 2, input}, {"T"});
    b.input("h0", {2, 2, hidden});
    b.input("c0", {2, 2, hidden});
    b.initializer("w", {2, 4 * hidden, input},
                  converter_test::random_values(static_cast<size_t>(2 * 4 * hidden * input), 1));
    b.initializer("r", {2, 4 * hidden, hidden},
                  converter_test::random_values(static_cast<size_t>(2 * 4 * hidden * hidden), 2));
    b.initializer("b", {2, 8 * hidden},
                  converter_test::random_values(static_cast<size_t>(2 * 8 * hidden), 3));
    std::string lens_name;
    if (lens) {
      onnx::TensorProto* t = b.model().mutable_graph()->add_initializer();
      t->set_name("lens");
      t->set_data_type(onnx::TensorProto::INT32);
      t->add_dims(2);
      t->add_int32_data(static_cast<int32_t>(len_value));
      t->add_int32_data(static_cast<int32_t>(len_value));
      lens_name = "lens";
      b.model().mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()
          ->mutable_shape()->mutable_dim(0)->set_dim_value(5);
    }
    onnx::NodeProto& n = b.node("LSTM", {"x", "w", "r", "b", lens_name, "h0", "c0"}, outputs, "lstm");
    OnnxBuilder::attr(n, "hidden_size", hidden);
    OnnxBuilder::attr(n, "direction", std::string("bidirectional"));
    if (activations) {
      auto* a = n.add_attribute();
      a->set_name("activations");
      a->set_type(onnx::AttributeProto::STRINGS);
      for (const char* s : {"Sigmoid", "Tanh", "Relu", "Sigmoid", "Tanh", "Tanh"}) a->add_strings(s);
    }
    for (const auto& o : outputs)
      if (!o.empty()) b.output(o);
    return b;
  };

  {
    OnnxBuilder b = build({"", "y_h"}, false, 0, false);
    auto result = onnx_import::import_model(b.model());
    const graph::Graph& g = result.graph;
    REQUIRE(converter_test::count_ops(g, schema::OpType::LSTM) == 1);
    const graph::Node& node = g.nodes[0];
    REQUIRE(node.outputs.size() == 3);
    CHECK(g.tensors[static_cast<size_t>(node.outputs[0])].shape == Shape{kUnknownDim, 2, 2, hidden});
    CHECK(g.tensors[static_cast<size_t>(node.outputs[1])].name == "y_h");
    CHECK(g.tensors[static_cast<size_t>(node.outputs[1])].shape == Shape{2, 2, hidden});
    CHECK(g.tensors[static_cast<size_t>(node.outputs[2])].shape == Shape{2, 2, hidden});
    // The graph runs with a symbolic sequence length bound to 5.
    const HostTensor x = converter_test::random_tensor({5, 2, input}, 4);
    const HostTensor h0 = converter_test::random_tensor({2, 2, hidden}, 5);
    const HostTensor c0 = converter_test::random_tensor({2, 2, hidden}, 6);
    const auto out = converter_test::run_graph(g, {{"x", x}, {"h0", h0}, {"c0", c0}});
    CHECK(out.at("y_h").shape == Shape{2, 2, hidden});
  }
  {
    OnnxBuilder b = build({"y", "y_h", "y_c"}, true, 5, false);
    auto result = onnx_import::import_model(b.model());
    CHECK(result.graph.nodes[0].inputs[ops::kLstmSequenceLens] == -1);
    CHECK(result.graph.tensors[static_cast<size_t>(result.graph.nodes[0].outputs[0])].shape ==
          Shape{5, 2, 2, hidden});
  }
  {
    OnnxBuilder b = build({"y"}, true, 4, false);
    CHECK_THROWS_AS(onnx_import::import_model(b.model()), ConvertError);
  }
  {
    OnnxBuilder b = build({"y"}, false, 0, true);
    CHECK_THROWS_WITH_AS(onnx_import::import_model(b.model()),
                         doctest::Contains("unsupported attribute activations"), ConvertError);
  }
}

}  // namespace fennec
