#include "llm/gguf.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "base/align.h"
#include "llm/ggml_kquants.h"
#include "passes/convert_error.h"
#include "quant/formats.h"
#include "quant/weight_format.h"

namespace fennec::llm_import {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF"
enum GgmlType : uint32_t { kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ8_0 = 8, kBF16 = 30 };
constexpr size_t kBlock = 32;

using Value = std::variant<uint64_t, int64_t, double, bool, std::string, std::vector<std::string>,
                           std::vector<double>>;

class Reader {
 public:
  Reader(const std::filesystem::path& path) : name_(path.string()), in_(path, std::ios::binary) {
    if (!in_) fail("cannot open it");
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw converter::ConvertError("'" + name_ + "': " + why);
  }
  template <typename T>
  T read() {
    T v{};
    if (!in_.read(reinterpret_cast<char*>(&v), sizeof(T))) fail("truncated GGUF header");
    return v;
  }
  std::string string() {
    const uint64_t n = read<uint64_t>();
    if (n > (1u << 24)) fail("a string of " + std::to_string(n) + " bytes");
    std::string s(n, '\0');
    if (!in_.read(s.data(), static_cast<std::streamsize>(n))) fail("truncated GGUF string");
    return s;
  }
  // A metadata value of `type`. Arrays of strings and of numbers are kept
  // (numbers as doubles); other arrays are skipped, their element count
  // returned instead.
  Value value(uint32_t type) {
    switch (type) {
      case 0: return uint64_t{read<uint8_t>()};
      case 1: return int64_t{read<int8_t>()};
      case 2: return uint64_t{read<uint16_t>()};
      case 3: return int64_t{read<int16_t>()};
      case 4: return uint64_t{read<uint32_t>()};
      case 5: return int64_t{read<int32_t>()};
      case 6: return double{read<float>()};
      case 7: return read<uint8_t>() != 0;
      case 8: return string();
      case 9: {
        const uint32_t element = read<uint32_t>();
        const uint64_t count = read<uint64_t>();
        if (count > (1u << 24)) fail("an array of " + std::to_string(count) + " values");
        if (element == 8) {
          std::vector<std::string> strings;
          for (uint64_t i = 0; i < count; ++i) strings.push_back(string());
          return strings;
        }
        if (element <= 6 || element >= 10) {
          std::vector<double> numbers;
          for (uint64_t i = 0; i < count; ++i) {
            const Value v = value(element);
            if (auto* u = std::get_if<uint64_t>(&v)) numbers.push_back(static_cast<double>(*u));
            else if (auto* n = std::get_if<int64_t>(&v)) numbers.push_back(static_cast<double>(*n));
            else numbers.push_back(std::get<double>(v));
          }
          return numbers;
        }
        for (uint64_t i = 0; i < count; ++i) value(element);
        return count;
      }
      case 10: return read<uint64_t>();
      case 11: return read<int64_t>();
      case 12: return read<double>();
      default: fail("unknown metadata value type " + std::to_string(type));
    }
  }
  uint64_t position() { return static_cast<uint64_t>(in_.tellg()); }
  void bytes(uint64_t offset, void* out, size_t n) {
    in_.seekg(static_cast<std::streamoff>(offset));
    if (!in_.read(static_cast<char*>(out), static_cast<std::streamsize>(n))) fail("truncated tensor data");
  }

