// Hugging Face layout import: stories260K (a llama2.c checkpoint, whose Q
// and K rows rotate consecutive pairs) rewritten the way Hugging Face's
// Llama conversion stores it (config.json + model.safetensors, Q and K rows
// of each head reordered so that rotating (i, i + head_dim / 2) is the same
// map) must give the llama2.c import's logits, and decode on Vulkan as the
// CPU reference does.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/llm_check.h"
#include "llm/hf.h"
#include "llm/llama2c.h"
#include "quant/formats.h"

using namespace fennec;
namespace fs = std::filesystem;

namespace {

const fs::path kStories = fs::path(FENNEC_FIXTURES_DIR) / "stories260K.bin";

std::vector<float> values_of(const graph::Graph& g, const std::string& name) {
  const HostTensor t = g.constant_value(g.find_tensor(name));
  std::vector<float> v(t.bytes.size() / 4);
  std::memcpy(v.data(), t.bytes.data(), t.bytes.size());
  return v;
}

// Rows of [heads * head_dim, cols] from pair order (2i, 2i + 1) to halves
// order (i, i + head_dim / 2).
std::vector<float> to_halves(const std::vector<float>& w, int heads, int head_dim, int cols) {
  std::vector<float> out(w.size());
  for (int h = 0; h < heads; ++h)
    for (int i = 0; i < head_dim / 2; ++i)
      for (int s = 0; s < 2; ++s)
        std::memcpy(&out[static_cast<size_t>(h * head_dim + s * head_dim / 2 + i) * cols],
                    &w[static_cast<size_t>(h * head_dim + 2 * i + s) * cols], static_cast<size_t>(cols) * 4);
  return out;
}

// Seeded Q, K and V biases for stories260K (in its own, pair order), added
// to `m` as the decoder names them.
void add_biases(llm_import::ImportedLlm& m) {
  std::mt19937 rng(9);
  std::normal_distribution<float> normal(0.0f, 0.2f);
  for (int l = 0; l < m.config.n_layers; ++l)
    for (const char* name : {"attn_q", "attn_k", "attn_v"}) {
      HostTensor bias(DataType::FLOAT32, {name[5] == 'q' ? m.config.dim : m.config.kv_dim()});
      for (float& v : bias.as<float>()) v = normal(rng);
      m.graph.add_constant(llm::layer_tensor(l, name) + ".bias", bias);
    }
}

// stories260K as a Hugging Face directory, tensors in `dtype` (F32 or BF16);
// with `biases` (add_biases) as a Qwen2 model.
fs::path write_hf(const std::string& dtype, nlohmann::json config_changes = nlohmann::json::object(),
                  bool biases = false) {
  llm_import::ImportedLlm m = llm_import::import_llama2c(kStories);
  if (biases) add_biases(m);
  const llm::LlmConfig& c = m.config;
  const fs::path dir = fs::temp_directory_path() / ("fennec_test_hf_" + dtype + (biases ? "_qwen2" : ""));
  fs::remove_all(dir);
  fs::create_directories(dir);
  nlohmann::json config = {{"architectures", {"LlamaForCausalLM"}},
                           {"model_type", "llama"},
                           {"hidden_size", c.dim},
                           {"intermediate_size", c.hidden_dim},
                           {"num_hidden_layers", c.n_layers},
                           {"num_attention_heads", c.n_heads},
                           {"num_key_value_heads", c.n_kv_heads},
                           {"vocab_size", c.vocab_size},
                           {"max_position_embeddings", c.context},
                           {"rms_norm_eps", 1e-5},
                           {"rope_theta", 10000.0},
                           {"hidden_act", "silu"},
                           {"tie_word_embeddings", true},
                           {"rope_scaling", nullptr},
                           {"bos_token_id", 1},
                           {"eos_token_id", 2}};
  if (biases) config["model_type"] = "qwen2";
  config.update(config_changes);
  std::ofstream(dir / "config.json") << config.dump(2);

  nlohmann::json header = nlohmann::json::object();
  std::string data;
  auto add = [&](const std::string& name, const Shape& shape, const std::vector<float>& v) {
    const size_t begin = data.size();
    for (float x : v) {
      if (dtype == "F32") {
        data.append(reinterpret_cast<const char*>(&x), 4);
      } else {  // BF16: the top half, rounded to nearest even
        uint32_t bits;
        std::memcpy(&bits, &x, 4);
        const uint16_t b = static_cast<uint16_t>((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
        data.append(reinterpret_cast<const char*>(&b), 2);
      }
    }
    header[name] = {{"dtype", dtype}, {"shape", shape}, {"data_offsets", {begin, data.size()}}};
  };
  const int hd = c.head_dim();
  add("model.embed_tokens.weight", {c.vocab_size, c.dim}, values_of(m.graph, "token_embd"));
  add("model.norm.weight", {c.dim}, values_of(m.graph, "output_norm"));
  add("model.layers.0.self_attn.rotary_emb.inv_freq", {hd / 2}, std::vector<float>(static_cast<size_t>(hd / 2), 1.0f));
  const char* names[][2] = {{"attn_norm", "input_layernorm"},   {"attn_v", "self_attn.v_proj"},
                            {"attn_output", "self_attn.o_proj"}, {"ffn_norm", "post_attention_layernorm"},
                            {"ffn_gate", "mlp.gate_proj"},       {"ffn_up", "mlp.up_proj"},
                            {"ffn_down", "mlp.down_proj"}};
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    for (const auto& [ours, theirs] : names) {
      const std::string name = llm::layer_tensor(l, ours);
      add(p + theirs + ".weight", m.graph.tensors[static_cast<size_t>(m.graph.find_tensor(name))].shape,
          values_of(m.graph, name));
    }
    add(p + "self_attn.q_proj.weight", {c.dim, c.dim},
        to_halves(values_of(m.graph, llm::layer_tensor(l, "attn_q")), c.n_heads, hd, c.dim));
    add(p + "self_attn.k_proj.weight", {c.kv_dim(), c.dim},
        to_halves(values_of(m.graph, llm::layer_tensor(l, "attn_k")), c.n_kv_heads, hd, c.dim));
    if (biases) {  // q and k biases in the halves order of their rows
      add(p + "self_attn.q_proj.bias", {c.dim},
          to_halves(values_of(m.graph, llm::layer_tensor(l, "attn_q") + ".bias"), c.n_heads, hd, 1));
      add(p + "self_attn.k_proj.bias", {c.kv_dim()},
          to_halves(values_of(m.graph, llm::layer_tensor(l, "attn_k") + ".bias"), c.n_kv_heads, hd, 1));
      add(p + "self_attn.v_proj.bias", {c.kv_dim()}, values_of(m.graph, llm::layer_tensor(l, "attn_v") + ".bias"));
    }
  }
  header["__metadata__"] = {{"format", "pt"}};
  const std::string text = header.dump();
  const uint64_t n = text.size();
  std::ofstream out(dir / "model.safetensors", std::ios::binary);
  out.write(reinterpret_cast<const char*>(&n), 8);
  out << text << data;
  return dir;
}

}  // namespace

TEST_CASE("llm hf: a Hugging Face Llama directory gives the llama2.c checkpoint's logits, and decodes on Vulkan") {
  const llm_import::ImportedLlm original = llm_import::import_llama2c(kStories);
  for (const std::string dtype : {"F32", "BF16"}) {
    CAPTURE(dtype);
    const fs::path dir = write_hf(dtype);
    REQUIRE(llm_import::looks_like_hf(dir));
    const llm_import::ImportedLlm m = llm_import::import_hf(dir);
    CHECK(m.config.rope_neox);
    CHECK(m.config.dim == original.config.dim);
    CHECK(m.graph.find_tensor("output") < 0);  // tied
    REQUIRE(m.notes.size() == 1);              // no tokenizer.json
    auto expected = llm::ReferenceDecoder::create(original.graph, original.config);
    auto actual = llm::ReferenceDecoder::create(m.graph, m.config);
    REQUIRE(expected.ok());
    REQUIRE(actual.ok());
    const bool bf16 = dtype == "BF16";
    if (bf16)  // every value is the float32 one rounded to BF16
      for (const char* name : {"token_embd", "blk.2.attn_v", "blk.4.ffn_down"}) {
        const std::vector<float> want = values_of(original.graph, name), got = values_of(m.graph, name);
        REQUIRE(want.size() == got.size());
        size_t differ = 0;
        for (size_t i = 0; i < want.size(); ++i) {
          uint32_t bits;
          std::memcpy(&bits, &want[i], 4);
          bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000u;
          float rounded;
          std::memcpy(&rounded, &bits, 4);
          differ += rounded != got[i];
        }
        CHECK_MESSAGE(differ == 0, name);
      }
    int token = 1;
    double worst = 0.0;
    for (int pos = 0; pos < 24; ++pos) {
      const std::vector<float>& want = expected.value().forward(token, pos);
      const std::vector<float>& got = actual.value().forward(token, pos);
      worst = std::max(worst, testing::relative_error(want, got));
      token = llm::argmax(want);
    }
    MESSAGE(dtype << ": worst logits difference from the llama2.c import " << worst << " relative");
    // The rows in halves order with NEOX rotation are the same model; BF16
    // weights are not (they move the logits by about 10% over 24 steps).
    if (!bf16) CHECK(worst <= 1e-5);
    if (bf16) testing::check_greedy(m.graph, m.config, 24, 1e-4);
  }
}

TEST_CASE("llm hf: a Qwen2 directory (Q, K and V biases) gives the logits of the same model in pair order") {
  llm_import::ImportedLlm original = llm_import::import_llama2c(kStories);
  add_biases(original);
  const llm_import::ImportedLlm m = llm_import::import_hf(write_hf("F32", nlohmann::json::object(), true));
  CHECK(m.config.arch == "qwen2");
  auto expected = llm::ReferenceDecoder::create(original.graph, original.config);
  auto actual = llm::ReferenceDecoder::create(m.graph, m.config);
  REQUIRE(expected.ok());
  REQUIRE(actual.ok());
  int token = 1;
  double worst = 0.0;
  for (int pos = 0; pos < 24; ++pos) {
    const std::vector<float>& want = expected.value().forward(token, pos);
    worst = std::max(worst, testing::relative_error(want, actual.value().forward(token, pos)));
    token = llm::argmax(want);
  }
  MESSAGE("qwen2: worst logits difference from the pair-order model " << worst << " relative");
  CHECK(worst <= 1e-5);
  testing::check_greedy(m.graph, m.config, 16, 1e-4);
}

TEST_CASE("llm hf: what the importer cannot run is refused with the reason") {
  CHECK_THROWS_WITH(llm_import::import_hf(write_hf("F32", {{"rope_scaling", {{"type", "linear"}, {"factor", 2.0}}}})),
                    doctest::Contains("rope_scaling"));
  CHECK_THROWS_WITH(llm_import::import_hf(write_hf("F32", {{"model_type", "gemma"}})),
                    doctest::Contains("model_type \"gemma\" is not supported"));
  CHECK_THROWS_WITH(llm_import::import_hf(write_hf("F32", {{"tie_word_embeddings", false}})),
                    doctest::Contains("lm_head.weight is missing"));
  CHECK_THROWS_WITH(llm_import::import_hf(write_hf("F32", {{"hidden_act", "gelu"}})),
                    doctest::Contains("only silu"));
}
