// GGML's K block formats (Q2_K ... Q6_K) against llama.cpp's own decoder:
// gguf-py's quants.py from the llama.cpp bundle (fetched by
// scripts/fetch-models.sh into <models>/llama-gguf-py) decodes the same
// random blocks, run by tests/tools/ggml_dequantize.py. Then a GGUF file with
// K-format matrices imports with its values kept to within the int8
// re-quantization error the importer reports, and decodes on Vulkan as the
// CPU reference does.
#include <doctest/doctest.h>

#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "common/gguf_writer.h"
#include "common/llm_check.h"
#include "llm/ggml_kquants.h"
#include "llm/gguf.h"
#include "models/model_test_util.h"
#include "quant/formats.h"

namespace fennec::model_test {
namespace {

using llm_import::kSuperBlock;

// Random super-blocks whose fp16 scales are finite and small (the rest of
// the bytes, codes and packed sub-block scales, fully random).
std::vector<uint8_t> random_blocks(uint32_t type, size_t blocks, uint32_t seed) {
  const size_t bytes = llm_import::kquant_block_bytes(type);
  std::vector<uint8_t> raw(blocks * bytes);
  std::mt19937 rng(seed);
  for (uint8_t& b : raw) b = static_cast<uint8_t>(rng());
  std::uniform_real_distribution<float> scale(1e-4f, 2e-3f);
  // Where each format keeps its fp16 scales.
  std::vector<size_t> at;
  switch (type) {
    case llm_import::kQ2_K: at = {80, 82}; break;
    case llm_import::kQ3_K: at = {108}; break;
    case llm_import::kQ4_K:
    case llm_import::kQ5_K: at = {0, 2}; break;
    case llm_import::kQ6_K: at = {208}; break;
  }
  for (size_t b = 0; b < blocks; ++b)
    for (size_t offset : at) {
      const uint16_t h = quant::float_to_fp16(scale(rng));
      std::memcpy(&raw[b * bytes + offset], &h, 2);
    }
  return raw;
}

// gguf-py's values for `raw`.
std::vector<float> reference_values(uint32_t type, const std::vector<uint8_t>& raw) {
  const Tools& t = tools();
  const fs::path gguf_py = t.models / "llama-gguf-py";
  REQUIRE_MESSAGE(fs::exists(gguf_py / "quants.py"), gguf_py << " is missing: run scripts/fetch-models.sh");
  const fs::path dir = t.work / "kquants";
  fs::create_directories(dir);
  const std::string name = llm_import::kquant_name(type);
  const fs::path in = dir / (name + ".bin"), out = dir / (name + ".npy");
  std::ofstream(in, std::ios::binary).write(reinterpret_cast<const char*>(raw.data()),
                                            static_cast<std::streamsize>(raw.size()));
  const fs::path script = t.source / "tests" / "tools" / "ggml_dequantize.py";
  const Command run = run_command("/usr/bin/python3 " + quote(script.string()) + " " + quote(gguf_py.string()) + " " +
                                  name + " " + quote(in.string()) + " " + quote(out.string()));
  REQUIRE_MESSAGE(run.status == 0, run.output);
  return read_npy(out).data;
}

constexpr uint32_t kTypes[] = {llm_import::kQ2_K, llm_import::kQ3_K, llm_import::kQ4_K, llm_import::kQ5_K,
                               llm_import::kQ6_K};

}  // namespace

TEST_SUITE("models") {
  TEST_CASE("gguf K formats: Q2_K to Q6_K decode exactly as llama.cpp's gguf-py decodes them") {
    for (uint32_t type : kTypes) {
      CAPTURE(llm_import::kquant_name(type));
      const size_t blocks = 64;
      const std::vector<uint8_t> raw = random_blocks(type, blocks, 100 + type);
      const std::vector<float> expected = reference_values(type, raw);
      REQUIRE(expected.size() == blocks * kSuperBlock);
      std::vector<float> got(blocks * kSuperBlock);
      llm_import::dequantize_kquant(type, raw.data(), blocks, got.data());
      size_t differ = 0;
      for (size_t i = 0; i < got.size(); ++i) differ += std::memcmp(&got[i], &expected[i], 4) != 0;
      CHECK_MESSAGE(differ == 0, differ << " of " << got.size() << " values differ");
    }
  }

  TEST_CASE("gguf K formats: a model with K-format matrices imports within the reported error and decodes") {
    // dim 256, 2 layers, 4 heads (2 KV heads), hidden 512, vocab 320: every
    // matrix row a whole super-block; each layer's matrices cycle through
    // the five K formats.
    const int dim = 256, hidden = 512, layers = 2, heads = 4, kv_heads = 2, vocab = 320;
    const int kv = dim / heads * kv_heads;
    testing::GgufWriter w;
    w.decoder_shape("llama", dim, hidden, layers, heads, kv_heads, 64);
    std::map<std::string, std::vector<float>> expected;
    size_t next = 0;
    auto matrix = [&](const std::string& name, int rows, int cols) {
      const uint32_t type = kTypes[next++ % 5];
      const size_t blocks = static_cast<size_t>(rows) * static_cast<size_t>(cols) / kSuperBlock;
      const std::vector<uint8_t> raw = random_blocks(type, blocks, static_cast<uint32_t>(next));
      expected[name] = reference_values(type, raw);
      w.tensor(name + ".weight", {static_cast<uint64_t>(cols), static_cast<uint64_t>(rows)}, type,
               std::string(reinterpret_cast<const char*>(raw.data()), raw.size()));
    };
    auto norm = [&](const std::string& name) {
      const std::vector<float> ones(dim, 1.0f);
      w.tensor(name + ".weight", {static_cast<uint64_t>(dim)}, 0,
               std::string(reinterpret_cast<const char*>(ones.data()), ones.size() * 4));
    };
    matrix("token_embd", vocab, dim);
    for (int l = 0; l < layers; ++l) {
      const std::string p = "blk." + std::to_string(l) + ".";
      norm(p + "attn_norm");
      matrix(p + "attn_q", dim, dim);
      matrix(p + "attn_k", kv, dim);
      matrix(p + "attn_v", kv, dim);
      matrix(p + "attn_output", dim, dim);
      norm(p + "ffn_norm");
      matrix(p + "ffn_gate", hidden, dim);
      matrix(p + "ffn_up", hidden, dim);
      matrix(p + "ffn_down", dim, hidden);
    }
    norm("output_norm");
    matrix("output", vocab, dim);
    const fs::path path = tools().work / "kquants" / "model.gguf";
    w.write(path);

    const llm_import::ImportedLlm m = llm_import::import_gguf(path);
    REQUIRE(m.requantized.size() == 5);
    int tensors = 0;
    for (const auto& r : m.requantized) {
      MESSAGE(r.type << " -> " << r.format << ": " << r.tensors << " tensors, weight NMSE " << r.nmse());
      tensors += r.tensors;
      CHECK(r.nmse() > 0.0);
      CHECK(r.nmse() < 1e-4);
    }
    CHECK(tensors == static_cast<int>(next));
    for (const auto& [name, want] : expected) {
      const int index = m.graph.find_tensor(name);
      REQUIRE(index >= 0);
      CHECK(m.graph.tensors[static_cast<size_t>(index)].is_quantized());
      const HostTensor value = m.graph.constant_value(index);
      const float* got = reinterpret_cast<const float*>(value.bytes.data());
      double error = 0.0, norm2 = 0.0;
      for (size_t i = 0; i < want.size(); ++i) {
        error += (got[i] - want[i]) * static_cast<double>(got[i] - want[i]);
        norm2 += want[i] * static_cast<double>(want[i]);
      }
      CHECK_MESSAGE(error / norm2 < 1e-4, name);
    }
    // Without re-quantization (for --quantize), the matrices keep gguf-py's
    // exact values, as float32; the token embedding is still re-quantized.
    const llm_import::ImportedLlm exact = llm_import::import_gguf(path, {.requantize_kquants = false});
    for (const auto& [name, want] : expected) {
      const int index = exact.graph.find_tensor(name);
      CHECK(exact.graph.tensors[static_cast<size_t>(index)].is_quantized() == (name == "token_embd"));
      if (name == "token_embd") continue;
      const HostTensor value = exact.graph.constant_value(index);
      CHECK_MESSAGE(std::memcmp(value.bytes.data(), want.data(), want.size() * 4) == 0, name);
    }
    testing::check_greedy(m.graph, m.config, 16, 1e-4);
  }
}

}  // namespace fennec::model_test
