// GGUF import: stories260K written as GGUF (llama architecture) with its
// matrices in F32, F16, Q8_0 or Q4_0 blocks quantized the way llama.cpp's
// reference quantizers do, imported back: F32 decodes exactly like the
// llama2.c import, Q8_0 and Q4_0 weights come back as exactly the values
// their blocks stand for (as int8 and int4 with the same scales), and the
// Vulkan decoder matches the CPU reference on them.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "common/ggml_blocks.h"
#include "common/gguf_writer.h"
#include "common/llm_check.h"
#include "llm/gguf.h"
#include "llm/llama2c.h"
#include "quant/formats.h"

using namespace fennec;
using fennec::testing::GgmlType;
using enum fennec::testing::GgmlType;

namespace {

const std::filesystem::path kStories = std::filesystem::path(FENNEC_FIXTURES_DIR) / "stories260K.bin";

// stories260K as a GGUF file whose matrices (but the embedding) are `type`;
// `expected` receives each tensor's values as its blocks stand for them.
// With arch "qwen2", the layers also get Q, K and V biases (seeded, of the
// weights' own magnitude) and the file's rotation is NEOX.
std::filesystem::path write_gguf(GgmlType type, std::map<std::string, std::vector<float>>& expected,
                                 const std::string& arch = "llama") {
  const llm_import::ImportedLlm m = llm_import::import_llama2c(kStories);
  const llm::LlmConfig& c = m.config;
  testing::GgufWriter w;
  w.decoder_shape(arch, static_cast<uint32_t>(c.dim), static_cast<uint32_t>(c.hidden_dim),
                  static_cast<uint32_t>(c.n_layers), static_cast<uint32_t>(c.n_heads),
                  static_cast<uint32_t>(c.n_kv_heads), static_cast<uint32_t>(c.context));
  w.f32(arch + ".attention.layer_norm_rms_epsilon", 1e-5f);
  if (arch == "qwen2") {
    std::mt19937 rng(5);
    std::normal_distribution<float> bias(0.0f, 0.1f);
    for (int l = 0; l < c.n_layers; ++l)
      for (const char* name : {"attn_q", "attn_k", "attn_v"}) {
        std::vector<float> values(static_cast<size_t>(name[5] == 'q' ? c.dim : c.kv_dim()));
        for (float& v : values) v = bias(rng);
        const std::string tensor = llm::layer_tensor(l, name) + ".bias";
        w.tensor(tensor, {values.size()}, kF32, testing::encode_ggml(kF32, values, expected[tensor]));
      }
  }
  for (const auto& t : m.graph.tensors) {
    if (!t.is_constant()) continue;
    std::vector<float> values(static_cast<size_t>(element_count(t.shape)));
    std::memcpy(values.data(), t.data, values.size() * 4);
    // Rows that are not whole blocks of 32 stay F32, as llama.cpp's
    // quantizer leaves them (ffn_down: 172 columns).
    const bool blocks = type == kF32 || type == kF16 || t.shape.back() % 32 == 0;
    const GgmlType as = t.shape.size() == 2 && blocks ? type : kF32;
    std::vector<uint64_t> dims;
    for (size_t d = t.shape.size(); d-- > 0;) dims.push_back(static_cast<uint64_t>(t.shape[d]));
    w.tensor(t.name + ".weight", dims, as, testing::encode_ggml(as, values, expected[t.name]));
  }
  const auto path = std::filesystem::temp_directory_path() / ("fennec_test_stories_" + arch + std::to_string(type) + ".gguf");
  w.write(path);
  return path;
}

}  // namespace

TEST_CASE("llm gguf: F32, F16, Q8_0 and Q4_0 tensors import as exactly the values their blocks stand for") {
  for (GgmlType type : {kF32, kF16, kQ8_0, kQ4_0}) {
    CAPTURE(static_cast<int>(type));
    std::map<std::string, std::vector<float>> expected;
    const auto path = write_gguf(type, expected);
    REQUIRE(llm_import::looks_like_gguf(path));
    const llm_import::ImportedLlm m = llm_import::import_gguf(path);
    const llm_import::ImportedLlm original = llm_import::import_llama2c(kStories);
    CHECK(m.config.dim == original.config.dim);
    CHECK(m.config.n_kv_heads == original.config.n_kv_heads);
    CHECK(m.config.vocab_size == original.config.vocab_size);
    size_t quantized = 0;
    for (size_t i = 0; i < m.graph.tensors.size(); ++i) {
      const auto& t = m.graph.tensors[i];
      if (!t.is_constant()) continue;
      quantized += t.is_quantized();
      const HostTensor value = m.graph.constant_value(static_cast<int>(i));
      const auto& want = expected.at(t.name);
      REQUIRE(value.bytes.size() == want.size() * 4);
      CHECK_MESSAGE(std::memcmp(value.bytes.data(), want.data(), value.bytes.size()) == 0, t.name);
    }
    // Q8_0 and Q4_0: 6 of 7 matrices x 5 layers and the embedding (also the
    // classifier), as int8 / int4 on the blocks' own scales.
    CHECK(quantized == (type == kQ4_0 || type == kQ8_0 ? 31u : 0u));

    // Decoding: the Vulkan decoder against the CPU reference on these weights.
    testing::check_greedy(m.graph, m.config, 30, 1e-4);
  }
}

TEST_CASE("llm gguf: qwen2 (Q, K and V biases, NEOX rotation) decodes on Vulkan as the CPU reference does") {
  for (GgmlType type : {kF32, kQ8_0}) {
    CAPTURE(static_cast<int>(type));
    std::map<std::string, std::vector<float>> expected;
    const llm_import::ImportedLlm m = llm_import::import_gguf(write_gguf(type, expected, "qwen2"));
    CHECK(m.config.arch == "qwen2");
    CHECK(m.config.rope_neox);
    auto weights = llm::find_weights(m.graph, m.config);
    REQUIRE(weights.ok());
    for (const auto& layer : weights.value().layers) {
      CHECK(layer.bq >= 0);
      CHECK(layer.bk >= 0);
      CHECK(layer.bv >= 0);
    }
    // The biases change the model: its logits are not llama's.
    auto plain = llm::ReferenceDecoder::create(llm_import::import_llama2c(kStories).graph, m.config);
    auto biased = llm::ReferenceDecoder::create(m.graph, m.config);
    REQUIRE(plain.ok());
    REQUIRE(biased.ok());
    CHECK(testing::relative_error(plain.value().forward(1, 0), biased.value().forward(1, 0)) > 1e-3);
    testing::check_greedy(m.graph, m.config, 30, 1e-4);
  }
}

TEST_CASE("llm gguf: bad files are refused with the reason") {
  std::map<std::string, std::vector<float>> expected;
  const auto path = write_gguf(kF32, expected);
  const auto cut = std::filesystem::temp_directory_path() / "fennec_test_truncated.gguf";
  std::filesystem::copy_file(path, cut, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::resize_file(cut, std::filesystem::file_size(path) - 1000);
  CHECK_THROWS_WITH(llm_import::import_gguf(cut), doctest::Contains("truncated"));
  std::filesystem::resize_file(cut, 100);
  CHECK_THROWS_WITH(llm_import::import_gguf(cut), doctest::Contains("truncated"));
}
