#include "writer/writer.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <unistd.h>

#include <flatbuffers/flatbuffers.h>

#include "base/align.h"
#include "graph/activation_storage.h"
#include "ops/lstm.h"
#include "fennec_generated.h"
#include "passes/convert_error.h"
#include "passes/graph_query.h"

namespace fennec::writer {
namespace {

using converter::ConvertError;

// Written in place of weights_offset until the FlatBuffer's size is known;
// not the field's default, so the builder always stores the field.
constexpr uint64_t kOffsetPlaceholder = ~uint64_t{0};

struct Blob {
  const std::byte* data;
  uint64_t offset;  // relative to the weight section
  uint64_t size;
};

void write_zeros(std::ostream& out, uint64_t count) {
  static const char kZeros[64] = {};
  while (count > 0) {
    const uint64_t n = std::min<uint64_t>(count, sizeof kZeros);
    out.write(kZeros, static_cast<std::streamsize>(n));
    count -= n;
  }
}

}  // namespace

WriteStats write_model(const graph::Graph& graph, std::ostream& out, const WriteOptions& options) {
  WriteStats stats;

  // Dense renumbering of the referenced tensors.
  const std::vector<bool> used = passes::referenced_tensors(graph);
  std::vector<int> remap(graph.tensors.size(), -1);
  std::vector<size_t> order;
  for (size_t i = 0; i < graph.tensors.size(); ++i) {
    if (!used[i] && !(options.keep_all_constants && graph.tensors[i].is_constant())) continue;
    remap[i] = static_cast<int>(order.size());
    order.push_back(i);
  }
  auto renumber = [&](const std::vector<int>& indices) {
    std::vector<int32_t> result;
    result.reserve(indices.size());
    for (int t : indices) result.push_back(t < 0 ? -1 : remap[static_cast<size_t>(t)]);
    return result;
  };

  flatbuffers::FlatBufferBuilder fbb(1 << 16);
  fbb.ForceDefaults(true);

  std::vector<Blob> blobs;
  uint64_t cursor = 0;
  std::vector<flatbuffers::Offset<schema::Tensor>> tensors;
  for (size_t i : order) {
    const graph::TensorInfo& t = graph.tensors[i];
    std::vector<flatbuffers::Offset<schema::Dim>> dims;
    for (size_t d = 0; d < t.shape.size(); ++d) {
      const std::string* symbol =
          d < t.dim_symbols.size() && !t.dim_symbols[d].empty() && t.shape[d] < 0
              ? &t.dim_symbols[d]
              : nullptr;
      auto symbol_offset = symbol ? fbb.CreateString(*symbol) : flatbuffers::Offset<flatbuffers::String>();
      dims.push_back(schema::CreateDim(fbb, t.shape[d] < 0 ? -1 : t.shape[d], symbol_offset));
    }
    auto name = fbb.CreateString(t.name);
    auto shape = fbb.CreateVector(dims);
    schema::Buffer buffer(0, 0);
    if (t.is_constant()) {
      const uint64_t expected = !is_static(t.shape) ? 0
                                : t.is_quantized()
                                    ? quant::weight_layout(t.quant, t.shape).total_bytes
                                    : static_cast<uint64_t>(element_count(t.shape)) * dtype_size(t.dtype);
      if (!is_static(t.shape) || t.data_bytes != expected)
        throw ConvertError("constant '" + t.name + "' has " + std::to_string(t.data_bytes) +
                           " bytes, its shape " + shape_to_string(t.shape) + " of " +
                           dtype_name(t.dtype) + " needs " + std::to_string(expected));
      const uint64_t offset = align_up(cursor, kWeightAlignment);
      blobs.push_back({t.data, offset, t.data_bytes});
      buffer = schema::Buffer(offset, t.data_bytes);
      cursor = offset + t.data_bytes;
      stats.constants++;
    }
    flatbuffers::Offset<schema::WeightQuantization> quantization;
    if (t.is_quantized()) {
      quantization = schema::CreateWeightQuantization(
          fbb, static_cast<schema::WeightFormat>(t.quant.format), t.quant.group_size, t.quant.transposed,
          t.quant.activation_scale);
      stats.quantized++;
    }
    tensors.push_back(schema::CreateTensor(fbb, name, t.dtype, shape, t.is_constant(),
                                           t.is_constant() ? &buffer : nullptr, quantization));
  }
  stats.tensors = static_cast<int>(tensors.size());

  std::vector<flatbuffers::Offset<schema::Operator>> operators;
  for (const graph::Node& node : graph.nodes) {
    auto name = fbb.CreateString(node.name);
    auto inputs = fbb.CreateVector(renumber(node.inputs));
    auto outputs = fbb.CreateVector(renumber(node.outputs));
    const ops::OptionsOffset opts = node.op->write_options(fbb);
    operators.push_back(
        schema::CreateOperator(fbb, node.op->type(), name, inputs, outputs, opts.first, opts.second));
  }
  stats.operators = static_cast<int>(operators.size());

  auto graph_table = schema::CreateGraph(fbb, fbb.CreateVector(tensors), fbb.CreateVector(operators),
                                         fbb.CreateVector(renumber(graph.inputs)),
                                         fbb.CreateVector(renumber(graph.outputs)));
  std::vector<flatbuffers::Offset<schema::KeyValue>> metadata;
  for (const auto& [key, value] : options.metadata)
    metadata.push_back(schema::CreateKeyValue(fbb, fbb.CreateString(key), fbb.CreateString(value)));
  auto producer = fbb.CreateString(options.producer);
  auto metadata_vector = fbb.CreateVector(metadata);
  auto model = schema::CreateModel(fbb, required_schema_version(graph), producer, graph_table, metadata_vector,
                                   kOffsetPlaceholder, cursor);
  fbb.FinishSizePrefixed(model, schema::ModelIdentifier());

  uint8_t* buffer = fbb.GetBufferPointer();
  const uint64_t fb_size = fbb.GetSize();
  const uint64_t weights_offset = align_up(fb_size, kWeightAlignment);
  if (!schema::GetMutableSizePrefixedModel(buffer)->mutate_weights_offset(weights_offset))
    throw ConvertError("internal: cannot patch Model.weights_offset");
  flatbuffers::Verifier verifier(buffer, fb_size);
  if (!schema::VerifySizePrefixedModelBuffer(verifier))
    throw ConvertError("internal: the FlatBuffer written does not pass the verifier");

  out.write(reinterpret_cast<const char*>(buffer), static_cast<std::streamsize>(fb_size));
  write_zeros(out, weights_offset - fb_size);
  uint64_t written = 0;
  for (const Blob& blob : blobs) {
    write_zeros(out, blob.offset - written);
    out.write(reinterpret_cast<const char*>(blob.data), static_cast<std::streamsize>(blob.size));
    written = blob.offset + blob.size;
  }
  if (!out) throw ConvertError("writing the model failed");

  stats.flatbuffer_bytes = fb_size;
  stats.weights_offset = weights_offset;
  stats.weights_bytes = cursor;
  stats.file_bytes = weights_offset + cursor;
  return stats;
}

uint32_t required_schema_version(const graph::Graph& graph) {
  uint32_t version = 3;
  for (const graph::TensorInfo& t : graph.tensors)
    if (t.quant.format == quant::WeightFormat::kInt8Grouped) version = std::max<uint32_t>(version, 4);
  for (const graph::Node& node : graph.nodes)
    if (node.op->type() == ops::OpType::LSTM && (node.inputs.size() <= ops::kLstmR || node.inputs[ops::kLstmR] < 0))
      version = std::max<uint32_t>(version, 5);
  if (graph::has_binary16_activations(graph)) version = std::max<uint32_t>(version, 6);
  for (const graph::Node& node : graph.nodes)
    if (node.op->type() == ops::OpType::CAST) version = std::max<uint32_t>(version, 6);
  return version;
}

WriteStats write_model_file(const graph::Graph& graph, const std::filesystem::path& path,
                            const WriteOptions& options) {
  std::filesystem::path temp = path;
  temp += ".tmp" + std::to_string(::getpid());
  WriteStats stats;
  try {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out)
      throw ConvertError("cannot write '" + path.string() + "': " + std::strerror(errno) +
                         " (while creating '" + temp.filename().string() + "')");
    stats = write_model(graph, out, options);
    out.close();
    if (!out) throw ConvertError("writing '" + temp.string() + "' failed (disk full?)");
    std::error_code ec;
    std::filesystem::rename(temp, path, ec);
    if (ec) throw ConvertError("cannot rename '" + temp.string() + "' to '" + path.string() +
                               "': " + ec.message());
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    throw;
  }
  return stats;
}

}  // namespace fennec::writer
