// The SentencePiece-style tokenizer against llama.cpp's own test vectors
// (models/ggml-vocab-llama-spm.gguf with its .inp/.out, from the llama.cpp
// git bundle in node-llama-cpp, fetched by scripts/fetch-models.sh): every
// input must give exactly llama.cpp's token ids (no special tokens added).
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "llm/gguf.h"
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
}

}  // namespace fennec::model_test
