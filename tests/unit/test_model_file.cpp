// Loader checks on hand-built model images: a valid one loads, and truncated,
// corrupted, wrong-identifier or out-of-bounds ones fail with clear errors.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "base/align.h"
#include "model/model_file.h"

using namespace fennec;

namespace {

// A one-node graph: y = RELU(x + c) where c is a 4-float constant.
std::vector<std::byte> build_image(const char* identifier = nullptr, uint32_t version = model::kSchemaVersion,
                                   uint64_t constant_offset = 0) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.ForceDefaults(true);
  auto dims = [&](std::vector<int64_t> values) {
    std::vector<flatbuffers::Offset<schema::Dim>> d;
    for (int64_t v : values) d.push_back(schema::CreateDim(fbb, v, v < 0 ? fbb.CreateString("n") : 0));
    return fbb.CreateVector(d);
  };
  schema::Buffer buffer(constant_offset, 16);
  std::vector<flatbuffers::Offset<schema::Tensor>> tensors = {
      schema::CreateTensor(fbb, fbb.CreateString("x"), schema::DataType::FLOAT32, dims({-1, 4})),
      schema::CreateTensor(fbb, fbb.CreateString("c"), schema::DataType::FLOAT32, dims({4}), true, &buffer),
      schema::CreateTensor(fbb, fbb.CreateString("s"), schema::DataType::FLOAT32, dims({-1, 4})),
      schema::CreateTensor(fbb, fbb.CreateString("y"), schema::DataType::FLOAT32, dims({-1, 4})),
  };
  std::vector<flatbuffers::Offset<schema::Operator>> ops = {
      schema::CreateOperator(fbb, schema::OpType::ADD, fbb.CreateString("add"), fbb.CreateVector<int32_t>({0, 1}),
                             fbb.CreateVector<int32_t>({2}), schema::OpOptions::BinaryOptions,
                             schema::CreateBinaryOptions(fbb).Union()),
      schema::CreateOperator(fbb, schema::OpType::RELU, fbb.CreateString("relu"), fbb.CreateVector<int32_t>({2}),
                             fbb.CreateVector<int32_t>({3})),
  };
  auto graph = schema::CreateGraph(fbb, fbb.CreateVector(tensors), fbb.CreateVector(ops),
                                   fbb.CreateVector<int32_t>({0}), fbb.CreateVector<int32_t>({3}));
  auto root = schema::CreateModel(fbb, version, fbb.CreateString("test"), graph, 0, 1, 16);
  fbb.FinishSizePrefixed(root, identifier ? identifier : schema::ModelIdentifier());
  const uint64_t weights_offset = align_up(fbb.GetSize(), kWeightAlignment);
  std::vector<std::byte> image(weights_offset + 16);
  std::memcpy(image.data(), fbb.GetBufferPointer(), fbb.GetSize());
  schema::GetMutableSizePrefixedModel(image.data())->mutate_weights_offset(weights_offset);
  const float c[4] = {1, -2, 3, -4};
  std::memcpy(image.data() + weights_offset, c, sizeof(c));
  return image;
}

std::string load_error(const std::vector<std::byte>& image) {
  auto file = model::ModelFile::from_memory(image, "test.fennec");
  if (!file.ok()) return file.status().message();
  auto graph = file.value()->to_graph();
  return graph.ok() ? "" : graph.status().message();
}

}  // namespace

TEST_CASE("model_file: a valid image loads into a graph") {
  auto image = build_image();
  auto file = model::ModelFile::from_memory(image, "test.fennec");
  REQUIRE(file.ok());
  auto graph = file.value()->to_graph();
  REQUIRE_MESSAGE(graph.ok(), graph.status().to_string());
  CHECK(graph->nodes.size() == 2);
  CHECK(graph->tensors[0].shape == Shape{kUnknownDim, 4});
  CHECK(graph->tensors[0].dim_symbols[0] == "n");
  REQUIRE(graph->tensors[1].is_constant());
  CHECK(reinterpret_cast<const float*>(graph->tensors[1].data)[2] == 3.0f);
}

TEST_CASE("model_file: truncated images fail cleanly") {
  auto image = build_image();
  for (size_t keep : {size_t{0}, size_t{5}, size_t{11}, size_t{40}, image.size() / 2, image.size() - 8}) {
    std::vector<std::byte> cut(image.begin(), image.begin() + static_cast<std::ptrdiff_t>(keep));
    const std::string error = load_error(cut);
    CHECK_MESSAGE(!error.empty(), "keep=" << keep);
  }
  CHECK(load_error(std::vector<std::byte>(image.begin(), image.begin() + 5)).find("too short") != std::string::npos);
  CHECK(load_error(std::vector<std::byte>(image.begin(), image.end() - 8)).find("weight section") != std::string::npos);
}

TEST_CASE("model_file: wrong identifier and schema version are named") {
  CHECK(load_error(build_image("ONNX")).find("file identifier") != std::string::npos);
  CHECK(load_error(build_image(nullptr, 99)).find("schema version 99") != std::string::npos);
}

TEST_CASE("model_file: corrupted bytes never load silently wrong") {
  auto image = build_image();
  const uint32_t fb_size = *reinterpret_cast<const uint32_t*>(image.data());
  int rejected = 0;
  // Flip every byte of the FlatBuffer in turn; loading must either fail with
  // a message or produce a graph that passes validation (a flipped float or
  // name is still a well-formed file).
  for (size_t i = 12; i < fb_size + 4; ++i) {
    auto bad = image;
    bad[i] = static_cast<std::byte>(static_cast<uint8_t>(bad[i]) ^ 0xA5);
    auto file = model::ModelFile::from_memory(bad, "bad.fennec");
    if (!file.ok()) {
      ++rejected;
      CHECK(!file.status().message().empty());
      continue;
    }
    auto graph = file.value()->to_graph();
    if (!graph.ok()) ++rejected;
  }
  CHECK(rejected > 0);
}

TEST_CASE("model_file: a constant outside the weight section is rejected") {
  CHECK(load_error(build_image(nullptr, model::kSchemaVersion, 64)).find("outside the weight section") !=
        std::string::npos);
}
