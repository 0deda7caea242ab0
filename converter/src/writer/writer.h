// Writes a graph::Graph as a .fennec model file (runtime/schema/fennec.fbs):
//   [size-prefixed FlatBuffer, identifier "FNC1", root Model]
//   [zero padding to a 64-byte boundary]
//   [weight section: each constant's bytes at a 64-byte-aligned offset
//    relative to the section start]
// Model.weights_offset is the absolute file offset of the weight section
// (align_up(FlatBuffer bytes incl. the 4-byte size prefix, 64)); since it
// lives inside the FlatBuffer it is written as a placeholder and patched
// after Finish.
//
// Only tensors that a node or the graph inputs/outputs reference are
// written (unless WriteOptions::keep_all_constants); indices are renumbered
// densely in their original order.
#pragma once

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "graph/graph.h"

namespace fennec::writer {

// The newest Model.schema_version this writer produces (the runtime loader
// reads it and older ones). Each file gets the lowest revision that holds
// its graph (required_schema_version), so that older runtimes read every
// file that needs nothing newer.
constexpr uint32_t kSchemaVersion = 6;

// 3 (quantized weights); 4 with INT8_GROUPED weights; 5 with an LSTM whose W
// holds R; 6 with FLOAT16 activations or a CAST (see the history in
// fennec.fbs).
uint32_t required_schema_version(const graph::Graph& graph);
constexpr const char* kProducer = "fennec-convert 0.1";

struct WriteOptions {
  std::string producer = kProducer;
  std::vector<std::pair<std::string, std::string>> metadata;  // Model.metadata, in order
  // Write every constant, also those no node references (the weights of an
  // LLM file, which the decoder finds by name).
  bool keep_all_constants = false;
};

struct WriteStats {
  uint64_t file_bytes = 0;
  uint64_t flatbuffer_bytes = 0;  // including the 4-byte size prefix
  uint64_t weights_offset = 0;
  uint64_t weights_bytes = 0;     // Model.weights_size
  int tensors = 0;
  int constants = 0;
  int quantized = 0;  // constants stored in a quantized weight format
  int operators = 0;
};

// Serializes the model to `out`. Throws converter::ConvertError on failure
// (the stream may then hold a partial model).
WriteStats write_model(const graph::Graph& graph, std::ostream& out, const WriteOptions& options);

// Writes to a temporary file next to `path` and renames it over `path`, so
// a failure never leaves a half-written model. Throws converter::ConvertError.
WriteStats write_model_file(const graph::Graph& graph, const std::filesystem::path& path,
                            const WriteOptions& options);

}  // namespace fennec::writer
