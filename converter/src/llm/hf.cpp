#include "llm/hf.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "llm/hf_tokenizer.h"
#include "passes/convert_error.h"
#include "quant/formats.h"

namespace fennec::llm_import {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& why) {
  throw converter::ConvertError("'" + file.string() + "': " + why);
}

json read_json(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(file, "cannot open it");
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    fail(file, std::string("not valid JSON: ") + e.what());
  }
}

// The decoder's name for a Hugging Face tensor name, or "" for tensors the
// decoder does not use (rotary caches).
std::string decoder_name(const std::string& hf, const std::filesystem::path& file) {
  if (hf == "model.embed_tokens.weight") return "token_embd";
  if (hf == "model.norm.weight") return "output_norm";
  if (hf == "lm_head.weight") return "output";
  if (hf.find(".rotary_emb.") != std::string::npos) return "";
  static const std::regex layer(R"(model\.layers\.(\d+)\.(.+)\.(weight|bias))");
  std::smatch m;
  if (!std::regex_match(hf, m, layer)) fail(file, "tensor '" + hf + "' is not one of a Llama-family decoder's");
  static const std::map<std::string, std::string> roles = {
      {"input_layernorm", "attn_norm"},      {"self_attn.q_proj", "attn_q"},
      {"self_attn.k_proj", "attn_k"},        {"self_attn.v_proj", "attn_v"},
      {"self_attn.o_proj", "attn_output"},   {"post_attention_layernorm", "ffn_norm"},
      {"mlp.gate_proj", "ffn_gate"},         {"mlp.up_proj", "ffn_up"},
      {"mlp.down_proj", "ffn_down"}};
  const auto role = roles.find(m[2]);
  if (role == roles.end()) fail(file, "tensor '" + hf + "' is not one of a Llama-family decoder's");
  std::string name = "blk." + m[1].str() + "." + role->second;
  if (m[3] == "bias") {
    if (role->second != "attn_q" && role->second != "attn_k" && role->second != "attn_v")
      fail(file, "tensor '" + hf + "': only the q, k and v projections may have biases");
    name += ".bias";
  }
  return name;
}

// Reads every tensor of one .safetensors file into `out` (as float32).
void read_safetensors(const std::filesystem::path& file, ImportedLlm& out) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(file, "cannot open it");
  uint64_t header_bytes = 0;
  if (!in.read(reinterpret_cast<char*>(&header_bytes), 8)) fail(file, "truncated safetensors header");
  if (header_bytes > (100u << 20)) fail(file, "a header of " + std::to_string(header_bytes) + " bytes");
  std::string header(header_bytes, '\0');
  if (!in.read(header.data(), static_cast<std::streamsize>(header_bytes))) fail(file, "truncated safetensors header");
  json tensors;
  try {
    tensors = json::parse(header);
  } catch (const json::exception& e) {
    fail(file, std::string("the safetensors header is not valid JSON: ") + e.what());
  }
  const uint64_t data_start = 8 + header_bytes;
  const uint64_t file_bytes = std::filesystem::file_size(file);
  for (const auto& [hf_name, info] : tensors.items()) {
    if (hf_name == "__metadata__") continue;
    const std::string name = decoder_name(hf_name, file);
    if (name.empty()) continue;
    const std::string dtype = info.at("dtype").get<std::string>();
    const auto dims = info.at("shape").get<std::vector<int64_t>>();
    const auto offsets = info.at("data_offsets").get<std::vector<uint64_t>>();
    Shape shape(dims.begin(), dims.end());
    const uint64_t n = static_cast<uint64_t>(element_count(shape));
    const size_t width = dtype == "F32" ? 4 : (dtype == "F16" || dtype == "BF16") ? 2 : 0;
    if (width == 0) fail(file, "tensor '" + hf_name + "' is " + dtype + " (F32, F16 and BF16 are read)");
    if (offsets.size() != 2 || offsets[1] - offsets[0] != n * width || data_start + offsets[1] > file_bytes)
      fail(file, "tensor '" + hf_name + "' has data offsets that do not match its shape and the file");
    std::vector<uint8_t> raw(n * width);
    in.seekg(static_cast<std::streamoff>(data_start + offsets[0]));
    if (!in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(raw.size())))
      fail(file, "truncated tensor data");
    HostTensor tensor(DataType::FLOAT32, shape);
    float* values = reinterpret_cast<float*>(tensor.bytes.data());
    if (width == 4) {
      std::memcpy(values, raw.data(), raw.size());
    } else {
      float (*widen)(uint16_t) = dtype == "F16" ? quant::fp16_to_float : quant::bf16_to_float;
      for (uint64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, &raw[i * 2], 2);
        values[i] = widen(h);
      }
    }
    if (out.graph.find_tensor(name) >= 0) fail(file, "tensor '" + hf_name + "' appears twice");
    out.graph.add_constant(name, tensor);
  }
}

