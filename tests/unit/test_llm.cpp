// stories260K (a trained tiny Llama, llama2.c format, tests/fixtures)
// imported, written as a .fennec file, read back and decoded greedily on
// Vulkan for 200 tokens from BOS: every step's logits must match the plain
// float32 CPU reference decoder to 1e-4 relative, and the token ids too. The
// key/value cache is sized by the memory budget.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <regex>

#include "llm/decoder.h"
#include "llm/llama2c.h"
#include "llm/reference.h"
#include "llm/sampler.h"
#include "model/model_file.h"
#include "passes/convert_error.h"
#include "vulkan/context.h"
#include "writer/writer.h"

using namespace fennec;

namespace {

const std::filesystem::path kStories = std::filesystem::path(FENNEC_FIXTURES_DIR) / "stories260K.bin";

struct Loaded {
  std::unique_ptr<model::ModelFile> file;
  graph::Graph graph;
  llm::LlmConfig config;
};

// Imports the checkpoint and reads it back through a .fennec file.
Loaded load_stories() {
  llm_import::ImportedLlm imported = llm_import::import_llama2c(kStories);
  const auto path = std::filesystem::temp_directory_path() / "fennec_test_stories260K.fennec";
  writer::WriteOptions options;
  options.keep_all_constants = true;
  options.metadata = llm::to_metadata(imported.config);
  writer::write_model_file(imported.graph, path, options);
  Loaded loaded;
  auto file = model::ModelFile::open(path.string());
  REQUIRE_MESSAGE(file.ok(), file.status().to_string());
  loaded.file = std::move(file).value();
  auto graph = loaded.file->to_graph();
  REQUIRE(graph.ok());
  loaded.graph = std::move(graph).value();
  auto config = llm::from_metadata([&](const char* key) { return loaded.file->metadata(key); });
  REQUIRE_MESSAGE(config.ok(), config.status().to_string());
  loaded.config = config.value();
  return loaded;
}

double relative_error(std::span<const float> expected, std::span<const float> actual) {
  double max_diff = 0.0, max_ref = 0.0;
  for (size_t i = 0; i < expected.size(); ++i) {
    max_diff = std::max(max_diff, static_cast<double>(std::fabs(expected[i] - actual[i])));
    max_ref = std::max(max_ref, static_cast<double>(std::fabs(expected[i])));
  }
  return max_ref > 0 ? max_diff / max_ref : max_diff;
}

}  // namespace

TEST_CASE("llm: stories260K imports with its llama2.c shape") {
  const Loaded m = load_stories();
  CHECK(m.config.dim == 64);
  CHECK(m.config.hidden_dim == 172);
  CHECK(m.config.n_layers == 5);
  CHECK(m.config.n_heads == 8);
  CHECK(m.config.n_kv_heads == 4);
  CHECK(m.config.vocab_size == 512);
  CHECK(m.config.context == 512);
  auto weights = llm::find_weights(m.graph, m.config);
  REQUIRE_MESSAGE(weights.ok(), weights.status().to_string());
  CHECK(weights.value().output < 0);  // the classifier shares the embedding
  // A truncated checkpoint is refused with the reason.
  const auto cut = std::filesystem::temp_directory_path() / "fennec_test_truncated.bin";
  std::filesystem::copy_file(kStories, cut, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::resize_file(cut, std::filesystem::file_size(kStories) / 2);
  CHECK_THROWS_WITH_AS(llm_import::import_llama2c(cut), doctest::Contains("truncated"), converter::ConvertError);
}

TEST_CASE("llm: stories260K greedy decoding on Vulkan matches the CPU reference for 200 tokens") {
  const Loaded m = load_stories();
  auto reference = llm::ReferenceDecoder::create(m.graph, m.config);
  REQUIRE(reference.ok());
  auto context = vulkan::Context::create({});
  REQUIRE(context.ok());
  auto decoder = llm::Decoder::create(*context.value(), m.graph, m.config, {});
  REQUIRE_MESSAGE(decoder.ok(), decoder.status().to_string());
  CHECK(decoder.value()->context() == 512);

  int token = m.config.bos_token;
  double worst = 0.0;
  std::vector<int> ids;
  for (int pos = 0; pos < 200; ++pos) {
    const std::vector<float>& expected = reference.value().forward(token, pos);
    auto actual = decoder.value()->forward(token, pos);
    REQUIRE(actual.ok());
    const double error = relative_error(expected, actual.value());
    worst = std::max(worst, error);
    CHECK_MESSAGE(error <= 1e-4, "position " << pos);
    const int next = llm::argmax(expected);
    CHECK_MESSAGE(llm::argmax(actual.value()) == next, "position " << pos);
    ids.push_back(next);
    token = next;
  }
  MESSAGE("stories260K: 200 greedy tokens, worst logits error " << worst << " relative");
  // A trained model writes varied text, not one token over and over.
  std::vector<int> distinct = ids;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  CHECK(distinct.size() > 30);
}

TEST_CASE("llm: the memory budget limits the key/value cache and names the smallest budget") {
  const Loaded m = load_stories();
  auto context = vulkan::Context::create({});
  REQUIRE(context.ok());
  auto full = llm::Decoder::create(*context.value(), m.graph, m.config, {});
  REQUIRE(full.ok());
  const llm::DecoderStats stats = full.value()->stats();
  CHECK(!stats.context_limited);
  // Room for about a quarter of the cache: a shorter context, within budget.
  llm::DecoderOptions options;
  options.memory_budget_bytes = stats.memory.peak_bytes - stats.kv_cache_bytes * 3 / 4;
  auto limited = llm::Decoder::create(*context.value(), m.graph, m.config, options);
  REQUIRE_MESSAGE(limited.ok(), limited.status().to_string());
  const llm::DecoderStats small = limited.value()->stats();
  CHECK(small.context_limited);
  CHECK(small.context > 0);
  CHECK(small.context < 512);
  CHECK(small.memory.peak_bytes <= options.memory_budget_bytes);
  CHECK(limited.value()->forward(1, small.context - 1).ok());
  CHECK(!limited.value()->forward(1, small.context).ok());
  // Too small for one position: the error names the smallest budget.
  options.memory_budget_bytes = stats.memory.peak_bytes - stats.kv_cache_bytes;
  auto none = llm::Decoder::create(*context.value(), m.graph, m.config, options);
  REQUIRE(!none.ok());
  std::smatch match;
  const std::string message = none.status().message();
  REQUIRE(std::regex_search(message, match, std::regex("smallest budget that works is ([0-9]+) bytes")));
  options.memory_budget_bytes = std::stoull(match[1].str());
  auto minimal = llm::Decoder::create(*context.value(), m.graph, m.config, options);
  REQUIRE_MESSAGE(minimal.ok(), minimal.status().to_string());
  CHECK(minimal.value()->context() >= 1);
  CHECK(minimal.value()->stats().memory.peak_bytes <= options.memory_budget_bytes);
}
