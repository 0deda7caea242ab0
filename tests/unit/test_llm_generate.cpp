// Generation through the C API (fennec_llm_*): stories260K written as a
// .fennec file with a vocabulary of its 512 ids (the SentencePiece special
// and byte tokens, the word-start mark, letters, then numbered pieces), greedy tokens checked against the
// float32 CPU reference decoder, the streamed text against the whole
// generation, and stop strings against an unconstrained run.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "fennec/fennec.h"
#include "model/model_file.h"
#include "llm/decoder.h"
#include "llm/generator.h"
#include "llm/llama2c.h"
#include "llm/reference.h"
#include "llm/sampler.h"
#include "llm/tokenizer.h"
#include "vulkan/context.h"
#include "writer/writer.h"

using namespace fennec;

namespace {

const std::filesystem::path kStories = std::filesystem::path(FENNEC_FIXTURES_DIR) / "stories260K.bin";

// stories260K with a placeholder vocabulary, as a .fennec file.
std::filesystem::path write_stories_with_vocabulary() {
  llm_import::ImportedLlm m = llm_import::import_llama2c(kStories);
  llm::Vocabulary v;
  v.model = "llama";
  v.tokens = {"<unk>", "<s>", "</s>"};
  v.types = {2, 3, 3};
  for (int b = 0; b < 256; ++b) {
    char piece[8];
    std::snprintf(piece, sizeof piece, "<0x%02X>", b);
    v.tokens.push_back(piece);
    v.types.push_back(6);
  }
  v.tokens.push_back("\xE2\x96\x81");  // the word-start mark, then single letters
  v.types.push_back(1);
  for (char c = 'a'; c <= 'z'; ++c) v.tokens.emplace_back(1, c), v.types.push_back(1);
  const char* words[] = {"\xE2\x96\x81once", "\xE2\x96\x81upon", "\xE2\x96\x81" "a", "\xE2\x96\x81time", "ly", "s"};
  for (int i = 0; v.tokens.size() < static_cast<size_t>(m.config.vocab_size); ++i) {
    v.tokens.push_back(std::string(words[i % 6]) + (i < 6 ? "" : std::to_string(i)));
    v.types.push_back(1);
  }
  // The last two ids are ChatML's turn markers, and the file carries a
  // ChatML template.
  v.tokens[v.tokens.size() - 2] = "<|im_start|>", v.types[v.types.size() - 2] = 3;
  v.tokens.back() = "<|im_end|>", v.types.back() = 3;
  v.scores.assign(v.tokens.size(), 0.0f);
  writer::WriteOptions options;
  options.keep_all_constants = true;
  options.metadata = llm::to_metadata(m.config);
  options.metadata.push_back({"tokenizer.chat_template",
                              "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
                              "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"});
  llm::add_vocabulary(m.graph, v, options.metadata);
  const auto path = std::filesystem::temp_directory_path() / "fennec_test_stories_vocab.fennec";
  writer::write_model_file(m.graph, path, options);
  return path;
}

// The tokenizer of the .fennec file at `path`.
Result<llm::Tokenizer> tokenizer_of(const std::filesystem::path& path) {
  FENNEC_ASSIGN_OR_RETURN(auto file, model::ModelFile::open(path.string()));
  FENNEC_ASSIGN_OR_RETURN(graph::Graph graph, file->to_graph());
  FENNEC_ASSIGN_OR_RETURN(llm::Vocabulary vocabulary,
                          llm::read_vocabulary(graph, [&](const char* k) { return file->metadata(k); }));
  return llm::Tokenizer::create(std::move(vocabulary));
}

struct Stream {
  std::vector<int32_t> tokens;
  std::string text;
  int stop_after = -1;  // tokens after which the callback asks to stop
};

int32_t collect(void* user, int32_t token, const char* text, size_t size) {
  auto* s = static_cast<Stream*>(user);
  if (token >= 0) s->tokens.push_back(token);
  s->text.append(text, size);
  return s->stop_after >= 0 && static_cast<int>(s->tokens.size()) >= s->stop_after ? 1 : 0;
}

// Frees `status` after checking it is success.
void require_ok(fennec_status_t status) {
  INFO(fennec_status_message(status));
  const bool ok = status == nullptr;
  fennec_status_free(status);
  REQUIRE(ok);
}

}  // namespace

