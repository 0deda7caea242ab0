#include "llm/bpe.h"

#include <array>
#include <cstring>
#include <queue>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace fennec::llm {
namespace {

struct PreTokenizer {
  const char* name;
  const char* pattern;
  bool whole_pieces;
};

// The patterns the tokenizers publish; Llama 3's and Qwen2's case-insensitive
// group of contractions is written out letter by letter, so that only ASCII
// letters match it.
constexpr PreTokenizer kPreTokenizers[] = {
    {"gpt-2", R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)", false},
    {"llama-bpe",
     R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     true},
    {"qwen2",
     R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     false},
};

const PreTokenizer* find_pre_tokenizer(std::string_view name) {
  for (const PreTokenizer& p : kPreTokenizers)
    if (name == p.name) return &p;
  return nullptr;
}

// The code point standing for each byte: the printable Latin-1 bytes
// (0x21-0x7E, 0xA1-0xAC, 0xAE-0xFF) for themselves, the other 68 bytes for
// U+0100 onwards in byte order.
std::array<uint32_t, 256> make_alphabet() {
  std::array<uint32_t, 256> code{};
  uint32_t next = 0x100;
  for (uint32_t b = 0; b < 256; ++b) {
    const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
    code[b] = printable ? b : next++;
  }
  return code;
}

const std::array<uint32_t, 256>& alphabet() {
  static const std::array<uint32_t, 256> code = make_alphabet();
  return code;
}

void append_utf8(uint32_t c, std::string& out) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else {  // the alphabet ends below U+0800
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

uint64_t pair_key(int left, int right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

}  // namespace

bool is_supported_bpe_pre_tokenizer(std::string_view pre) { return find_pre_tokenizer(pre) != nullptr; }

const char* supported_bpe_pre_tokenizers() { return "gpt-2, llama-bpe, qwen2"; }

std::string byte_to_alphabet(uint8_t byte) {
  std::string out;
  append_utf8(alphabet()[byte], out);
  return out;
}

std::string alphabet_to_bytes(std::string_view text) {
  // The alphabet's code points are all below U+0144: one or two UTF-8 bytes.
  static const std::array<int, 0x144> byte_of = [] {
    std::array<int, 0x144> table;
    table.fill(-1);
    for (int b = 0; b < 256; ++b) table[alphabet()[static_cast<size_t>(b)]] = b;
    return table;
  }();
  std::string out;
  out.reserve(text.size());
  for (size_t at = 0; at < text.size();) {
    const auto lead = static_cast<unsigned char>(text[at]);
    uint32_t c = lead;
    size_t length = 1;
    if ((lead & 0xE0) == 0xC0 && at + 1 < text.size() && (static_cast<unsigned char>(text[at + 1]) & 0xC0) == 0x80) {
      c = ((lead & 0x1Fu) << 6) | (static_cast<unsigned char>(text[at + 1]) & 0x3Fu);
      length = 2;
    }
    if (c < byte_of.size() && byte_of[c] >= 0 && (length == 2 || c < 0x80))
      out += static_cast<char>(byte_of[c]);
    else
      out.append(text.substr(at, length));
    at += length;
  }
  return out;
}

struct BytePairEncoder::Splitter {
  pcre2_code* code = nullptr;
  ~Splitter() { pcre2_code_free(code); }
};

BytePairEncoder::BytePairEncoder() = default;
BytePairEncoder::BytePairEncoder(BytePairEncoder&&) noexcept = default;
BytePairEncoder& BytePairEncoder::operator=(BytePairEncoder&&) noexcept = default;
BytePairEncoder::~BytePairEncoder() = default;

Result<BytePairEncoder> BytePairEncoder::create(const std::vector<std::string>& tokens,
                                                const std::vector<std::string>& merges, const std::string& pre) {
  const PreTokenizer* p = find_pre_tokenizer(pre);
  if (!p)
    return make_error(StatusCode::kUnsupported, "tokenizer: the BPE pre-tokenizer '{}' is not supported ({} are)",
                      pre, supported_bpe_pre_tokenizers());
  BytePairEncoder e;
  e.whole_pieces_ = p->whole_pieces;
  e.splitter_ = std::make_unique<Splitter>();
  int error = 0;
  PCRE2_SIZE error_offset = 0;
  // Invalid UTF-8 never matches, so such bytes become pieces of their own
  // instead of failing the match.
  e.splitter_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(p->pattern), PCRE2_ZERO_TERMINATED,
                                    PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &error, &error_offset, nullptr);
  if (!e.splitter_->code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof(message));
    return make_error(StatusCode::kInternal, "tokenizer: the '{}' pattern does not compile at {}: {}", pre,
                      error_offset, reinterpret_cast<const char*>(message));
  }
  pcre2_jit_compile(e.splitter_->code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter if unavailable

  e.ids_.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) e.ids_.emplace(tokens[i], static_cast<int>(i));
  for (int b = 0; b < 256; ++b) {
    auto it = e.ids_.find(std::string_view(byte_to_alphabet(static_cast<uint8_t>(b))));
    if (it == e.ids_.end())
      return make_error(StatusCode::kInvalidModel, "tokenizer: no token for byte 0x{:02X} ('{}')", b,
                        byte_to_alphabet(static_cast<uint8_t>(b)));
    e.byte_tokens_[b] = it->second;
  }
  e.merges_.reserve(merges.size());
  std::string joined_text;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const std::string_view m = merges[rank];
    const size_t space = m.find(' ', 1);
    if (space == std::string::npos)
      return make_error(StatusCode::kInvalidModel, "tokenizer: merge {} ('{}') is not two texts apart by a space", rank,
                        m);
    const std::string_view left = m.substr(0, space), right = m.substr(space + 1);
    joined_text.assign(left);
    joined_text.append(right);
    auto l = e.ids_.find(left), r = e.ids_.find(right), joined = e.ids_.find(std::string_view(joined_text));
    if (l == e.ids_.end() || r == e.ids_.end() || joined == e.ids_.end())
      return make_error(StatusCode::kInvalidModel, "tokenizer: merge {} ('{}') names a text that is not a token", rank,
                        m);
    // A pair listed twice keeps its first (lowest) rank.
    e.merges_.emplace(pair_key(l->second, r->second), Merge{static_cast<int>(rank), joined->second});
  }
  return e;
}

