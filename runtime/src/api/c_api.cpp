// C API glue: handles <-> objects, Status -> fennec_status_t. Nothing thrown
// inside (allocation failure included) crosses this boundary.
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>

#include "api/c_api_internal.h"
#include "base/log.h"
#include "base/status.h"
#include "fennec/fennec.h"
#include "model/model_file.h"
#include "vulkan/context.h"
#include "vulkan/session.h"

namespace {

using fennec::Status;
using fennec::StatusCode;
using fennec::api::copy_string;
using fennec::api::guarded;
using fennec::api::invalid;
using fennec::api::to_c;

fennec_status_t describe_tensor(const fennec::graph::Graph& graph, int index, fennec_tensor_t* out) {
  const auto& info = graph.tensors[static_cast<size_t>(index)];
  if (info.shape.size() > FENNEC_MAX_RANK) return invalid("tensor rank exceeds FENNEC_MAX_RANK");
  fennec_tensor_t t{};
  t.name = info.name.c_str();
  t.dtype = static_cast<fennec_dtype_t>(info.dtype);
  t.rank = static_cast<int32_t>(info.shape.size());
  for (size_t d = 0; d < info.shape.size(); ++d) t.dims[d] = info.shape[d];
  *out = t;
  return nullptr;
}

}  // namespace