TEST_CASE("llm generate: text that may start a stop string or ends inside a UTF-8 character waits") {
  const std::vector<std::string> stops = {"END", "\n\n"};
  CHECK(llm::pending_tail("hello", stops) == 0);
  CHECK(llm::pending_tail("hello E", stops) == 1);
  CHECK(llm::pending_tail("hello EN", stops) == 2);
  CHECK(llm::pending_tail("hello\n", stops) == 1);
  CHECK(llm::pending_tail("ab\xE4\xB8", {}) == 2);       // two bytes of a three-byte character
  CHECK(llm::pending_tail("ab\xE4\xB8\xAD", {}) == 0);   // the whole character
  CHECK(llm::pending_tail("ab\xF0", {"x"}) == 1);
}

TEST_CASE("llm C API: greedy tokens match the CPU reference; streamed text, stop strings and the callback") {
  const auto path = write_stories_with_vocabulary();
  fennec_model_t model = nullptr;
  require_ok(fennec_model_load(path.string().c_str(), &model));
  fennec_llm_t llm = nullptr;
  require_ok(fennec_llm_create(model, nullptr, &llm));
  CHECK(fennec_llm_context(llm) > 60);

  // Reference: greedy ids from BOS on the CPU.
  const llm_import::ImportedLlm m = llm_import::import_llama2c(kStories);
  auto reference = llm::ReferenceDecoder::create(m.graph, m.config, llm::KvCache::kF16);
  REQUIRE(reference.ok());
  std::vector<int32_t> expected;
  int token = m.config.bos_token;
  for (int pos = 0; pos < 40; ++pos) expected.push_back(token = llm::argmax(reference.value().forward(token, pos)));

  fennec_generate_options_t options;
  fennec_generate_options_init(&options);
  options.max_tokens = 40;
  options.ignore_eos = 1;
  const int32_t bos = m.config.bos_token;
  Stream all;
  fennec_generation_stats_t stats;
  require_ok(fennec_llm_generate(llm, nullptr, &bos, 1, &options, collect, &all, &stats));
  CHECK(all.tokens == expected);
  CHECK(stats.generated_tokens == 40);
  CHECK(std::string(stats.stop_reason) == "length");
  CHECK(stats.peak_device_bytes > 0);
  CHECK(stats.decode_tokens_per_s > 0.0);
  // The streamed pieces add up to the text of the tokens.
  const Result<llm::Tokenizer> tokenizer = tokenizer_of(path);
  REQUIRE(tokenizer.ok());
  const std::vector<int> ids(all.tokens.begin(), all.tokens.end());
  CHECK(all.text == tokenizer.value().decode(ids));
  REQUIRE(all.text.size() > 12);

  // A stop string from the middle of that text: the same text up to its
  // first occurrence, and nothing of it.
  const std::string stop = all.text.substr(all.text.size() / 2, 5);
  const char* stops[] = {stop.c_str()};
  options.stop_strings = stops;
  options.stop_string_count = 1;
  Stream cut;
  require_ok(fennec_llm_generate(llm, nullptr, &bos, 1, &options, collect, &cut, &stats));
  CHECK(std::string(stats.stop_reason) == "stop string");
  CHECK(cut.text == all.text.substr(0, all.text.find(stop)));
  CHECK(cut.tokens.size() < all.tokens.size());

  // The callback stops it; a text prompt goes through the tokenizer.
  options.stop_string_count = 0;
  Stream early;
  early.stop_after = 5;
  require_ok(fennec_llm_generate(llm, "once upon a time", nullptr, 0, &options, collect, &early, &stats));
  CHECK(early.tokens.size() == 5);
  CHECK(std::string(stats.stop_reason) == "callback");
  size_t count = 0;
  require_ok(fennec_llm_tokenize(llm, "once upon a time", nullptr, 0, &count));
  CHECK(count > 0);
  CHECK(stats.prompt_tokens == count + 1);  // after BOS
  std::vector<int32_t> prompt(count);
  require_ok(fennec_llm_tokenize(llm, "once upon a time", prompt.data(), prompt.size(), &count));
  CHECK(tokenizer.value().decode(std::vector<int>(prompt.begin(), prompt.end())).find("once upon a time") !=
        std::string::npos);

  // Errors name the problem.
  fennec_status_t bad = fennec_llm_generate(llm, nullptr, nullptr, 0, &options, nullptr, nullptr, nullptr);
  CHECK(fennec_status_code(bad) == FENNEC_INVALID_ARGUMENT);
  fennec_status_free(bad);
  fennec_llm_release(llm);
  fennec_model_release(model);
}