std::vector<std::string_view> BytePairEncoder::split(std::string_view text) const {
  std::vector<std::string_view> pieces;
  pcre2_match_data* match = pcre2_match_data_create_from_pattern(splitter_->code, nullptr);
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t at = 0;  // the end of what is already in pieces
  while (at < text.size()) {
    int found = pcre2_match(splitter_->code, subject, text.size(), at, 0, match, nullptr);
    // The JIT's small fixed stack can run out on a huge piece; the
    // interpreter keeps its backtracking on the heap.
    if (found < 0 && found != PCRE2_ERROR_NOMATCH)
      found = pcre2_match(splitter_->code, subject, text.size(), at, PCRE2_NO_JIT, match, nullptr);
    if (found < 0) break;  // no match in the rest (or a match limit hit): it becomes one piece below
    const PCRE2_SIZE* span = pcre2_get_ovector_pointer(match);
    size_t begin = span[0], end = span[1];
    if (begin > at) pieces.push_back(text.substr(at, begin - at));
    if (end == begin) {  // none of the patterns match empty text; be safe anyway
      end = begin + 1;
      while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
    }
    pieces.push_back(text.substr(begin, end - begin));
    at = end;
  }
  if (at < text.size()) pieces.push_back(text.substr(at));
  pcre2_match_data_free(match);
  return pieces;
}

void BytePairEncoder::merge_piece(std::string_view piece, std::vector<int>& ids) const {
  struct Symbol {
    int id;
    int prev, next;  // neighbours among live symbols, -1 at the ends
  };
  struct Candidate {
    int rank, left, right, left_id, right_id, result;
    // priority_queue puts the largest first: the lowest rank, then the leftmost.
    bool operator<(const Candidate& o) const { return rank > o.rank || (rank == o.rank && left > o.left); }
  };
  const int n = static_cast<int>(piece.size());
  std::vector<Symbol> symbols(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i)
    symbols[static_cast<size_t>(i)] = {byte_tokens_[static_cast<unsigned char>(piece[static_cast<size_t>(i)])], i - 1,
                                       i + 1 < n ? i + 1 : -1};
  std::priority_queue<Candidate> queue;
  auto consider = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const int a = symbols[static_cast<size_t>(left)].id, b = symbols[static_cast<size_t>(right)].id;
    auto it = merges_.find(pair_key(a, b));
    if (it != merges_.end()) queue.push({it->second.rank, left, right, a, b, it->second.result});
  };
  for (int i = 1; i < n; ++i) consider(i - 1, i);
  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    Symbol& a = symbols[static_cast<size_t>(c.left)];
    Symbol& b = symbols[static_cast<size_t>(c.right)];
    // Stale: a side was merged away or changed since the pair was queued.
    if (a.id != c.left_id || b.id != c.right_id || a.next != c.right) continue;
    a.id = c.result;
    a.next = b.next;
    if (b.next >= 0) symbols[static_cast<size_t>(b.next)].prev = c.left;
    b.id = -1;
    consider(a.prev, c.left);
    consider(c.left, a.next);
  }
  for (int i = n > 0 ? 0 : -1; i >= 0; i = symbols[static_cast<size_t>(i)].next)
    ids.push_back(symbols[static_cast<size_t>(i)].id);
}

std::vector<int> BytePairEncoder::encode(std::string_view text) const {
  std::vector<int> ids;
  std::string written;
  for (std::string_view piece : split(text)) {
    if (whole_pieces_) {
      written.clear();
      for (char c : piece) append_utf8(alphabet()[static_cast<unsigned char>(c)], written);
      if (auto it = ids_.find(std::string_view(written)); it != ids_.end()) {
        ids.push_back(it->second);
        continue;
      }
    }
    merge_piece(piece, ids);
  }
  return ids;
}

}  // namespace fennec::llm
