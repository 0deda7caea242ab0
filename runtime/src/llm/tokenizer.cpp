#include "llm/tokenizer.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <queue>

namespace fennec::llm {
namespace {

const std::string kSpace = "\xE2\x96\x81";  // U+2581

// Bytes in the UTF-8 character that starts with `lead` (1 for a stray
// continuation byte).
size_t utf8_length(unsigned char lead) {
  if (lead < 0x80 || lead < 0xC0) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

struct Piece {
  size_t begin = 0, length = 0;
  int prev = -1, next = -1;
};

struct Candidate {
  int left = 0, right = 0;
  float score = 0.0f;
  size_t length = 0;  // of the merged text, to spot stale candidates
  bool operator<(const Candidate& other) const {
    return score < other.score || (score == other.score && left > other.left);
  }
};

// Texts as one uint8 constant `text_name` holding them back to back and an
// int32 constant `offsets_name` of where each starts (and the end).
void add_texts(graph::Graph& graph, const char* text_name, const char* offsets_name,
               const std::vector<std::string>& texts) {
  const int64_t n = static_cast<int64_t>(texts.size());
  std::string text;
  HostTensor offsets(DataType::INT32, {n + 1});
  for (int64_t i = 0; i < n; ++i) {
    offsets.as<int32_t>()[static_cast<size_t>(i)] = static_cast<int32_t>(text.size());
    text += texts[static_cast<size_t>(i)];
  }
  offsets.as<int32_t>()[static_cast<size_t>(n)] = static_cast<int32_t>(text.size());
  HostTensor bytes(DataType::UINT8, {static_cast<int64_t>(text.size())});
  std::memcpy(bytes.bytes.data(), text.data(), text.size());
  graph.add_constant(text_name, bytes);
  graph.add_constant(offsets_name, offsets);
}

// The `n` texts that add_texts wrote, or an error naming what is wrong.
Result<std::vector<std::string>> read_texts(const HostTensor& text, const HostTensor& offsets, size_t n) {
  if (offsets.dtype != DataType::INT32 || offsets.bytes.size() != (n + 1) * 4)
    return make_error(StatusCode::kInvalidModel, "the model's tokenizer tensors do not agree in size");
  const int32_t* off = reinterpret_cast<const int32_t*>(offsets.bytes.data());
  std::vector<std::string> texts;
  texts.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (off[i] < 0 || off[i] > off[i + 1] || static_cast<size_t>(off[i + 1]) > text.bytes.size())
      return make_error(StatusCode::kInvalidModel, "the model's tokenizer offsets are out of range");
    texts.emplace_back(reinterpret_cast<const char*>(text.bytes.data()) + off[i],
                       static_cast<size_t>(off[i + 1] - off[i]));
  }
  return texts;
}

}  // namespace

Result<Tokenizer> Tokenizer::create(Vocabulary vocabulary) {
  if (vocabulary.model != "llama" && vocabulary.model != "gpt2")
    return make_error(StatusCode::kUnsupported, "tokenizer model '{}' is not supported yet (llama and gpt2 are)",
                      vocabulary.model);
  if (vocabulary.model == "gpt2" && vocabulary.scores.empty()) vocabulary.scores.assign(vocabulary.tokens.size(), 0.0f);
  if (vocabulary.scores.size() != vocabulary.tokens.size() || vocabulary.types.size() != vocabulary.tokens.size())
    return make_error(StatusCode::kInvalidModel, "tokenizer: {} tokens, {} scores, {} types",
                      vocabulary.tokens.size(), vocabulary.scores.size(), vocabulary.types.size());
  Tokenizer t;
  for (size_t i = 0; i < vocabulary.tokens.size(); ++i)
    if ((vocabulary.types[i] == 3 || vocabulary.types[i] == 4) && !vocabulary.tokens[i].empty())
      t.specials_.push_back(static_cast<int>(i));
  std::stable_sort(t.specials_.begin(), t.specials_.end(), [&](int a, int b) {
    return vocabulary.tokens[static_cast<size_t>(a)].size() > vocabulary.tokens[static_cast<size_t>(b)].size();
  });
  for (size_t i = 0; i < vocabulary.tokens.size(); ++i) t.ids_.emplace(vocabulary.tokens[i], static_cast<int>(i));
  if (vocabulary.model == "gpt2") {
    FENNEC_ASSIGN_OR_RETURN(BytePairEncoder bpe,
                            BytePairEncoder::create(vocabulary.tokens, vocabulary.merges, vocabulary.pre));
    t.bpe_.emplace(std::move(bpe));
    t.vocab_ = std::move(vocabulary);
    return t;
  }
  t.vocab_ = std::move(vocabulary);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    auto it = t.ids_.find(name);
    if (it == t.ids_.end())
      return make_error(StatusCode::kInvalidModel, "tokenizer: the byte token {} is missing", name);
    t.byte_tokens_[b] = it->second;
  }
  return t;
}

