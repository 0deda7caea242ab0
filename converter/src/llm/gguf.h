// Imports a GGUF (v2/v3) file of the llama architecture: metadata, tensor
// infos and data at the file's alignment. Tensor types F32, F16 and BF16
// become float32 (exactly); Q8_0 becomes Fennec's int8 with groups of 32 and
// Q4_0 its int4 with groups of 32 and zero point 8, both on the same fp16
// scales (exactly; the token embedding too). GGUF's llama tensors are already in
// the interleaved RoPE layout (pairs 2i, 2i+1) that the decoder uses.
#pragma once

#include <filesystem>

#include "llm/llama2c.h"
#include "llm/tokenizer.h"

namespace fennec::llm_import {

// Whether `path` starts with the GGUF magic.
bool looks_like_gguf(const std::filesystem::path& path);

// Throws converter::ConvertError naming the file and what is wrong.
ImportedLlm import_gguf(const std::filesystem::path& path);

// The tokenizer vocabulary of a GGUF file (tokenizer.ggml.*); vocabulary-only
// files (no tensors) are fine. Throws converter::ConvertError.
llm::Vocabulary read_gguf_vocabulary(const std::filesystem::path& path);

}  // namespace fennec::llm_import