 private:
  std::string name_;
  std::ifstream in_;
};

struct TensorInfo {
  std::vector<uint64_t> dims;  // ne[0] fastest
  uint32_t type = 0;
  uint64_t offset = 0;
};

uint64_t element_count(const TensorInfo& t) {
  uint64_t n = 1;
  for (uint64_t d : t.dims) n *= d;
  return n;
}

uint64_t data_bytes(const TensorInfo& t, const Reader& r) {
  const uint64_t n = element_count(t);
  switch (t.type) {
    case kF32: return n * 4;
    case kF16:
    case kBF16: return n * 2;
    case kQ8_0: return n / kBlock * 34;
    case kQ4_0: return n / kBlock * 18;
    default:
      if (is_kquant(t.type)) return n / kSuperBlock * kquant_block_bytes(t.type);
      r.fail("tensor type " + std::to_string(t.type) +
             " is not supported (F32, F16, BF16, Q8_0, Q4_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K)");
  }
}

// The tensor's values as float32, and for Q8_0 and Q4_0 its per-block scales.
std::vector<float> decode(const TensorInfo& t, const std::vector<uint8_t>& raw, std::vector<float>* block_scales) {
  const uint64_t n = element_count(t);
  std::vector<float> out(n);
  auto half = [&](size_t at) {
    uint16_t h;
    std::memcpy(&h, raw.data() + at, 2);
    return quant::fp16_to_float(h);
  };
  switch (t.type) {
    case kF32: std::memcpy(out.data(), raw.data(), n * 4); break;
    case kF16:
      for (uint64_t i = 0; i < n; ++i) out[i] = half(i * 2);
      break;
    case kBF16:
      for (uint64_t i = 0; i < n; ++i) {
        uint16_t b;
        std::memcpy(&b, raw.data() + i * 2, 2);
        out[i] = quant::bf16_to_float(b);
      }
      break;
    case kQ8_0:
      for (uint64_t b = 0; b < n / kBlock; ++b) {
        const float d = half(b * 34);
        if (block_scales) block_scales->push_back(d);
        for (size_t j = 0; j < kBlock; ++j)
          out[b * kBlock + j] = static_cast<float>(static_cast<int8_t>(raw[b * 34 + 2 + j])) * d;
      }
      break;
    case kQ4_0:
      for (uint64_t b = 0; b < n / kBlock; ++b) {
        const float d = half(b * 18);
        if (block_scales) block_scales->push_back(d);
        for (size_t j = 0; j < kBlock / 2; ++j) {
          const uint8_t q = raw[b * 18 + 2 + j];
          out[b * kBlock + j] = static_cast<float>(static_cast<int>(q & 0xF) - 8) * d;
          out[b * kBlock + j + kBlock / 2] = static_cast<float>(static_cast<int>(q >> 4) - 8) * d;
        }
      }
      break;
    default:
      if (is_kquant(t.type)) dequantize_kquant(t.type, raw.data(), n / kSuperBlock, out.data());
      break;
  }
  return out;
}

struct GgufFile {
  std::map<std::string, Value> kv;
  std::map<std::string, TensorInfo> infos;
  uint64_t data_start = 0;
};

GgufFile parse(Reader& r) {
  if (r.read<uint32_t>() != kMagic) r.fail("not a GGUF file");
  const uint32_t version = r.read<uint32_t>();
  if (version < 2 || version > 3) r.fail("GGUF version " + std::to_string(version) + " (2 and 3 are read)");
  const uint64_t tensor_count = r.read<uint64_t>();
  const uint64_t kv_count = r.read<uint64_t>();
  GgufFile f;
  for (uint64_t i = 0; i < kv_count; ++i) {
    std::string key = r.string();
    const uint32_t type = r.read<uint32_t>();
    f.kv[key] = r.value(type);
  }
  for (uint64_t i = 0; i < tensor_count; ++i) {
    std::string name = r.string();
    TensorInfo t;
    const uint32_t n_dims = r.read<uint32_t>();
    if (n_dims == 0 || n_dims > 4) r.fail("tensor '" + name + "' has " + std::to_string(n_dims) + " dims");
    for (uint32_t d = 0; d < n_dims; ++d) t.dims.push_back(r.read<uint64_t>());
    t.type = r.read<uint32_t>();
    t.offset = r.read<uint64_t>();
    f.infos[name] = t;
  }
  uint64_t alignment = 32;
  if (auto it = f.kv.find("general.alignment"); it != f.kv.end())
    if (auto* u = std::get_if<uint64_t>(&it->second)) alignment = *u;
  if (alignment == 0) r.fail("general.alignment is 0");
  f.data_start = align_up(r.position(), alignment);
  return f;
}

llm::Vocabulary vocabulary(const GgufFile& f, const Reader& r) {
  llm::Vocabulary v;
  auto text = [&](const char* key) -> std::string {
    auto it = f.kv.find(key);
    if (it == f.kv.end() || !std::holds_alternative<std::string>(it->second)) r.fail(std::string("no ") + key);
    return std::get<std::string>(it->second);
  };
  auto numbers = [&](const char* key) -> const std::vector<double>& {
    auto it = f.kv.find(key);
    if (it == f.kv.end() || !std::holds_alternative<std::vector<double>>(it->second))
      r.fail(std::string("no ") + key + " array");
    return std::get<std::vector<double>>(it->second);
  };
  v.model = text("tokenizer.ggml.model");
  auto tokens = f.kv.find("tokenizer.ggml.tokens");
  if (tokens == f.kv.end() || !std::holds_alternative<std::vector<std::string>>(tokens->second))
    r.fail("no tokenizer.ggml.tokens array");
  v.tokens = std::get<std::vector<std::string>>(tokens->second);
  // Byte-level BPE vocabularies rank merges instead of scoring tokens.
  if (v.model == "gpt2" && !f.kv.count("tokenizer.ggml.scores"))
    v.scores.assign(v.tokens.size(), 0.0f);
  else
    for (double s : numbers("tokenizer.ggml.scores")) v.scores.push_back(static_cast<float>(s));
  for (double t : numbers("tokenizer.ggml.token_type")) v.types.push_back(static_cast<int32_t>(t));
  if (auto it = f.kv.find("tokenizer.ggml.add_space_prefix"); it != f.kv.end())
    if (auto* b = std::get_if<bool>(&it->second)) v.add_space_prefix = *b;
  if (v.model == "gpt2") {
    auto merges = f.kv.find("tokenizer.ggml.merges");
    if (merges == f.kv.end() || !std::holds_alternative<std::vector<std::string>>(merges->second))
      r.fail("no tokenizer.ggml.merges array (a gpt2 tokenizer needs its merges)");
    v.merges = std::get<std::vector<std::string>>(merges->second);
    auto pre = f.kv.find("tokenizer.ggml.pre");
    if (pre != f.kv.end() && std::holds_alternative<std::string>(pre->second)) v.pre = std::get<std::string>(pre->second);
    if (!llm::is_supported_bpe_pre_tokenizer(v.pre))
      r.fail("the tokenizer's pre-tokenizer (tokenizer.ggml.pre) '" + v.pre + "' is not supported (" +
             llm::supported_bpe_pre_tokenizers() + " are)");
  }
  return v;
}

// A K-format matrix as int8 with an fp16 scale per group of 32 (max |x| /
// 127): its sub-blocks of 16 or 32 values hold 2 to 6 bits each, so 8 bits
// on groups of 32 keep them to within about 1e-5 NMSE; the error is added
// to the file's record for its type.
void requantize(ImportedLlm& out, int index, const Shape& shape, const std::vector<float>& values,
                const std::string& type) {
  quant::WeightQuant q;
  q.format = quant::WeightFormat::kInt8Grouped;
  q.group_size = kBlock;
  std::vector<std::byte> bytes = quant::encode_weight(q, shape, values);
  const std::vector<float> decoded = quant::decode_weight(q, shape, bytes);
  RequantizedType* record = nullptr;
  for (RequantizedType& r : out.requantized)
    if (r.type == type) record = &r;
  if (!record) record = &out.requantized.emplace_back(RequantizedType{type, "int8 g32"});
  record->tensors += 1;
  record->values += values.size();
  record->error.add(values, decoded);
  out.graph.set_quantized_constant(index, q, std::move(bytes));
}

}  // namespace