std::vector<int> Tokenizer::encode(const std::string& text) const {
  return bpe_ ? bpe_->encode(text) : encode_spm(text);
}

std::vector<int> Tokenizer::encode_special(const std::string& text) const {
  std::vector<int> ids;
  size_t plain = 0;  // start of the text not yet encoded
  for (size_t at = 0; at < text.size();) {
    int found = -1;
    for (int id : specials_) {
      const std::string& s = vocab_.tokens[static_cast<size_t>(id)];
      if (text.compare(at, s.size(), s) == 0) {
        found = id;
        break;
      }
    }
    if (found < 0) {
      ++at;
      continue;
    }
    if (at > plain) {
      const std::vector<int> part = encode(text.substr(plain, at - plain));
      ids.insert(ids.end(), part.begin(), part.end());
    }
    ids.push_back(found);
    at += vocab_.tokens[static_cast<size_t>(found)].size();
    plain = at;
  }
  if (plain < text.size()) {
    const std::vector<int> part = encode(text.substr(plain));
    ids.insert(ids.end(), part.begin(), part.end());
  }
  return ids;
}

int Tokenizer::find_token(const std::string& text) const {
  const auto it = ids_.find(text);
  return it == ids_.end() ? -1 : it->second;
}

std::vector<int> Tokenizer::encode_spm(const std::string& raw) const {
  std::vector<int> ids;
  if (raw.empty()) return ids;
  std::string text;
  if (vocab_.add_space_prefix) text = kSpace;
  for (char c : raw) {
    if (c == ' ') text += kSpace;
    else text += c;
  }
  std::vector<Piece> pieces;
  for (size_t at = 0; at < text.size();) {
    const size_t length = std::min(utf8_length(static_cast<unsigned char>(text[at])), text.size() - at);
    const int index = static_cast<int>(pieces.size());
    pieces.push_back({at, length, index - 1, -1});
    if (index > 0) pieces[static_cast<size_t>(index - 1)].next = index;
    at += length;
  }
  std::priority_queue<Candidate> queue;
  auto consider = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const Piece& a = pieces[static_cast<size_t>(left)];
    const Piece& b = pieces[static_cast<size_t>(right)];
    auto it = ids_.find(text.substr(a.begin, a.length + b.length));
    if (it == ids_.end()) return;
    queue.push({left, right, vocab_.scores[static_cast<size_t>(it->second)], a.length + b.length});
  };
  for (size_t i = 1; i < pieces.size(); ++i) consider(static_cast<int>(i - 1), static_cast<int>(i));
  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    Piece& a = pieces[static_cast<size_t>(c.left)];
    Piece& b = pieces[static_cast<size_t>(c.right)];
    // Stale: one side was merged away or grew since.
    if (a.length == 0 || b.length == 0 || a.length + b.length != c.length || a.next != c.right) continue;
    a.length += b.length;
    b.length = 0;
    a.next = b.next;
    if (b.next >= 0) pieces[static_cast<size_t>(b.next)].prev = c.left;
    consider(a.prev, c.left);
    consider(c.left, a.next);
  }
  for (int i = pieces.empty() ? -1 : 0; i >= 0; i = pieces[static_cast<size_t>(i)].next) {
    const Piece& p = pieces[static_cast<size_t>(i)];
    auto it = ids_.find(text.substr(p.begin, p.length));
    if (it != ids_.end()) {
      ids.push_back(it->second);
      continue;
    }
    for (size_t k = 0; k < p.length; ++k) ids.push_back(byte_tokens_[static_cast<unsigned char>(text[p.begin + k])]);
  }
  return ids;
}

