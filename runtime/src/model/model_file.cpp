#include "model/model_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <flatbuffers/flatbuffers.h>

#include "base/align.h"

namespace fennec::model {

Result<std::unique_ptr<ModelFile>> ModelFile::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return make_error(StatusCode::kIoError, "cannot open model '{}': {}", path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return make_error(StatusCode::kIoError, "cannot stat model '{}': {}", path, std::strerror(err));
  }
  std::unique_ptr<ModelFile> file(new ModelFile());
  file->path_ = path;
  const size_t size = static_cast<size_t>(st.st_size);
  if (size > 0) {
    void* mapping = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapping == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      return make_error(StatusCode::kIoError, "cannot map model '{}': {}", path, std::strerror(err));
    }
    file->mapping_ = mapping;
    file->mapping_size_ = size;
    file->bytes_ = {static_cast<const std::byte*>(mapping), size};
  }
  ::close(fd);
  FENNEC_RETURN_IF_ERROR(file->verify());
  return file;
}

Result<std::unique_ptr<ModelFile>> ModelFile::from_memory(std::span<const std::byte> bytes,
                                                          const std::string& name) {
  std::unique_ptr<ModelFile> file(new ModelFile());
  file->path_ = name;
  file->bytes_ = bytes;
  FENNEC_RETURN_IF_ERROR(file->verify());
  return file;
}

ModelFile::~ModelFile() {
  if (mapping_) ::munmap(mapping_, mapping_size_);
}

Status ModelFile::verify() {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes_.data());
  const size_t size = bytes_.size();
  // [uint32 size prefix][uint32 root offset]["FNC1"]...
  if (size < 12)
    return make_error(StatusCode::kInvalidModel,
                      "'{}' is not a Fennec model: {} bytes is too short (truncated file?)", path_, size);
  if (!flatbuffers::BufferHasIdentifier(data, schema::ModelIdentifier(), /*size_prefixed=*/true))
    return make_error(StatusCode::kInvalidModel,
                      "'{}' is not a Fennec model: file identifier is not \"{}\" "
                      "(convert the model with `fennec convert`)",
                      path_, schema::ModelIdentifier());
  const uint32_t fb_size = flatbuffers::ReadScalar<uint32_t>(data);
  if (static_cast<uint64_t>(fb_size) + sizeof(uint32_t) > size)
    return make_error(StatusCode::kInvalidModel,
                      "'{}' is truncated: the model header needs {} bytes, the file has {}", path_,
                      static_cast<uint64_t>(fb_size) + 4, size);
  flatbuffers::Verifier verifier(data, fb_size + sizeof(uint32_t));
  if (!schema::VerifySizePrefixedModelBuffer(verifier))
    return make_error(StatusCode::kInvalidModel,
                      "'{}' is corrupted: the model header fails FlatBuffers verification", path_);
  model_ = schema::GetSizePrefixedModel(data);
  // Revisions only append, so every older file is readable.
  if (model_->schema_version() == 0 || model_->schema_version() > kSchemaVersion)
    return make_error(StatusCode::kInvalidModel,
                      "'{}' uses schema version {}, this runtime reads versions 1 to {}; "
                      "reconvert the model or upgrade Fennec",
                      path_, model_->schema_version(), kSchemaVersion);
  if (!model_->graph())
    return make_error(StatusCode::kInvalidModel, "'{}' has no graph", path_);
  const uint64_t offset = model_->weights_offset();
  const uint64_t length = model_->weights_size();
  if (offset % kWeightAlignment != 0 || offset < fb_size + 4u || offset > size || length > size - offset)
    return make_error(StatusCode::kInvalidModel,
                      "'{}' is truncated or corrupted: weight section [{}, +{}) lies outside the "
                      "{}-byte file",
                      path_, offset, length, size);
  weights_ = bytes_.subspan(offset, length);
  return ok_status();
}

