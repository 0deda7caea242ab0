#include "llm/hf_tokenizer.h"

#include <map>

namespace fennec::llm_import {
namespace {

using nlohmann::json;

// The Split patterns that Llama 3's and Qwen2's tokenizer.json publish.
const std::map<std::string, std::string>& split_patterns() {
  static const std::map<std::string, std::string> patterns = {
      {R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
       "llama-bpe"},
      {R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
       "qwen2"},
  };
  return patterns;
}

// The runtime's pre-tokenizer name for `pre` (tokenizer.json's
// "pre_tokenizer"), or "" with `why`.
std::string pre_tokenizer(const json& pre, std::string& why) {
  if (!pre.is_object()) {
    why = "it has no pre-tokenizer (a SentencePiece-style tokenizer.json; tokenizer.model is not read)";
    return "";
  }
  const std::string type = pre.value("type", "");
  if (type == "ByteLevel") {
    if (pre.value("use_regex", true) && !pre.value("add_prefix_space", false)) return "gpt-2";
    why = "a ByteLevel pre-tokenizer without GPT-2's splitting";
    return "";
  }
  if (type == "Sequence" && pre.contains("pretokenizers") && pre["pretokenizers"].size() == 2) {
    const json& split = pre["pretokenizers"][0];
    const json& bytes = pre["pretokenizers"][1];
    if (split.value("type", "") == "Split" && bytes.value("type", "") == "ByteLevel" &&
        !bytes.value("use_regex", true) && split.contains("pattern") && split["pattern"].contains("Regex")) {
      const std::string regex = split["pattern"]["Regex"].get<std::string>();
      const auto it = split_patterns().find(regex);
      if (it != split_patterns().end()) return it->second;
      why = "its split pattern " + json(regex).dump() + " is not one the runtime has (GPT-2's, Llama 3's, Qwen2's)";
      return "";
    }
  }
  why = "its pre-tokenizer " + pre.dump().substr(0, 200) + " is not one the runtime has";
  return "";
}

}  // namespace

bool read_hf_tokenizer(const json& tokenizer, llm::Vocabulary& vocabulary, std::string& why) {
  const json* model = tokenizer.contains("model") ? &tokenizer["model"] : nullptr;
  if (!model || model->value("type", "") != "BPE" || !model->contains("vocab") || !model->contains("merges")) {
    why = "its model is not BPE";
    return false;
  }
  const json& normalizer = tokenizer.contains("normalizer") ? tokenizer["normalizer"] : json();
  if (!normalizer.is_null() && normalizer.value("type", "") != "NFC") {
    why = "its normalizer " + normalizer.dump().substr(0, 200) + " is not applied by the runtime";
    return false;
  }
  llm::Vocabulary v;
  v.model = "gpt2";
  v.pre = pre_tokenizer(tokenizer.contains("pre_tokenizer") ? tokenizer["pre_tokenizer"] : json(), why);
  if (v.pre.empty()) return false;
  std::map<int, std::pair<std::string, int32_t>> by_id;  // id -> text, type
  for (const auto& [text, id] : (*model)["vocab"].items()) by_id[id.get<int>()] = {text, 1};
  if (tokenizer.contains("added_tokens"))
    for (const json& added : tokenizer["added_tokens"])
      by_id[added.at("id").get<int>()] = {added.at("content").get<std::string>(), added.value("special", false) ? 3 : 4};
  if (by_id.empty() || by_id.begin()->first < 0) {
    why = "its vocabulary is empty or has negative ids";
    return false;
  }
  const int size = by_id.rbegin()->first + 1;
  for (int id = 0; id < size; ++id) {
    const auto it = by_id.find(id);
    v.tokens.push_back(it != by_id.end() ? it->second.first : "<unused" + std::to_string(id) + ">");
    v.types.push_back(it != by_id.end() ? it->second.second : 5);
  }
  v.scores.assign(v.tokens.size(), 0.0f);
  for (const json& merge : (*model)["merges"]) {
    if (merge.is_string()) v.merges.push_back(merge.get<std::string>());
    else if (merge.is_array() && merge.size() == 2)
      v.merges.push_back(merge[0].get<std::string>() + " " + merge[1].get<std::string>());
  }
  v.add_space_prefix = false;
  vocabulary = std::move(v);
  return true;
}

}  // namespace fennec::llm_import
