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

#include "common/llm_check.h"
#include "llm/decoder.h"
#include "llm/llama2c.h"
#include "llm/quantize_llm.h"
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

// Imports the checkpoint (quantized with `scheme` unless kNone) and reads
// it back through a .fennec file.
Loaded load_stories(passes::QuantScheme scheme = passes::QuantScheme::kNone, bool embedding = false) {
  llm_import::ImportedLlm imported = llm_import::import_llama2c(kStories);
  if (scheme != passes::QuantScheme::kNone) {
    passes::QuantizeOptions options;
    options.scheme = scheme;
    llm_import::quantize_llm(imported.graph, options, {}, embedding);
  }
  const auto path = std::filesystem::temp_directory_path() /
                    ("fennec_test_stories260K_" + std::string(passes::quant_scheme_name(scheme)) +
                     (embedding ? "_embedding" : "") + ".fennec");
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

TEST_CASE("llm: quantized stories260K decodes on Vulkan like the CPU reference on the same weights") {
  for (passes::QuantScheme scheme : {passes::QuantScheme::kFp16, passes::QuantScheme::kInt8,
                                     passes::QuantScheme::kInt4, passes::QuantScheme::kFp8}) {
    const std::string name = passes::quant_scheme_name(scheme);
    CAPTURE(name);
    const Loaded m = load_stories(scheme);
    size_t quantized = 0;
    for (const auto& t : m.graph.tensors) quantized += t.is_quantized();
    CHECK(quantized == 35);  // 7 matrices x 5 layers; the tied embedding stays float32
    testing::check_greedy(m.graph, m.config, 40, 1e-4);
  }
  // --quantize-embedding: the embedding (here also the classifier) too; the
  // host decodes its rows, the classifier kernel its blocks.
  for (passes::QuantScheme scheme : {passes::QuantScheme::kInt8, passes::QuantScheme::kInt4}) {
    const std::string scheme_name = passes::quant_scheme_name(scheme);
    CAPTURE(scheme_name);
    const Loaded m = load_stories(scheme, true);
    const int embedding = m.graph.find_tensor("token_embd");
    REQUIRE(embedding >= 0);
    CHECK(m.graph.tensors[static_cast<size_t>(embedding)].is_quantized());
    testing::check_greedy(m.graph, m.config, 40, 1e-4);
  }
}

TEST_CASE("llm: stories260K greedy decoding on Vulkan matches the CPU reference for 200 tokens") {
  const Loaded m = load_stories();
  const std::vector<int> ids = testing::check_greedy(m.graph, m.config, 200, 1e-4);
  // A trained model writes varied text, not one token over and over.
  std::vector<int> distinct = ids;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  CHECK(distinct.size() > 30);
}

TEST_CASE("llm: a prompt prefilled in chunks gives the reference logits, and decoding goes on from there") {
  const Loaded m = load_stories();
  auto reference = llm::ReferenceDecoder::create(m.graph, m.config);
  REQUIRE(reference.ok());
  // The reference's own greedy text as the prompt: BOS and 150 tokens.
  std::vector<int> prompt{m.config.bos_token};
  std::vector<std::vector<float>> expected;
  for (int pos = 0; pos < 160; ++pos) {
    expected.push_back(reference.value().forward(prompt.back(), pos));
    prompt.push_back(llm::argmax(expected.back()));
  }
  auto context = vulkan::Context::create({});
  REQUIRE(context.ok());
  llm::DecoderOptions options;
  options.kv_cache = llm::KvCache::kF32;
  auto decoder = llm::Decoder::create(*context.value(), m.graph, m.config, options);
  REQUIRE(decoder.ok());
  REQUIRE(decoder.value()->prefill_rows() > 1);
  const int prefix = 151;  // more than two chunks
  auto logits = decoder.value()->forward(std::span<const int>(prompt.data(), prefix), 0);
  REQUIRE(logits.ok());
  CHECK(testing::relative_error(expected[prefix - 1], logits.value()) <= 1e-4);
  for (int pos = prefix; pos < 160; ++pos) {
    auto next = decoder.value()->forward(prompt[static_cast<size_t>(pos)], pos);
    REQUIRE(next.ok());
    CHECK_MESSAGE(testing::relative_error(expected[static_cast<size_t>(pos)], next.value()) <= 1e-4, "position " << pos);
  }
  // Past the context: refused.
  CHECK(!decoder.value()->forward(std::span<const int>(prompt.data(), 2), decoder.value()->context() - 1).ok());
}

namespace {

// The worst logits difference over `steps` greedy steps between the float32
// reference and the reference whose cache rounds as `kv` does.
double rounding_gap(const Loaded& m, llm::KvCache kv, int steps) {
  auto exact = llm::ReferenceDecoder::create(m.graph, m.config);
  auto rounded = llm::ReferenceDecoder::create(m.graph, m.config, kv);
  REQUIRE(exact.ok());
  REQUIRE(rounded.ok());
  double worst = 0.0;
  int token = m.config.bos_token;
  for (int pos = 0; pos < steps; ++pos) {
    const std::vector<float> a = exact.value().forward(token, pos);
    worst = std::max(worst, testing::relative_error(a, rounded.value().forward(token, pos)));
    token = llm::argmax(a);
  }
  return worst;
}

// 200 greedy steps with a `kv` cache within `bound` of the reference that
// rounds the same way, and the bound `margin` times below the rounding's own
// effect over `gap_steps` steps.
void check_rounded_cache(llm::KvCache kv, const char* name, double bound, int gap_steps, double margin) {
  const Loaded m = load_stories();
  testing::check_greedy(m.graph, m.config, 200, bound, kv);
  const double gap = rounding_gap(m, kv, gap_steps);
  MESSAGE(name << " cache against float32: worst logits error " << gap << " relative");
  CHECK(gap > margin * bound);
}

}  // namespace

// A key or value on a rounding boundary may land one step apart from the
// reference's: the device's sine, cosine and reciprocal may differ from the
// host's in their last bits (Vulkan allows it; NVIDIA's do). Each bound stays
// well below what rounding the cache changes, so the checks see the rounding.
TEST_CASE("llm: an fp16 key/value cache decodes like the reference with keys and values rounded to fp16") {
  check_rounded_cache(llm::KvCache::kF16, "fp16", 2e-3, 200, 1.0);
}

TEST_CASE("llm: an int8 key/value cache decodes like the reference with keys and values rounded to int8 per head") {
  check_rounded_cache(llm::KvCache::kInt8, "int8", 4e-3, 50, 4.0);
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
  // (What stays allocated: on a discrete GPU the peak also holds the staging
  // that uploaded the weights.)
  llm::DecoderOptions options;
  options.memory_budget_bytes = stats.memory.current_bytes - stats.kv_cache_bytes * 3 / 4;
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
  options.memory_budget_bytes = stats.weight_bytes;
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
