// Byte-level BPE on a hand-built vocabulary (the 256 byte-alphabet tokens
// plus a few merged ones): the pre-tokenizers' cuts, merges applied by rank
// and leftmost first, bytes left unmerged as their byte tokens, Llama 3's
// whole-piece lookup, decoding back to the bytes, refusals, and the merges
// through a GGUF file and through a .fennec graph.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/gguf_writer.h"
#include "llm/bpe.h"
#include "llm/gguf.h"
#include "llm/tokenizer.h"
#include "passes/convert_error.h"

using namespace fennec;

namespace {

// Byte b is token b; extra tokens follow from 256 on.
llm::Vocabulary tiny_vocabulary(const std::string& pre, std::vector<std::string> merges,
                                const std::vector<std::string>& extra) {
  llm::Vocabulary v;
  v.model = "gpt2";
  v.pre = pre;
  for (int b = 0; b < 256; ++b) v.tokens.push_back(llm::byte_to_alphabet(static_cast<uint8_t>(b)));
  for (const std::string& t : extra) v.tokens.push_back(t);
  v.types.assign(v.tokens.size(), 1);
  v.merges = std::move(merges);
  return v;
}

llm::Tokenizer make(const llm::Vocabulary& v) {
  auto t = llm::Tokenizer::create(v);
  REQUIRE_MESSAGE(t.ok(), t.status().to_string());
  return std::move(t).value();
}

std::vector<std::string> pieces(const llm::BytePairEncoder& e, std::string_view text) {
  std::vector<std::string> out;
  for (std::string_view p : e.split(text)) out.emplace_back(p);
  return out;
}

}  // namespace

TEST_CASE("bpe: the GPT-2 byte alphabet") {
  CHECK(llm::byte_to_alphabet('a') == "a");
  CHECK(llm::byte_to_alphabet('!') == "!");
  CHECK(llm::byte_to_alphabet(' ') == "\xC4\xA0");    // U+0120 'Ġ'
  CHECK(llm::byte_to_alphabet('\n') == "\xC4\x8A");   // U+010A 'Ċ'
  CHECK(llm::byte_to_alphabet(0x00) == "\xC4\x80");   // U+0100
  CHECK(llm::byte_to_alphabet(0xAD) == "\xC5\x83");   // U+0143, the last one
  CHECK(llm::byte_to_alphabet(0xE9) == "\xC3\xA9");   // printable Latin-1 stands for itself
  std::string all, written;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b), written += llm::byte_to_alphabet(static_cast<uint8_t>(b));
  CHECK(llm::alphabet_to_bytes(written) == all);
  // Characters outside the alphabet are kept.
  CHECK(llm::alphabet_to_bytes("<|end|> \xE4\xBD\xA0") == "<|end|> \xE4\xBD\xA0");
}

TEST_CASE("bpe: pre-tokenizer pieces") {
  const std::string text = "Hello  world's 12345\n\n x";
  auto gpt2 = llm::BytePairEncoder::create(tiny_vocabulary("gpt-2", {}, {}).tokens, {}, "gpt-2");
  auto llama3 = llm::BytePairEncoder::create(tiny_vocabulary("llama-bpe", {}, {}).tokens, {}, "llama-bpe");
  auto qwen2 = llm::BytePairEncoder::create(tiny_vocabulary("qwen2", {}, {}).tokens, {}, "qwen2");
  REQUIRE(gpt2.ok());
  REQUIRE(llama3.ok());
  REQUIRE(qwen2.ok());
  CHECK(pieces(gpt2.value(), text) ==
        std::vector<std::string>{"Hello", " ", " world", "'s", " 12345", "\n\n", " x"});
  CHECK(pieces(llama3.value(), text) ==
        std::vector<std::string>{"Hello", " ", " world", "'s", " ", "123", "45", "\n\n", " x"});
  CHECK(pieces(qwen2.value(), text) ==
        std::vector<std::string>{"Hello", " ", " world", "'s", " ", "1", "2", "3", "4", "5", "\n\n", " x"});
  // Contractions: GPT-2 lower case only, Llama 3 either case.
  CHECK(pieces(gpt2.value(), "I'VE") == std::vector<std::string>{"I", "'", "VE"});
  CHECK(pieces(llama3.value(), "I'VE") == std::vector<std::string>{"I", "'VE"});
  // Invalid UTF-8 is cut apart, not dropped.
  CHECK(pieces(gpt2.value(), "a\xFF" "b") == std::vector<std::string>{"a", "\xFF", "b"});
}

