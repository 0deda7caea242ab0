// The tokenizers against llama.cpp's own test vectors (models/ggml-vocab-
// {llama-spm,gpt-2,llama-bpe,qwen2}.gguf with their .inp/.out, from the
// llama.cpp git bundle in node-llama-cpp, fetched by scripts/fetch-models.sh):
// every input must give exactly the listed token ids (no special tokens added
// or parsed), and decode back to itself.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <random>

#include <nlohmann/json.hpp>

#include "common/gguf_writer.h"
#include "llm/chat_template.h"
#include "llm/gguf.h"
#include "llm/hf_tokenizer.h"
#include "llm/tokenizer.h"
#include "models/model_test_util.h"

namespace fennec::model_test {
namespace {

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in, "cannot read " << path << ": run scripts/fetch-models.sh");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The .inp inputs (separated by "\n__ggml_vocab_test__\n") and the .out
// lines of space-separated ids.
std::vector<std::pair<std::string, std::vector<int>>> read_vectors(const fs::path& vocab) {
  const std::string inputs = read_all(vocab.string() + ".inp");
  const std::string outputs = read_all(vocab.string() + ".out");
  const std::string separator = "\n__ggml_vocab_test__\n";
  std::vector<std::string> texts;
  for (size_t at = 0; at < inputs.size();) {
    const size_t next = inputs.find(separator, at);
    if (next == std::string::npos) {
      texts.push_back(inputs.substr(at));
      break;
    }
    texts.push_back(inputs.substr(at, next - at));
    at = next + separator.size();
  }
  std::vector<std::pair<std::string, std::vector<int>>> vectors;
  std::istringstream lines(outputs);
  std::string line;
  for (size_t i = 0; std::getline(lines, line); ++i) {
    REQUIRE(i < texts.size());
    std::istringstream ids(line);
    std::vector<int> expected;
    for (int id; ids >> id;) expected.push_back(id);
    vectors.emplace_back(texts[i], expected);
  }
  REQUIRE(vectors.size() == texts.size());
  return vectors;
}

// A byte-level BPE vocabulary (`name`: gpt-2, llama-bpe, qwen2) of `size`
// tokens against all of its vectors.
void check_bpe_vocabulary(const std::string& name, size_t size) {
  const fs::path vocab = tools().models / "llama-vocab" / ("ggml-vocab-" + name + ".gguf");
  const llm::Vocabulary v = llm_import::read_gguf_vocabulary(vocab);
  CHECK(v.model == "gpt2");
  CHECK(v.pre == name);
  const auto start = std::chrono::steady_clock::now();
  auto tokenizer = llm::Tokenizer::create(v);
  REQUIRE_MESSAGE(tokenizer.ok(), tokenizer.status().to_string());
  const auto created = std::chrono::steady_clock::now();
  CHECK(tokenizer.value().size() == size);
  const auto vectors = read_vectors(vocab);
  size_t matched = 0;
  for (const auto& [text, expected] : vectors) {
    const std::vector<int> got = tokenizer.value().encode(text);
    CHECK_MESSAGE(got == expected, "input '" << text << "'");
    matched += got == expected;
    CHECK_MESSAGE(tokenizer.value().decode(got) == text, "decoding '" << text << "'");
  }
  const auto done = std::chrono::steady_clock::now();
  using ms = std::chrono::duration<double, std::milli>;
  MESSAGE(name << ": " << matched << " of " << vectors.size() << " llama.cpp vectors match (" << v.merges.size()
               << " merges; tokenizer built in " << ms(created - start).count() << " ms, vectors encoded in "
               << ms(done - created).count() << " ms)");

  // The same vocabulary written as a Hugging Face tokenizer.json (vocab,
  // merges, added tokens and the family's pre-tokenizer as those files
  // spell it) must import to a tokenizer that matches the vectors too.
  nlohmann::json hf_vocab = nlohmann::json::object(), added = nlohmann::json::array();
  for (size_t id = 0; id < v.tokens.size(); ++id) {
    if (v.types[id] == 3 || v.types[id] == 4)
      added.push_back({{"id", id}, {"content", v.tokens[id]}, {"special", v.types[id] == 3}});
    else
      hf_vocab[v.tokens[id]] = id;
  }
  const char* split = name == "llama-bpe"
                          ? R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"
                          : R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
  const nlohmann::json pre =
      name == "gpt-2"
          ? nlohmann::json{{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}
          : nlohmann::json{{"type", "Sequence"},
                           {"pretokenizers",
                            {{{"type", "Split"}, {"pattern", {{"Regex", split}}}, {"behavior", "Isolated"}},
                             {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}};
  const nlohmann::json hf = {{"added_tokens", added},
                             {"normalizer", name == "qwen2" ? nlohmann::json{{"type", "NFC"}} : nlohmann::json()},
                             {"pre_tokenizer", pre},
                             {"model", {{"type", "BPE"}, {"vocab", hf_vocab}, {"merges", v.merges}}}};
  llm::Vocabulary from_hf;
  std::string why;
  REQUIRE_MESSAGE(llm_import::read_hf_tokenizer(hf, from_hf, why), why);
  CHECK(from_hf.pre == name);
  CHECK(from_hf.tokens == v.tokens);
  auto hf_tokenizer = llm::Tokenizer::create(from_hf);
  REQUIRE_MESSAGE(hf_tokenizer.ok(), hf_tokenizer.status().to_string());
  for (const auto& [text, expected] : vectors)
    CHECK_MESSAGE(hf_tokenizer.value().encode(text) == expected, "tokenizer.json, input '" << text << "'");
}

// Two turns with samples/chat (greedy, 4 tokens a reply) on `model`.
void check_chat_sample(const fs::path& model, const llm::Tokenizer& tokenizer) {
  const char* chat = std::getenv("FENNEC_CHAT");
  if (!chat || !fs::exists(chat)) {
    MESSAGE("FENNEC_CHAT is not set or missing (samples not built): the chat sample is not exercised");
    return;
  }
  const fs::path input = tools().work / "chat_input.txt";
  std::ofstream(input) << "Hello there\nAnd then?\n";
  const Command run = run_command(quote(chat) + " " + quote(model) + " --temperature 0 -n 4 --system 'Be brief.' < " +
                                  quote(input));
  INFO(run.output);
  REQUIRE(run.status == 0);
  // The figures line of each turn: its prompt tokens, and the reply's text.
  std::vector<size_t> prompts;
  for (size_t at = 0; (at = run.output.find("[turn ", at)) != std::string::npos; ++at)
    prompts.push_back(std::stoul(run.output.substr(run.output.find(": ", at) + 2)));
  REQUIRE(prompts.size() == 2);
  auto first = llm::format_chat(llm::ChatFamily::kChatml, {{"system", "Be brief."}, {"user", "Hello there"}}, true);
  REQUIRE(first.ok());
  CHECK(prompts[0] == tokenizer.encode_special(first.value()).size());  // no BOS for this vocabulary
  CHECK(prompts[1] > prompts[0] + 8);  // the first turn and its reply come along
}

// A random-weight llama of small width with the vocabulary of `vocab_file`
// (its merges and pre-tokenizer too), converted; `generate -p` must tokenize
// the prompt as the tokenizer does and print the text of what it generates.
// With `chat_template`, the file carries it and the chat sample
// (FENNEC_CHAT) talks to the model for two turns: each turn's prompt must be
// the conversation laid out as ChatML with its markers as single tokens.
void check_generate_with_vocabulary(const std::string& vocab_file, const std::string& summary,
                                    const std::string& chat_template = "") {
  const Tools& t = tools();
  const llm::Vocabulary v = llm_import::read_gguf_vocabulary(t.models / "llama-vocab" / vocab_file);
  testing::GgufWriter w;
  const uint32_t dim = 64, hidden = 128, layers = 2, heads = 4, kv_heads = 2;
  const auto vocab = static_cast<uint32_t>(v.tokens.size());
  w.decoder_shape("llama", dim, hidden, layers, heads, kv_heads, 64);
  w.str("tokenizer.ggml.model", v.model);
  w.strings("tokenizer.ggml.tokens", v.tokens);
  w.floats("tokenizer.ggml.scores", v.scores);
  w.ints("tokenizer.ggml.token_type", v.types);
  if (!v.merges.empty()) w.strings("tokenizer.ggml.merges", v.merges);
  if (!v.pre.empty()) w.str("tokenizer.ggml.pre", v.pre);
  w.u32("tokenizer.ggml.bos_token_id", 1);
  w.u32("tokenizer.ggml.eos_token_id", 2);
  if (!chat_template.empty()) w.str("tokenizer.chat_template", chat_template);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> uniform(-0.1f, 0.1f);
  auto tensor = [&](const std::string& name, std::vector<uint64_t> dims) {
    uint64_t n = 1;
    for (uint64_t d : dims) n *= d;
    std::vector<float> values(n);
    for (float& x : values) x = uniform(rng);
    w.tensor(name, std::move(dims), 0, std::string(reinterpret_cast<const char*>(values.data()), n * 4));
  };
  const uint32_t kv = dim / heads * kv_heads;
  tensor("token_embd.weight", {dim, vocab});
  tensor("output_norm.weight", {dim});
  for (uint32_t l = 0; l < layers; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    tensor(b + "attn_norm.weight", {dim});
    tensor(b + "attn_q.weight", {dim, dim});
    tensor(b + "attn_k.weight", {dim, kv});
    tensor(b + "attn_v.weight", {dim, kv});
    tensor(b + "attn_output.weight", {dim, dim});
    tensor(b + "ffn_norm.weight", {dim});
    tensor(b + "ffn_gate.weight", {dim, hidden});
    tensor(b + "ffn_up.weight", {dim, hidden});
    tensor(b + "ffn_down.weight", {hidden, dim});
  }
  const fs::path dir = t.work / ("tokenizer_gguf_" + v.model);
  fs::create_directories(dir);
  w.write(dir / "tiny.gguf");
  const Command convert = run_command(quote(t.cli) + " convert " + quote(dir / "tiny.gguf") + " -o " +
                                      quote(dir / "tiny.fennec"));
  INFO(convert.output);
  REQUIRE(convert.status == 0);
  CHECK(convert.output.find(summary) != std::string::npos);
  const std::string prompt = "Hello world, 1234 don't \xC3\xA4\xC3\xB6\xC3\xBC";
  const Command run = run_command(quote(t.cli) + " generate " + quote(dir / "tiny.fennec") + " -p " + quote(prompt) +
                                  " -n 6 --ignore-eos --json");
  INFO(run.output);
  REQUIRE(run.status == 0);
  const auto report = nlohmann::json::parse(run.output.substr(run.output.find('{')));
  auto tokenizer = llm::Tokenizer::create(v);
  REQUIRE(tokenizer.ok());
  // BOS first for SentencePiece vocabularies only (the file says nothing).
  std::vector<int> expected;
  if (v.model == "llama") expected.push_back(1);
  for (int id : tokenizer.value().encode(prompt)) expected.push_back(id);
  CHECK(report["prompt_tokens"].get<std::vector<int>>() == expected);
  const auto tokens = report["tokens"].get<std::vector<int>>();
  CHECK(tokens.size() == 6);
  CHECK(report["text"].get<std::string>() == tokenizer.value().decode(tokens));
  if (!chat_template.empty()) check_chat_sample(dir / "tiny.fennec", tokenizer.value());
}

}  // namespace

TEST_SUITE("models") {
  TEST_CASE("tokenizer: llama SentencePiece vocabulary matches every llama.cpp test vector") {
    const fs::path vocab = tools().models / "llama-vocab" / "ggml-vocab-llama-spm.gguf";
    auto tokenizer = llm::Tokenizer::create(llm_import::read_gguf_vocabulary(vocab));
    REQUIRE_MESSAGE(tokenizer.ok(), tokenizer.status().to_string());
    CHECK(tokenizer.value().size() == 32000);
    const auto vectors = read_vectors(vocab);
    size_t matched = 0;
    for (const auto& [text, expected] : vectors) {
      const std::vector<int> got = tokenizer.value().encode(text);
      CHECK_MESSAGE(got == expected, "input '" << text << "'");
      matched += got == expected;
      // Decoding gives the text back (the prefix space removed).
      if (!expected.empty()) {
        const std::string back = tokenizer.value().decode(got);
        CHECK_MESSAGE(back == " " + text, "decoding '" << text << "'");
      }
    }
    MESSAGE("llama-spm: " << matched << " of " << vectors.size() << " llama.cpp vectors match");
  }

  TEST_CASE("tokenizer: GPT-2 byte-level BPE vocabulary matches every llama.cpp test vector") {
    check_bpe_vocabulary("gpt-2", 50257);
  }

  TEST_CASE("tokenizer: Llama 3 (llama-bpe) byte-level BPE vocabulary matches every llama.cpp test vector") {
    check_bpe_vocabulary("llama-bpe", 128256);
  }

  TEST_CASE("tokenizer: Qwen2 byte-level BPE vocabulary matches every llama.cpp test vector") {
    check_bpe_vocabulary("qwen2", 151936);
  }

  TEST_CASE("tokenizer: a GGUF model's vocabulary travels into the .fennec file and `generate -p` uses it") {
    check_generate_with_vocabulary("ggml-vocab-llama-spm.gguf", "llama, 32000 tokens");
  }

  TEST_CASE("tokenizer: a byte-level BPE vocabulary and its merges travel into the .fennec file") {
    check_generate_with_vocabulary("ggml-vocab-gpt-2.gguf", "gpt2, 50257 tokens");
  }

  TEST_CASE("tokenizer: a Qwen2 vocabulary with a ChatML template drives the chat sample") {
    check_generate_with_vocabulary("ggml-vocab-qwen2.gguf", "gpt2, ",
                                   "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
                                   "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}");
  }
}

}  // namespace fennec::model_test