llm::Vocabulary read_gguf_vocabulary(const std::filesystem::path& path) {
  Reader r(path);
  return vocabulary(parse(r), r);
}

bool looks_like_gguf(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  uint32_t magic = 0;
  return in.read(reinterpret_cast<char*>(&magic), 4) && magic == kMagic;
}

ImportedLlm import_gguf(const std::filesystem::path& path, const GgufImportOptions& options) {
  Reader r(path);
  const GgufFile f = parse(r);
  const auto& kv = f.kv;
  const auto& infos = f.infos;
  auto integer = [&](const std::string& key, bool required, int64_t fallback) -> int64_t {
    auto it = kv.find(key);
    if (it == kv.end()) {
      if (required) r.fail("metadata '" + key + "' is missing");
      return fallback;
    }
    if (auto* u = std::get_if<uint64_t>(&it->second)) return static_cast<int64_t>(*u);
    if (auto* s = std::get_if<int64_t>(&it->second)) return *s;
    r.fail("metadata '" + key + "' is not an integer");
  };
  auto real = [&](const std::string& key, double fallback) -> double {
    auto it = kv.find(key);
    if (it == kv.end()) return fallback;
    if (auto* d = std::get_if<double>(&it->second)) return *d;
    r.fail("metadata '" + key + "' is not a number");
  };
  const auto arch_it = kv.find("general.architecture");
  const std::string arch = arch_it != kv.end() && std::holds_alternative<std::string>(arch_it->second)
                               ? std::get<std::string>(arch_it->second)
                               : "";
  // llama (Llama 1-3, Mistral, TinyLlama...): Q and K rows stored in the
  // order that rotates consecutive pairs; qwen2: the rows as trained, which
  // rotate (i, i + head_dim / 2) (NEOX), and biases on Q, K and V.
  if (arch != "llama" && arch != "qwen2")
    r.fail("architecture '" + arch + "' is not supported yet (llama and qwen2 are)");
  const uint64_t data_start = f.data_start;

  ImportedLlm out;
  llm::LlmConfig& c = out.config;
  c.arch = arch;
  c.dim = static_cast<int>(integer(arch + ".embedding_length", true, 0));
  c.hidden_dim = static_cast<int>(integer(arch + ".feed_forward_length", true, 0));
  c.n_layers = static_cast<int>(integer(arch + ".block_count", true, 0));
  c.n_heads = static_cast<int>(integer(arch + ".attention.head_count", true, 0));
  c.n_kv_heads = static_cast<int>(integer(arch + ".attention.head_count_kv", false, c.n_heads));
  c.context = static_cast<int>(integer(arch + ".context_length", true, 0));
  c.norm_eps = static_cast<float>(real(arch + ".attention.layer_norm_rms_epsilon", 1e-5));
  c.rope_theta = static_cast<float>(real(arch + ".rope.freq_base", 10000.0));
  c.rope_neox = arch == "qwen2";
  const int64_t rotated = integer(arch + ".rope.dimension_count", false, c.n_heads > 0 ? c.dim / c.n_heads : 0);
  if (c.n_heads > 0 && rotated != c.dim / c.n_heads)
    r.fail(arch + ".rope.dimension_count is " + std::to_string(rotated) + ": rotating part of a head (size " +
           std::to_string(c.dim / c.n_heads) + ") is not supported");
  c.bos_token = static_cast<int>(integer("tokenizer.ggml.bos_token_id", false, 1));
  c.eos_token = static_cast<int>(integer("tokenizer.ggml.eos_token_id", false, 2));
  const auto embd = infos.find("token_embd.weight");
  if (embd == infos.end() || embd->second.dims.size() != 2) r.fail("tensor 'token_embd.weight' is missing");
  c.vocab_size = static_cast<int>(embd->second.dims[1]);
  Status valid = c.validate();
  if (!valid.ok()) r.fail(valid.message());
  if (auto it = kv.find("tokenizer.chat_template"); it != kv.end() && std::holds_alternative<std::string>(it->second))
    out.chat_template = std::get<std::string>(it->second);
  if (kv.count("tokenizer.ggml.model")) {
    out.vocabulary = vocabulary(f, r);
    // As llama.cpp: SentencePiece vocabularies start prompts with BOS,
    // byte-level BPE ones do not, unless the file says otherwise.
    c.add_bos = out.vocabulary.model == "llama";
    if (auto it = kv.find("tokenizer.ggml.add_bos_token"); it != kv.end())
      if (auto* b = std::get_if<bool>(&it->second)) c.add_bos = *b;
    if (out.vocabulary.tokens.size() != static_cast<size_t>(c.vocab_size))
      r.fail("the tokenizer has " + std::to_string(out.vocabulary.tokens.size()) + " tokens, the embedding " +
             std::to_string(c.vocab_size));
  }

  for (const auto& [name, t] : infos) {
    const std::string base = name.size() > 7 && name.substr(name.size() - 7) == ".weight"
                                 ? name.substr(0, name.size() - 7)
                                 : name;
    std::vector<uint8_t> raw(data_bytes(t, r));
    if (t.type == kQ8_0 || t.type == kQ4_0)
      if (t.dims[0] % kBlock != 0) r.fail("tensor '" + name + "' rows are not whole blocks of 32");
    if (is_kquant(t.type) && t.dims[0] % kSuperBlock != 0)
      r.fail("tensor '" + name + "' rows are not whole " + kquant_name(t.type) + " blocks of 256");
    r.bytes(data_start + t.offset, raw.data(), raw.size());
    std::vector<float> scales;
    const std::vector<float> values = decode(t, raw, &scales);
    Shape shape;
    for (size_t d = t.dims.size(); d-- > 0;) shape.push_back(static_cast<int64_t>(t.dims[d]));
    HostTensor tensor(DataType::FLOAT32, shape);
    std::memcpy(tensor.bytes.data(), values.data(), values.size() * sizeof(float));
    const int index = out.graph.add_constant(base, tensor);
    if ((t.type == kQ4_0 || t.type == kQ8_0) && shape.size() == 2) {
      // The same codes on the same fp16 scales: Q4_0 ((q - 8) * d, d of
      // either sign) as int4 with groups of 32 and zero point 8, Q8_0
      // (q * d) as int8 with groups of 32.
      const bool q4 = t.type == kQ4_0;
      quant::WeightQuant q;
      q.format = q4 ? quant::WeightFormat::kInt4Asymmetric : quant::WeightFormat::kInt8Grouped;
      q.group_size = kBlock;
      quant::QuantGrid grid;
      grid.kind = q4 ? quant::QuantGrid::Kind::kInt4Asymmetric : quant::QuantGrid::Kind::kInt8Grouped;
      grid.rows = static_cast<size_t>(shape[0]);
      grid.cols = static_cast<size_t>(shape[1]);
      grid.group = kBlock;
      grid.scales = scales;
      for (float& s : grid.scales)
        if (s == 0.0f) s = 1.0f;  // an all-zero block
      grid.offsets.assign(grid.scales.size(), q4 ? 8 : 0);
      out.graph.set_quantized_constant(index, q, quant::encode_weight(q, shape, values, &grid));
    } else if (is_kquant(t.type) && shape.size() == 2 &&
               (options.requantize_kquants || base == "token_embd")) {
      requantize(out, index, shape, values, kquant_name(t.type));
    }
  }
  return out;
}

}  // namespace fennec::llm_import