extern "C" {

fennec_status_code_t fennec_status_code(fennec_status_t status) {
  return status ? status->code : FENNEC_OK;
}

const char* fennec_status_message(fennec_status_t status) {
  return status ? status->message.c_str() : "";
}

void fennec_status_free(fennec_status_t status) { delete status; }

void fennec_set_log_verbosity(int verbosity) { fennec::set_log_verbosity(verbosity); }

fennec_status_t fennec_device_count(uint32_t* out_count) {
  if (!out_count) return invalid("out_count is NULL");
  return guarded([&]() -> Status {
    FENNEC_ASSIGN_OR_RETURN(auto devices, fennec::vulkan::enumerate_devices(nullptr));
    *out_count = static_cast<uint32_t>(devices.size());
    return fennec::ok_status();
  });
}

fennec_status_t fennec_device_info(uint32_t index, fennec_device_info_t* out_info) {
  if (!out_info) return invalid("out_info is NULL");
  return guarded([&]() -> Status {
    int default_index = 0;
    FENNEC_ASSIGN_OR_RETURN(auto devices, fennec::vulkan::enumerate_devices(&default_index));
    if (index >= devices.size())
      return fennec::make_error(StatusCode::kInvalidArgument, "device index {} out of range ({} devices)",
                                index, devices.size());
    const auto& caps = devices[index];
    fennec_device_info_t info{};
    copy_string(info.name, sizeof(info.name), caps.name);
    copy_string(info.driver_info, sizeof(info.driver_info), caps.driver_info);
    switch (caps.type) {
      case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: info.type = FENNEC_DEVICE_INTEGRATED_GPU; break;
      case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: info.type = FENNEC_DEVICE_DISCRETE_GPU; break;
      case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: info.type = FENNEC_DEVICE_VIRTUAL_GPU; break;
      case VK_PHYSICAL_DEVICE_TYPE_CPU: info.type = FENNEC_DEVICE_CPU; break;
      default: info.type = FENNEC_DEVICE_OTHER; break;
    }
    info.vendor_id = caps.vendor_id;
    info.device_id = caps.device_id;
    info.api_version = caps.api_version;
    info.device_local_bytes = caps.device_local_bytes;
    info.subgroup_size = caps.subgroup_size;
    info.max_storage_buffer_range = caps.max_storage_buffer_range;
    info.max_shared_memory_bytes = caps.max_shared_memory_bytes;
    info.shader_float16 = caps.shader_float16;
    info.storage_16bit = caps.storage_16bit;
    info.storage_8bit = caps.storage_8bit;
    info.integer_dot_product = caps.integer_dot_product;
    info.memory_budget_ext = caps.memory_budget_ext;
    info.is_default = static_cast<int>(index) == default_index;
    *out_info = info;
    return fennec::ok_status();
  });
}

fennec_status_t fennec_model_load(const char* path, fennec_model_t* out_model) {
  if (!path || !out_model) return invalid("path and out_model must not be NULL");
  return guarded([&]() -> Status {
    auto model = std::make_unique<fennec_model_s>();
    FENNEC_ASSIGN_OR_RETURN(model->file, fennec::model::ModelFile::open(path));
    FENNEC_ASSIGN_OR_RETURN(model->graph, model->file->to_graph());
    for (const auto& node : model->graph.nodes) model->node_details.push_back(node.op->describe());
    const auto* producer = model->file->model().producer();
    model->producer = producer ? producer->str() : "";
    *out_model = model.release();
    return fennec::ok_status();
  });
}

void fennec_model_release(fennec_model_t model) { delete model; }

fennec_status_t fennec_model_info(fennec_model_t model, fennec_model_info_t* out_info) {
  if (!model || !out_info) return invalid("model and out_info must not be NULL");
  fennec_model_info_t info{};
  info.schema_version = model->file->model().schema_version();
  info.producer = model->producer.c_str();
  info.node_count = model->graph.nodes.size();
  info.tensor_count = model->graph.tensors.size();
  for (const auto& t : model->graph.tensors) {
    if (!t.is_constant()) continue;
    ++info.constant_count;
    info.parameter_count += static_cast<uint64_t>(fennec::element_count(t.shape));
  }
  info.weight_bytes = model->file->weights().size();
  info.file_bytes = model->file->file_size();
  *out_info = info;
  return nullptr;
}

fennec_status_t fennec_model_node_info(fennec_model_t model, size_t index, fennec_node_info_t* out_info) {
  if (!model || !out_info) return invalid("model and out_info must not be NULL");
  if (index >= model->graph.nodes.size()) return invalid("node index out of range");
  const auto& node = model->graph.nodes[index];
  out_info->name = node.name.c_str();
  out_info->op_type = node.op->type_name();
  out_info->details = model->node_details[index].c_str();
  out_info->input_count = node.inputs.size();
  out_info->output_count = node.outputs.size();
  return nullptr;
}

const char* fennec_model_metadata(fennec_model_t model, const char* key) {
  if (!model || !key) return nullptr;
  return model->file->metadata(key);
}

size_t fennec_model_input_count(fennec_model_t model) { return model ? model->graph.inputs.size() : 0; }
size_t fennec_model_output_count(fennec_model_t model) { return model ? model->graph.outputs.size() : 0; }

fennec_status_t fennec_model_input_info(fennec_model_t model, size_t index, fennec_tensor_t* out_info) {
  if (!model || !out_info) return invalid("model and out_info must not be NULL");
  if (index >= model->graph.inputs.size()) return invalid("input index out of range");
  return describe_tensor(model->graph, model->graph.inputs[index], out_info);
}

fennec_status_t fennec_model_output_info(fennec_model_t model, size_t index, fennec_tensor_t* out_info) {
  if (!model || !out_info) return invalid("model and out_info must not be NULL");
  if (index >= model->graph.outputs.size()) return invalid("output index out of range");
  return describe_tensor(model->graph, model->graph.outputs[index], out_info);
}

void fennec_session_options_init(fennec_session_options_t* options) {
  if (!options) return;
  *options = fennec_session_options_t{};
  options->device_index = -1;
}

fennec_status_t fennec_session_create(fennec_model_t model, const fennec_session_options_t* options,
                                      fennec_session_t* out_session) {
  if (!model || !out_session) return invalid("model and out_session must not be NULL");
  fennec_session_options_t defaults;
  fennec_session_options_init(&defaults);
  if (!options) options = &defaults;
  return guarded([&]() -> Status {
    auto session = std::make_unique<fennec_session_s>();
    session->model = model;
    fennec::vulkan::ContextOptions context_options;
    context_options.device_index = options->device_index;
    context_options.enable_validation = options->enable_validation != 0;
    context_options.integer_dot_product = options->disable_integer_dot_product == 0;
    context_options.import_host_memory = options->disable_host_import == 0;
    FENNEC_ASSIGN_OR_RETURN(session->context, fennec::vulkan::Context::create(context_options));
    fennec::vulkan::SessionOptions session_options;
    session_options.memory_budget_bytes = options->memory_budget_bytes;
    session_options.profile = options->enable_profiling != 0;
    FENNEC_ASSIGN_OR_RETURN(session->session, fennec::vulkan::Session::create(
                                                  *session->context, model->graph, session_options));
    *out_session = session.release();
    return fennec::ok_status();
  });
}

void fennec_session_release(fennec_session_t session) {
  if (!session) return;
  session->session.reset();  // before the context it runs on
  delete session;
}

fennec_status_t fennec_session_run(fennec_session_t session, const fennec_tensor_t* inputs,
                                   size_t input_count) {
  if (!session || (input_count && !inputs)) return invalid("session and inputs must not be NULL");
  return guarded([&]() -> Status {
    const auto& graph = session->model->graph;
    std::vector<fennec::vulkan::InputView> views(graph.inputs.size());
    std::vector<bool> given(graph.inputs.size(), false);
    for (size_t i = 0; i < input_count; ++i) {
      const fennec_tensor_t& t = inputs[i];
      size_t slot = i;
      if (t.name) {
        slot = graph.inputs.size();
        for (size_t k = 0; k < graph.inputs.size(); ++k)
          if (graph.tensors[static_cast<size_t>(graph.inputs[k])].name == t.name) slot = k;
        if (slot == graph.inputs.size())
          return fennec::make_error(StatusCode::kInvalidArgument, "the model has no input named '{}'", t.name);
      }
      if (slot >= graph.inputs.size())
        return fennec::make_error(StatusCode::kInvalidArgument, "the model takes {} input(s), input #{} given",
                                  graph.inputs.size(), i + 1);
      if (t.rank < 0 || t.rank > FENNEC_MAX_RANK)
        return fennec::make_error(StatusCode::kInvalidArgument, "input #{} has invalid rank {}", i + 1, t.rank);
      auto& view = views[slot];
      view.dtype = static_cast<fennec::DataType>(t.dtype);
      view.shape.assign(t.dims, t.dims + t.rank);
      view.data = t.data;
      view.bytes = t.size_bytes;
      given[slot] = true;
    }
    for (size_t k = 0; k < graph.inputs.size(); ++k)
      if (!given[k])
        return fennec::make_error(StatusCode::kInvalidArgument, "missing input '{}'",
                                  graph.tensors[static_cast<size_t>(graph.inputs[k])].name);
    return session->session->run(views);
  });
}

size_t fennec_session_output_count(fennec_session_t session) {
  return session ? session->model->graph.outputs.size() : 0;
}

fennec_status_t fennec_session_output(fennec_session_t session, size_t index, fennec_tensor_t* out_tensor) {
  if (!session || !out_tensor) return invalid("session and out_tensor must not be NULL");
  const auto& outputs = session->session->outputs();
  if (outputs.empty()) return to_c(Status(StatusCode::kInvalidArgument, "no run has completed yet"));
  if (index >= outputs.size()) return invalid("output index out of range");
  auto& tensor = const_cast<fennec::HostTensor&>(outputs[index]);
  fennec_status_t status = describe_tensor(session->model->graph, session->model->graph.outputs[index], out_tensor);
  if (status) return status;
  out_tensor->rank = static_cast<int32_t>(tensor.shape.size());
  for (size_t d = 0; d < tensor.shape.size(); ++d) out_tensor->dims[d] = tensor.shape[d];
  out_tensor->data = tensor.bytes.data();
  out_tensor->size_bytes = tensor.bytes.size();
  return nullptr;
}

fennec_status_t fennec_session_stats(fennec_session_t session, fennec_session_stats_t* out_stats) {
  if (!session || !out_stats) return invalid("session and out_stats must not be NULL");
  const auto s = session->session->stats();
  fennec_session_stats_t stats{};
  copy_string(stats.device_name, sizeof(stats.device_name), session->context->caps().name);
  stats.peak_device_bytes = s.memory.peak_bytes;
  stats.weight_bytes = s.weight_bytes;
  stats.arena_bytes = s.arena_bytes;
  stats.naive_arena_bytes = s.naive_arena_bytes;
  stats.staging_bytes = s.staging_bytes;
  stats.last_run_ms = s.last_run_ms;
  stats.last_gpu_ms = s.last_gpu_ms;
  stats.validation_errors = fennec::vulkan::validation_error_count();
  stats.memory_budget_bytes = s.budget_bytes;
  copy_string(stats.memory_budget_source, sizeof(stats.memory_budget_source), s.budget_source);
  using fennec::vulkan::MemoryCategory;
  auto peak = [&](MemoryCategory c) { return s.memory.peak_by_category[static_cast<size_t>(c)]; };
  stats.peak_weight_bytes = peak(MemoryCategory::kWeights);
  stats.peak_arena_bytes = peak(MemoryCategory::kArena);
  stats.peak_staging_bytes = peak(MemoryCategory::kStaging);
  stats.peak_other_bytes = peak(MemoryCategory::kOther);
  stats.streamed_weight_bytes = s.streamed_weight_bytes;
  stats.weight_slot_bytes = s.weight_slot_bytes;
  stats.stream_groups = s.stream_groups;
  stats.imported_weight_bytes = s.imported_weight_bytes;
  stats.spills = s.spills;
  stats.spill_copy_bytes = s.spill_copy_bytes;
  stats.weight_slots_staged = s.weight_slots_staged ? 1 : 0;
  stats.banded_nodes = s.banded_nodes;
  stats.binary16_nodes = s.binary16_nodes;
  stats.model_binary16_nodes = s.model_binary16_nodes;
  stats.bands = s.bands;
  *out_stats = stats;
  return nullptr;
}

fennec_status_t fennec_session_node_time(fennec_session_t session, size_t index, double* out_ms) {
  if (!session || !out_ms) return invalid("session and out_ms must not be NULL");
  const auto stats = session->session->stats();
  if (stats.node_ms.empty())
    return to_c(Status(StatusCode::kUnsupported,
                       "no node times: create the session with enable_profiling = 1 on a device with "
                       "timestamp queries, and run it first"));
  if (index >= stats.node_ms.size()) return invalid("node index out of range");
  *out_ms = stats.node_ms[index];
  return nullptr;
}

}  // extern "C"
