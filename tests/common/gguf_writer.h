// Writes GGUF files for tests: metadata values and arrays, tensor infos and
// 64-byte-aligned tensor data (the GGUF v3 layout).
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace fennec::testing {

class GgufWriter {
 public:
  void u32(const std::string& key, uint32_t v) { key_type(key, 4), put(v), ++kv_; }
  void f32(const std::string& key, float v) { key_type(key, 6), put(v), ++kv_; }
  void boolean(const std::string& key, bool v) { key_type(key, 7), put<uint8_t>(v ? 1 : 0), ++kv_; }
  void str(const std::string& key, const std::string& v) { key_type(key, 8), text(v), ++kv_; }
  void strings(const std::string& key, const std::vector<std::string>& v) {
    array_header(key, 8, v.size());
    for (const std::string& s : v) text(s);
  }
  void floats(const std::string& key, const std::vector<float>& v) {
    array_header(key, 6, v.size());
    for (float f : v) put(f);
  }
  void ints(const std::string& key, const std::vector<int32_t>& v) {
    array_header(key, 5, v.size());
    for (int32_t i : v) put(i);
  }
  // general.architecture and the shape keys of a Llama-family decoder of
  // architecture `arch`.
  void decoder_shape(const std::string& arch, uint32_t dim, uint32_t hidden, uint32_t layers, uint32_t heads,
                     uint32_t kv_heads, uint32_t context) {
    str("general.architecture", arch);
    u32(arch + ".embedding_length", dim);
    u32(arch + ".feed_forward_length", hidden);
    u32(arch + ".block_count", layers);
    u32(arch + ".attention.head_count", heads);
    u32(arch + ".attention.head_count_kv", kv_heads);
    u32(arch + ".context_length", context);
  }
  // A tensor of GGML type `type` with dims ne[0] (fastest) first.
  void tensor(const std::string& name, std::vector<uint64_t> dims, uint32_t type, std::string bytes) {
    tensors_.push_back({name, std::move(dims), type, std::move(bytes)});
  }
  void write(const std::filesystem::path& path) const {
    std::string out;
    auto raw = [&](const void* p, size_t n) { out.append(static_cast<const char*>(p), n); };
    const uint32_t magic = 0x46554747, version = 3;
    const uint64_t tensor_count = tensors_.size(), kv_count = kv_ + 1;
    raw(&magic, 4);
    raw(&version, 4);
    raw(&tensor_count, 8);
    raw(&kv_count, 8);
    out += meta_;
    GgufWriter alignment;
    alignment.u32("general.alignment", 64);
    out += alignment.meta_;
    uint64_t offset = 0;
    for (const Tensor& t : tensors_) {
      const uint64_t n = t.name.size();
      raw(&n, 8);
      out += t.name;
      const uint32_t dims = static_cast<uint32_t>(t.dims.size());
      raw(&dims, 4);
      for (uint64_t d : t.dims) raw(&d, 8);
      raw(&t.type, 4);
      raw(&offset, 8);
      offset = (offset + t.bytes.size() + 63) / 64 * 64;
    }
    out.resize((out.size() + 63) / 64 * 64, '\0');
    for (const Tensor& t : tensors_) {
      out += t.bytes;
      out.resize((out.size() + 63) / 64 * 64, '\0');
    }
    std::ofstream(path, std::ios::binary).write(out.data(), static_cast<std::streamsize>(out.size()));
  }

 private:
  struct Tensor {
    std::string name;
    std::vector<uint64_t> dims;
    uint32_t type;
    std::string bytes;
  };
  template <typename T>
  void put(T v) {
    meta_.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  void text(const std::string& s) {
    put<uint64_t>(s.size());
    meta_ += s;
  }
  void key_type(const std::string& key, uint32_t type) {
    text(key);
    put(type);
  }
  void array_header(const std::string& key, uint32_t element, size_t count) {
    key_type(key, 9);
    put(element);
    put<uint64_t>(count);
    ++kv_;
  }
  std::string meta_;
  uint64_t kv_ = 0;
  std::vector<Tensor> tensors_;
};

}  // namespace fennec::testing
