// A .fennec file mapped read-only and checked: identifier, FlatBuffers
// verifier, schema version and weight-section bounds. to_graph() builds the
// runtime graph whose constants point into the mapping.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "base/status.h"
#include "fennec_generated.h"
#include "graph/graph.h"

namespace fennec::model {

// The newest schema revision this runtime reads (see the history in
// fennec.fbs); older revisions load too.
constexpr uint32_t kSchemaVersion = 6;

class ModelFile {
 public:
  // Maps and verifies `path`. Errors name the file and what is wrong.
  static Result<std::unique_ptr<ModelFile>> open(const std::string& path);
  // Verifies a file image already in memory (not copied; must outlive this).
  static Result<std::unique_ptr<ModelFile>> from_memory(std::span<const std::byte> bytes,
                                                        const std::string& name);
  ~ModelFile();
  ModelFile(const ModelFile&) = delete;
  ModelFile& operator=(const ModelFile&) = delete;

  const schema::Model& model() const { return *model_; }
  std::span<const std::byte> weights() const { return weights_; }
  const std::string& path() const { return path_; }
  size_t file_size() const { return bytes_.size(); }

  // The metadata value for `key`, or nullptr.
  const char* metadata(const char* key) const;

  // The graph, with ops created and validated. Constants point into the
  // mapping, so the ModelFile must outlive the graph.
  Result<graph::Graph> to_graph() const;

 private:
  ModelFile() = default;
  Status verify();

  std::string path_;
  std::span<const std::byte> bytes_;
  void* mapping_ = nullptr;
  size_t mapping_size_ = 0;
  const schema::Model* model_ = nullptr;
  std::span<const std::byte> weights_;
};

}  // namespace fennec::model
