// Imports a decoder-only LLM in the Hugging Face layout: a directory with
// config.json (LlamaForCausalLM, MistralForCausalLM or Qwen2ForCausalLM),
// one or more *.safetensors files (F32, F16 or BF16 tensors, sharded or
// not) and, optionally, tokenizer.json.
//
// Tensor names map onto the decoder's (llm/config.h): model.embed_tokens ->
// token_embd, model.layers.<l>.self_attn.{q,k,v,o}_proj -> attn_{q,k,v,output}
// (with q/k/v biases where the model has them), input_layernorm ->
// attn_norm, post_attention_layernorm -> ffn_norm, mlp.{gate,up,down}_proj
// -> ffn_{gate,up,down}, model.norm -> output_norm, lm_head -> output
// (absent with tied embeddings). Hugging Face stores Q and K rows in the
// order that rotates (i, i + head_dim / 2) (NEOX), so the config says so and
// no rows are permuted. Values become float32 exactly.
//
// tokenizer.json is carried over when it is a byte-level BPE whose
// pre-tokenizer is one the runtime has (gpt-2, llama-3 or qwen2 splitting);
// otherwise the import says why it left the tokenizer out.
#pragma once

#include <filesystem>
#include <string>

#include "llm/llama2c.h"

namespace fennec::llm_import {

// Whether `path` is a directory with a config.json.
bool looks_like_hf(const std::filesystem::path& path);

// Throws converter::ConvertError naming the file and what is wrong.
ImportedLlm import_hf(const std::filesystem::path& dir);

}  // namespace fennec::llm_import
