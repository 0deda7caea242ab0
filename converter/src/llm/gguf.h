// Imports a GGUF (v2/v3) file of the llama or qwen2 architecture: metadata,
// tensor infos and data at the file's alignment. Tensor types F32, F16 and
// BF16 become float32 (exactly); Q8_0 becomes Fennec's int8 with groups of
// 32 and Q4_0 its int4 with groups of 32 and zero point 8, both on the same
// fp16 scales (exactly; the token embedding too); the K formats are decoded
// (llm/ggml_kquants.h) and re-quantized, with the error recorded. GGUF's llama tensors are already in
// the interleaved RoPE layout (pairs 2i, 2i+1) that the decoder uses.
#pragma once

#include <filesystem>

#include "llm/llama2c.h"
#include "llm/tokenizer.h"

namespace fennec::llm_import {

// Whether `path` starts with the GGUF magic.
bool looks_like_gguf(const std::filesystem::path& path);

struct GgufImportOptions {
  // K formats (Q2_K ... Q6_K): matrices become int8 with groups of 32 (their
  // error reported in ImportedLlm::requantized); false leaves them float32
  // for --quantize to encode from their exact values (but for the token
  // embedding, which --quantize leaves alone).
  bool requantize_kquants = true;
};

// Throws converter::ConvertError naming the file and what is wrong.
ImportedLlm import_gguf(const std::filesystem::path& path, const GgufImportOptions& options = {});

// The tokenizer vocabulary of a GGUF file (tokenizer.ggml.*); vocabulary-only
// files (no tensors) are fine. Throws converter::ConvertError.
llm::Vocabulary read_gguf_vocabulary(const std::filesystem::path& path);

}  // namespace fennec::llm_import