TEST_CASE("bpe: merges apply lowest rank first, then leftmost") {
  // "b c" outranks "a b": abc -> a + bc.
  {
    const llm::Tokenizer t = make(tiny_vocabulary("gpt-2", {"b c", "a b"}, {"bc", "ab"}));
    CHECK(t.encode("abc") == std::vector<int>{'a', 256});
  }
  // The other way round: ab + c.
  {
    const llm::Tokenizer t = make(tiny_vocabulary("gpt-2", {"a b", "b c"}, {"ab", "bc"}));
    CHECK(t.encode("abc") == std::vector<int>{256, 'c'});
  }
  // Equal pairs: the leftmost goes first, and a merged symbol merges on.
  {
    const llm::Tokenizer t = make(tiny_vocabulary("gpt-2", {"a a", "aa aa"}, {"aa", "aaaa"}));
    CHECK(t.encode("aaa") == std::vector<int>{256, 'a'});
    CHECK(t.encode("aaaaa") == std::vector<int>{257, 'a'});
    CHECK(t.encode("aa aa") == std::vector<int>{256, ' ', 256});  // no merge crosses a piece
  }
  // The space is the alphabet's 'Ġ': " ab" -> Ġab.
  {
    const llm::Tokenizer t = make(tiny_vocabulary("gpt-2", {"a b", "\xC4\xA0 ab"}, {"ab", "\xC4\xA0" "ab"}));
    const std::vector<int> ids = t.encode("ab ab");
    CHECK(ids == std::vector<int>{256, 257});
    CHECK(t.decode(ids) == "ab ab");
  }
}

TEST_CASE("bpe: unmerged bytes stay byte tokens and decode back") {
  const llm::Tokenizer t = make(tiny_vocabulary("gpt-2", {"\xC3\xA4 \xC2\xBD"}, {"\xC3\xA4\xC2\xBD"}));
  // "é" is C3 A9: no merge, so its two byte tokens. "ä½" (E4 BD) merges.
  CHECK(t.encode("\xC3\xA9") == std::vector<int>{0xC3, 0xA9});
  CHECK(t.encode("\xE4\xBD\xA0") == std::vector<int>{256, 0xA0});
  for (std::string text : {"\xC3\xA9", "\xE4\xBD\xA0 ok\n\t", "x\xFF\xFEy", "", " ", "\r\n \r\n"})
    CHECK(t.decode(t.encode(text)) == text);
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  CHECK(t.decode(t.encode(all)) == all);
}

TEST_CASE("bpe: llama-bpe takes a piece that is a token whole") {
  // "abc" is a token that no merge reaches.
  const std::vector<std::string> merges{"a b"}, extra{"ab", "abc"};
  CHECK(make(tiny_vocabulary("llama-bpe", merges, extra)).encode("abc") == std::vector<int>{257});
  CHECK(make(tiny_vocabulary("qwen2", merges, extra)).encode("abc") == std::vector<int>{256, 'c'});
  CHECK(make(tiny_vocabulary("gpt-2", merges, extra)).encode("abc") == std::vector<int>{256, 'c'});
}

TEST_CASE("bpe: control tokens decode to nothing, user-defined ones as written") {
  llm::Vocabulary v = tiny_vocabulary("gpt-2", {}, {"<|endoftext|>", "[PAD0]"});
  v.types[256] = 3;
  v.types[257] = 4;
  const llm::Tokenizer t = make(v);
  CHECK(t.decode(std::vector<int>{'h', 256, 'i', 257}) == "hi[PAD0]");
  // Special texts are not parsed out of the input.
  CHECK(t.encode("<|endoftext|>").size() == 13);
}