TEST_CASE("llm C API: chat prompts laid out by the model's template, its special tokens parsed") {
  const auto path = write_stories_with_vocabulary();
  fennec_model_t model = nullptr;
  require_ok(fennec_model_load(path.string().c_str(), &model));
  fennec_llm_t llm = nullptr;
  require_ok(fennec_llm_create(model, nullptr, &llm));
  const fennec_chat_message_t chat[] = {{"system", "be brief"}, {"user", "once upon a time"}};
  size_t size = 0;
  require_ok(fennec_llm_format_chat(llm, chat, 2, 1, nullptr, 0, &size));
  std::string text(size, '\0');
  require_ok(fennec_llm_format_chat(llm, chat, 2, 1, text.data(), text.size() + 1, &size));
  CHECK(text ==
        "<|im_start|>system\nbe brief<|im_end|>\n<|im_start|>user\nonce upon a time<|im_end|>\n"
        "<|im_start|>assistant\n");

  // As a chat prompt, each marker is one token (the text between them
  // tokenized as usual, after a word-start mark as SentencePiece does after
  // special tokens): the prompt is BOS and exactly those tokens.
  const Result<llm::Tokenizer> tokenizer = tokenizer_of(path);
  REQUIRE(tokenizer.ok());
  const std::vector<int> ids = tokenizer.value().encode_special(text);
  const int im_start = tokenizer.value().find_token("<|im_start|>");
  const int im_end = tokenizer.value().find_token("<|im_end|>");
  CHECK(im_start == static_cast<int>(tokenizer.value().size()) - 2);
  CHECK(std::count(ids.begin(), ids.end(), im_start) == 3);
  CHECK(std::count(ids.begin(), ids.end(), im_end) == 2);
  CHECK(tokenizer.value().decode(ids).find("be brief") != std::string::npos);
  fennec_generate_options_t options;
  fennec_generate_options_init(&options);
  options.max_tokens = 1;
  options.chat = 1;
  fennec_generation_stats_t stats;
  require_ok(fennec_llm_generate(llm, text.c_str(), nullptr, 0, &options, nullptr, nullptr, &stats));
  CHECK(stats.prompt_tokens == ids.size() + 1);
  CHECK(tokenizer.value().encode(text).size() > ids.size() + 30);  // the markers spelled out

  // A template the runtime does not know can be named instead.
  fennec_llm_release(llm);
  fennec_llm_options_t llm_options;
  fennec_llm_options_init(&llm_options);
  llm_options.chat_template = "llama3";
  require_ok(fennec_llm_create(model, &llm_options, &llm));
  require_ok(fennec_llm_format_chat(llm, chat + 1, 1, 0, nullptr, 0, &size));
  CHECK(size == std::string("<|start_header_id|>user<|end_header_id|>\n\nonce upon a time<|eot_id|>").size());
  fennec_llm_release(llm);
  llm_options.chat_template = "nonsense";
  fennec_status_t bad = fennec_llm_create(model, &llm_options, &llm);
  CHECK(fennec_status_code(bad) == FENNEC_INVALID_ARGUMENT);
  CHECK(std::string(fennec_status_message(bad)).find("chatml") != std::string::npos);
  fennec_status_free(bad);
  fennec_model_release(model);
}

TEST_CASE("llm generate: a stop token (a chat template's end of turn) ends the generation") {
  const llm_import::ImportedLlm m = llm_import::import_llama2c(kStories);
  auto context = vulkan::Context::create({});
  REQUIRE(context.ok());
  auto decoder = llm::Decoder::create(*context.value(), m.graph, m.config, {});
  REQUIRE(decoder.ok());
  llm::GenerateOptions options;
  options.max_tokens = 12;
  options.stop_at_eos = false;
  auto free_run = llm::generate(*decoder.value(), nullptr, {m.config.bos_token}, options, {});
  REQUIRE(free_run.ok());
  REQUIRE(free_run.value().tokens.size() == 12);
  // The fifth token, first seen there, as the end of turn: generation ends on it.
  const std::vector<int>& tokens = free_run.value().tokens;
  size_t at = 4;
  while (at < tokens.size() && std::find(tokens.begin(), tokens.begin() + static_cast<long>(at), tokens[at]) !=
                                   tokens.begin() + static_cast<long>(at))
    ++at;
  REQUIRE(at < tokens.size());
  options.stop_tokens = {tokens[at]};
  auto cut = llm::generate(*decoder.value(), nullptr, {m.config.bos_token}, options, {});
  REQUIRE(cut.ok());
  CHECK(cut.value().stop == "end of turn");
  CHECK(cut.value().tokens == std::vector<int>(tokens.begin(), tokens.begin() + static_cast<long>(at) + 1));
}