std::string Tokenizer::decode(std::span<const int> ids) const {
  std::string out;
  for (int id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= vocab_.tokens.size()) continue;
    const std::string& piece = vocab_.tokens[static_cast<size_t>(id)];
    if (bpe_) {
      const int32_t type = vocab_.types[static_cast<size_t>(id)];
      if (type == 3) continue;  // control tokens print nothing
      // User-defined tokens are plain text; the rest are in the byte alphabet.
      out += type == 4 ? piece : alphabet_to_bytes(piece);
      continue;
    }
    if (vocab_.types[static_cast<size_t>(id)] == 6 && piece.size() == 6) {  // <0xXX>
      out += static_cast<char>(std::stoi(piece.substr(3, 2), nullptr, 16));
      continue;
    }
    if (vocab_.types[static_cast<size_t>(id)] == 3) continue;  // control tokens print nothing
    for (size_t at = 0; at < piece.size();) {
      if (piece.compare(at, kSpace.size(), kSpace) == 0) {
        out += ' ';
        at += kSpace.size();
      } else {
        out += piece[at++];
      }
    }
  }
  return out;
}

bool is_vocabulary_tensor(const std::string& name) { return name.rfind("tokenizer.", 0) == 0; }

void add_vocabulary(graph::Graph& graph, const Vocabulary& v,
                    std::vector<std::pair<std::string, std::string>>& metadata) {
  const int64_t n = static_cast<int64_t>(v.tokens.size());
  add_texts(graph, "tokenizer.text", "tokenizer.offsets", v.tokens);
  HostTensor scores(DataType::FLOAT32, {n});
  std::memcpy(scores.bytes.data(), v.scores.data(), std::min(v.scores.size(), v.tokens.size()) * sizeof(float));
  HostTensor types(DataType::INT32, {n});
  std::memcpy(types.bytes.data(), v.types.data(), std::min(v.types.size(), v.tokens.size()) * sizeof(int32_t));
  graph.add_constant("tokenizer.scores", scores);
  graph.add_constant("tokenizer.types", types);
  metadata.push_back({"tokenizer.model", v.model});
  metadata.push_back({"tokenizer.add_space_prefix", v.add_space_prefix ? "1" : "0"});
  if (!v.merges.empty()) add_texts(graph, "tokenizer.merges", "tokenizer.merge_offsets", v.merges);
  if (!v.pre.empty()) metadata.push_back({"tokenizer.pre", v.pre});
}

Result<Vocabulary> read_vocabulary(const graph::Graph& graph,
                                   const std::function<const char*(const char*)>& lookup) {
  Vocabulary v;
  const char* model = lookup("tokenizer.model");
  if (!model) return v;
  v.model = model;
  const char* prefix = lookup("tokenizer.add_space_prefix");
  v.add_space_prefix = !prefix || std::string(prefix) != "0";
  if (const char* pre = lookup("tokenizer.pre")) v.pre = pre;
  const int text = graph.find_tensor("tokenizer.text"), offsets = graph.find_tensor("tokenizer.offsets");
  const int scores = graph.find_tensor("tokenizer.scores"), types = graph.find_tensor("tokenizer.types");
  if (text < 0 || offsets < 0 || scores < 0 || types < 0)
    return make_error(StatusCode::kInvalidModel, "the model's tokenizer tensors are missing");
  const HostTensor s = graph.constant_value(scores), k = graph.constant_value(types);
  const size_t n = s.bytes.size() / sizeof(float);
  if (k.dtype != DataType::INT32 || k.bytes.size() != n * 4)
    return make_error(StatusCode::kInvalidModel, "the model's tokenizer tensors do not agree in size");
  FENNEC_ASSIGN_OR_RETURN(v.tokens, read_texts(graph.constant_value(text), graph.constant_value(offsets), n));
  v.scores.resize(n);
  std::memcpy(v.scores.data(), s.bytes.data(), n * sizeof(float));
  v.types.resize(n);
  std::memcpy(v.types.data(), k.bytes.data(), n * sizeof(int32_t));
  const int merges = graph.find_tensor("tokenizer.merges"), merge_offsets = graph.find_tensor("tokenizer.merge_offsets");
  if ((merges < 0) != (merge_offsets < 0))
    return make_error(StatusCode::kInvalidModel, "the model's tokenizer merges are incomplete");
  if (merges >= 0) {
    const HostTensor o = graph.constant_value(merge_offsets);
    if (o.bytes.size() < 4) return make_error(StatusCode::kInvalidModel, "the model's tokenizer merges are empty");
    FENNEC_ASSIGN_OR_RETURN(v.merges, read_texts(graph.constant_value(merges), o, o.bytes.size() / 4 - 1));
  }
  return v;
}

}  // namespace fennec::llm