// An integer field of config.json, or `fallback` when absent (required:
// an error). eos_token_id may be a list: its first entry.
int64_t config_int(const json& config, const char* key, const std::filesystem::path& file, bool required,
                   int64_t fallback) {
  const auto it = config.find(key);
  if (it == config.end() || it->is_null()) {
    if (required) fail(file, std::string("\"") + key + "\" is missing");
    return fallback;
  }
  if (it->is_array() && !it->empty() && (*it)[0].is_number_integer()) return (*it)[0].get<int64_t>();
  if (!it->is_number_integer()) fail(file, std::string("\"") + key + "\" is not an integer");
  return it->get<int64_t>();
}

}  // namespace

bool looks_like_hf(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec) && std::filesystem::exists(path / "config.json", ec);
}

ImportedLlm import_hf(const std::filesystem::path& dir) {
  const std::filesystem::path config_file = dir / "config.json";
  const json config = read_json(config_file);
  const std::string model_type = config.value("model_type", "");
  if (model_type != "llama" && model_type != "mistral" && model_type != "qwen2")
    fail(config_file, "model_type \"" + model_type + "\" is not supported (llama, mistral and qwen2 are)");
  if (config.value("hidden_act", "silu") != "silu")
    fail(config_file, "hidden_act \"" + config.value("hidden_act", "") + "\": only silu (SwiGLU) is supported");
  if (config.contains("rope_scaling") && !config["rope_scaling"].is_null())
    fail(config_file, "rope_scaling " + config["rope_scaling"].dump() + " is not supported");

  ImportedLlm out;
  llm::LlmConfig& c = out.config;
  c.arch = model_type;
  c.dim = static_cast<int>(config_int(config, "hidden_size", config_file, true, 0));
  c.hidden_dim = static_cast<int>(config_int(config, "intermediate_size", config_file, true, 0));
  c.n_layers = static_cast<int>(config_int(config, "num_hidden_layers", config_file, true, 0));
  c.n_heads = static_cast<int>(config_int(config, "num_attention_heads", config_file, true, 0));
  c.n_kv_heads = static_cast<int>(config_int(config, "num_key_value_heads", config_file, false, c.n_heads));
  c.vocab_size = static_cast<int>(config_int(config, "vocab_size", config_file, true, 0));
  c.context = static_cast<int>(config_int(config, "max_position_embeddings", config_file, true, 0));
  // Mistral's sliding window: attention reaches that far back at most, so
  // the context stops there (the decoder attends to every cached position).
  const int64_t window = config_int(config, "sliding_window", config_file, false, 0);
  if (window > 0 && window < c.context && config.value("use_sliding_window", model_type == "mistral"))
    c.context = static_cast<int>(window);
  c.norm_eps = config.value("rms_norm_eps", 1e-6f);
  c.rope_theta = config.value("rope_theta", 10000.0f);
  c.rope_neox = true;
  c.bos_token = static_cast<int>(config_int(config, "bos_token_id", config_file, false, 1));
  c.eos_token = static_cast<int>(config_int(config, "eos_token_id", config_file, false, 2));
  if (c.n_heads > 0 && config_int(config, "head_dim", config_file, false, c.dim / c.n_heads) != c.dim / c.n_heads)
    fail(config_file, "head_dim differs from hidden_size / num_attention_heads, which is not supported");
  const Status valid = c.validate();
  if (!valid.ok()) fail(config_file, valid.message());

  std::vector<std::filesystem::path> shards;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".safetensors") shards.push_back(entry.path());
  if (shards.empty()) fail(dir, "no *.safetensors files beside config.json");
  std::sort(shards.begin(), shards.end());
  for (const auto& shard : shards) read_safetensors(shard, out);
  const bool tied = config.value("tie_word_embeddings", false);
  if (tied && out.graph.find_tensor("output") >= 0)
    fail(dir, "tie_word_embeddings is true but the files also hold lm_head.weight");
  if (!tied && out.graph.find_tensor("output") < 0)
    fail(dir, "lm_head.weight is missing (and tie_word_embeddings is not set)");

  // tokenizer_config.json: the chat template (a string, or named templates
  // of which "default" is the one) and whether prompts start with BOS.
  const std::filesystem::path tokenizer_config = dir / "tokenizer_config.json";
  int bos_from_config = -1;  // -1: not said
  if (std::filesystem::exists(tokenizer_config)) {
    const json tc = read_json(tokenizer_config);
    if (tc.contains("chat_template") && tc["chat_template"].is_string()) {
      out.chat_template = tc["chat_template"].get<std::string>();
    } else if (tc.contains("chat_template") && tc["chat_template"].is_array()) {
      for (const json& t : tc["chat_template"])
        if (t.value("name", "") == "default") out.chat_template = t.value("template", "");
    }
    if (tc.contains("add_bos_token")) bos_from_config = tc.value("add_bos_token", false) ? 1 : 0;
  }
  const std::filesystem::path tokenizer = dir / "tokenizer.json";
  if (std::filesystem::exists(tokenizer)) {
    std::string why;
    const json tokenizer_json = read_json(tokenizer);
    if (read_hf_tokenizer(tokenizer_json, out.vocabulary, why)) {
      // Without add_bos_token, prompts start with BOS when the tokenizer's
      // post-processor puts it there.
      const bool bos_known = c.bos_token < static_cast<int>(out.vocabulary.tokens.size());
      c.add_bos = bos_from_config >= 0 ? bos_from_config == 1
                  : bos_known && tokenizer_json.contains("post_processor") &&
                        tokenizer_json["post_processor"].dump().find(
                            json(out.vocabulary.tokens[static_cast<size_t>(c.bos_token)]).dump()) != std::string::npos;
      if (out.vocabulary.tokens.size() > static_cast<size_t>(c.vocab_size))
        fail(tokenizer, "the tokenizer has " + std::to_string(out.vocabulary.tokens.size()) +
                            " tokens, more than the model's vocab_size " + std::to_string(c.vocab_size));
      // Models pad their embedding past the tokenizer: unused ids.
      while (out.vocabulary.tokens.size() < static_cast<size_t>(c.vocab_size)) {
        out.vocabulary.tokens.push_back("<unused" + std::to_string(out.vocabulary.tokens.size()) + ">");
        out.vocabulary.scores.push_back(0.0f);
        out.vocabulary.types.push_back(5);  // unused
      }
    } else {
      out.vocabulary = {};
      out.notes.push_back("tokenizer.json left out: " + why + " (prompts and output as token ids)");
    }
  } else {
    out.notes.push_back("no tokenizer.json (prompts and output as token ids)");
  }
  if (out.vocabulary.tokens.empty()) c.add_bos = bos_from_config != 0;
  return out;
}

}  // namespace fennec::llm_import