const char* ModelFile::metadata(const char* key) const {
  const auto* metadata = model_->metadata();
  if (!metadata || !key) return nullptr;
  for (const auto* kv : *metadata)
    if (kv->key() && kv->value() && kv->key()->str() == key) return kv->value()->c_str();
  return nullptr;
}

Result<graph::Graph> ModelFile::to_graph() const {
  const schema::Graph& g = *model_->graph();
  graph::Graph out;
  const auto* tensors = g.tensors();
  const size_t tensor_count = tensors ? tensors->size() : 0;
  for (size_t i = 0; i < tensor_count; ++i) {
    const schema::Tensor* t = tensors->Get(static_cast<flatbuffers::uoffset_t>(i));
    graph::TensorInfo info;
    info.name = t->name() ? t->name()->str() : "tensor" + std::to_string(i);
    info.dtype = t->dtype();
    if (dtype_size(info.dtype) == 0)
      return make_error(StatusCode::kInvalidModel, "'{}': tensor '{}' has unknown dtype {}", path_,
                        info.name, static_cast<int>(info.dtype));
    if (t->shape()) {
      for (const schema::Dim* d : *t->shape()) {
        info.shape.push_back(d->value() >= 0 ? d->value() : kUnknownDim);
        info.dim_symbols.push_back(d->symbol() ? d->symbol()->str() : "");
      }
    }
    if (t->has_data()) {
      const schema::Buffer* buffer = t->data();
      if (!buffer || buffer->offset() % kWeightAlignment != 0 ||
          buffer->offset() > weights_.size() || buffer->size() > weights_.size() - buffer->offset())
        return make_error(StatusCode::kInvalidModel,
                          "'{}': constant '{}' points outside the weight section", path_, info.name);
      if (const schema::WeightQuantization* q = t->quantization()) {
        info.quant.format = static_cast<quant::WeightFormat>(q->format());
        info.quant.group_size = q->group_size();
        info.quant.transposed = q->transposed();
        info.quant.activation_scale = q->activation_scale();
        std::string why = quant::check_weight_quant(info.quant, info.shape);
        if (why.empty() && info.is_quantized() && info.dtype != DataType::FLOAT32)
          why = "a quantized weight must have dtype FLOAT32";
        if (!why.empty())
          return make_error(StatusCode::kInvalidModel, "'{}': constant '{}': {}", path_, info.name, why);
      }
      const uint64_t expected = !is_static(info.shape) ? 0
                                : info.is_quantized()
                                    ? quant::weight_layout(info.quant, info.shape).total_bytes
                                    : static_cast<uint64_t>(element_count(info.shape)) * dtype_size(info.dtype);
      if (!is_static(info.shape) || expected != buffer->size())
        return make_error(StatusCode::kInvalidModel,
                          "'{}': constant '{}' of shape {} ({}) does not match its {} data bytes",
                          path_, info.name, shape_to_string(info.shape), info.quant.to_string(),
                          buffer->size());
      static const std::byte kEmpty{};
      info.data = buffer->size() ? weights_.data() + buffer->offset() : &kEmpty;
      info.data_bytes = buffer->size();
    }
    out.tensors.push_back(std::move(info));
  }
  auto read_indices = [&](const flatbuffers::Vector<int32_t>* v, std::vector<int>& dst) {
    if (v) dst.assign(v->begin(), v->end());
  };
  read_indices(g.inputs(), out.inputs);
  read_indices(g.outputs(), out.outputs);
  if (g.operators()) {
    for (const schema::Operator* op : *g.operators()) {
      graph::Node node;
      node.name = op->name() ? op->name()->str() : "";
      read_indices(op->inputs(), node.inputs);
      read_indices(op->outputs(), node.outputs);
      auto created = ops::make_op(*op);
      if (!created.ok())
        return created.status().with_context(fmt::format("'{}': node '{}'", path_, node.name));
      node.op = std::move(created).value();
      out.nodes.push_back(std::move(node));
    }
  }
  Status valid = out.validate();
  if (!valid.ok()) return valid.with_context(path_);
  out.constant_storage = weights_;
  return out;
}

}  // namespace fennec::model