TEST_CASE("bpe: refusals") {
  auto unknown = llm::Tokenizer::create(tiny_vocabulary("deepseek-llm", {}, {}));
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().code() == StatusCode::kUnsupported);
  CHECK(unknown.status().message().find("'deepseek-llm'") != std::string::npos);
  CHECK(unknown.status().message().find("gpt-2, llama-bpe, qwen2") != std::string::npos);
  CHECK_FALSE(llm::Tokenizer::create(tiny_vocabulary("", {}, {})).ok());
  // A merge whose parts or result are not tokens.
  auto bad_merge = llm::Tokenizer::create(tiny_vocabulary("gpt-2", {"a b"}, {}));
  REQUIRE_FALSE(bad_merge.ok());
  CHECK(bad_merge.status().message().find("'a b'") != std::string::npos);
  CHECK_FALSE(llm::Tokenizer::create(tiny_vocabulary("gpt-2", {"ab"}, {"ab"})).ok());
  // A byte without a token.
  llm::Vocabulary missing = tiny_vocabulary("gpt-2", {}, {});
  missing.tokens[7] = "seven";
  CHECK_FALSE(llm::Tokenizer::create(missing).ok());
}

TEST_CASE("bpe: merges and pre-tokenizer through a GGUF file and a .fennec graph") {
  const llm::Vocabulary v = tiny_vocabulary("qwen2", {"a b", "ab c", "\xC4\xA0 abc"}, {"ab", "abc", "\xC4\xA0" "abc"});
  const auto dir = std::filesystem::temp_directory_path() / "fennec_test_bpe";
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& pre) {
    testing::GgufWriter w;
    w.str("general.architecture", "qwen2");
    w.str("tokenizer.ggml.model", "gpt2");
    w.str("tokenizer.ggml.pre", pre);
    w.strings("tokenizer.ggml.tokens", v.tokens);
    w.ints("tokenizer.ggml.token_type", v.types);
    w.strings("tokenizer.ggml.merges", v.merges);
    w.write(dir / (pre + ".gguf"));
    return dir / (pre + ".gguf");
  };
  const llm::Vocabulary read = llm_import::read_gguf_vocabulary(write("qwen2"));
  CHECK(read.model == "gpt2");
  CHECK(read.pre == "qwen2");
  CHECK(read.tokens == v.tokens);
  CHECK(read.merges == v.merges);
  CHECK(read.scores.size() == v.tokens.size());
  try {
    llm_import::read_gguf_vocabulary(write("tekken"));
    FAIL("an unknown pre-tokenizer was accepted");
  } catch (const converter::ConvertError& e) {
    CHECK(std::string(e.what()).find("'tekken' is not supported (gpt-2, llama-bpe, qwen2 are)") != std::string::npos);
  }

  graph::Graph graph;
  std::vector<std::pair<std::string, std::string>> metadata;
  llm::add_vocabulary(graph, read, metadata);
  for (int i = 0; i < static_cast<int>(graph.tensors.size()); ++i)
    CHECK(llm::is_vocabulary_tensor(graph.tensors[static_cast<size_t>(i)].name));
  CHECK(graph.find_tensor("tokenizer.merges") >= 0);
  auto back = llm::read_vocabulary(graph, [&](const char* key) -> const char* {
    for (const auto& [k, value] : metadata)
      if (k == key) return value.c_str();
    return nullptr;
  });
  REQUIRE_MESSAGE(back.ok(), back.status().to_string());
  CHECK(back.value().model == "gpt2");
  CHECK(back.value().pre == "qwen2");
  CHECK(back.value().tokens == v.tokens);
  CHECK(back.value().merges == v.merges);
  CHECK(back.value().types == v.types);
  const llm::Tokenizer t = make(back.value());
  CHECK(t.encode("abc abc") == std::vector<int>{257, 258});
  CHECK(t.decode(t.encode("abc abc")) == "abc abc");
}
