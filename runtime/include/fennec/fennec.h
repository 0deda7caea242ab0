/* Fennec public C API.
 *
 * Conventions
 * - Every function that can fail returns a fennec_status_t: NULL means
 *   success; otherwise the caller owns the status and must release it with
 *   fennec_status_free(). fennec_status_message() says what failed, where and
 *   what to do.
 * - Objects are opaque handles created by the _create and _load functions and released by
 *   the matching _release. Releasing NULL is a no-op.
 * - Results are returned through out_ parameters, which are written only on
 *   success.
 * - Options structs must be initialized with their _init function before
 *   fields are set, so that new fields get defaults.
 * Thread-safety: a fennec_model_t may be shared by sessions on any thread
 * once loaded. A fennec_session_t is used by one thread at a time.
 */
#ifndef FENNEC_FENNEC_H_
#define FENNEC_FENNEC_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FENNEC_VERSION_MAJOR 0
#define FENNEC_VERSION_MINOR 1
#define FENNEC_MAX_RANK 8

/* ---- status ------------------------------------------------------------ */

typedef enum fennec_status_code_e {
  FENNEC_OK = 0,
  FENNEC_INVALID_ARGUMENT = 1,
  FENNEC_NOT_FOUND = 2,
  FENNEC_INVALID_MODEL = 3,
  FENNEC_UNSUPPORTED = 4,
  FENNEC_OUT_OF_MEMORY = 5,
  FENNEC_DEVICE_ERROR = 6,
  FENNEC_IO_ERROR = 7,
  FENNEC_INTERNAL = 8,
} fennec_status_code_t;

typedef struct fennec_status_s* fennec_status_t;

/* The code of `status` (FENNEC_OK for NULL). */
fennec_status_code_t fennec_status_code(fennec_status_t status);
/* The message of `status`; valid until the status is freed ("" for NULL). */
const char* fennec_status_message(fennec_status_t status);
void fennec_status_free(fennec_status_t status);

/* ---- logging ----------------------------------------------------------- */

/* 0 = warnings and errors (default), 1 = info, 2 = debug, 3 = trace.
 * Logs go to stderr through the "fennec" logger. Thread-safe. */
void fennec_set_log_verbosity(int verbosity);

/* ---- tensors ----------------------------------------------------------- */

typedef enum fennec_dtype_e {
  FENNEC_FLOAT32 = 0,
  FENNEC_FLOAT16 = 1,
  FENNEC_INT8 = 2,
  FENNEC_UINT8 = 3,
  FENNEC_INT32 = 4,
  FENNEC_INT64 = 5,
  FENNEC_BOOL = 6,
} fennec_dtype_t;

/* A dense row-major tensor that the caller (inputs) or the session
 * (outputs) owns. In model descriptions a dim of -1 is symbolic. */
typedef struct fennec_tensor_s {
  const char* name;
  fennec_dtype_t dtype;
  int32_t rank;
  int64_t dims[FENNEC_MAX_RANK];
  void* data;
  size_t size_bytes;
} fennec_tensor_t;

/* ---- devices ----------------------------------------------------------- */

typedef enum fennec_device_type_e {
  FENNEC_DEVICE_OTHER = 0,
  FENNEC_DEVICE_INTEGRATED_GPU = 1,
  FENNEC_DEVICE_DISCRETE_GPU = 2,
  FENNEC_DEVICE_VIRTUAL_GPU = 3,
  FENNEC_DEVICE_CPU = 4,
} fennec_device_type_t;

typedef struct fennec_device_info_s {
  char name[256];
  fennec_device_type_t type;
  uint32_t vendor_id;
  uint32_t device_id;
  uint32_t api_version;       /* VK_MAKE_API_VERSION encoding */
  char driver_info[256];
  uint64_t device_local_bytes; /* largest device-local heap */
  uint32_t subgroup_size;
  uint64_t max_storage_buffer_range;
  uint32_t max_shared_memory_bytes;
  int32_t shader_float16;       /* 1 when fp16 arithmetic is available */
  int32_t storage_16bit;        /* 1 when 16-bit storage buffers are available */
  int32_t storage_8bit;         /* 1 when 8-bit storage buffers are available */
  int32_t integer_dot_product;  /* 1 when VK_KHR_shader_integer_dot_product is available */
  int32_t memory_budget_ext;    /* 1 when VK_EXT_memory_budget is available */
  int32_t is_default;           /* 1 for the device chosen when none is named */
} fennec_device_info_t;

/* Number of Vulkan devices. Fails when no Vulkan driver is installed. */
fennec_status_t fennec_device_count(uint32_t* out_count);
/* Describes device `index` (0-based, in Vulkan enumeration order). */
fennec_status_t fennec_device_info(uint32_t index, fennec_device_info_t* out_info);

/* ---- models ------------------------------------------------------------ */

typedef struct fennec_model_s* fennec_model_t;

/* Maps and verifies a .fennec file (identifier, schema version, FlatBuffers
 * verifier, weight section bounds). The file stays mapped until release. */
fennec_status_t fennec_model_load(const char* path, fennec_model_t* out_model);
void fennec_model_release(fennec_model_t model);

size_t fennec_model_input_count(fennec_model_t model);
size_t fennec_model_output_count(fennec_model_t model);
/* Describes input/output `index`: name, dtype, rank and dims (-1 = symbolic);
 * data is NULL. The name stays valid while the model is loaded. */
fennec_status_t fennec_model_input_info(fennec_model_t model, size_t index, fennec_tensor_t* out_info);
fennec_status_t fennec_model_output_info(fennec_model_t model, size_t index, fennec_tensor_t* out_info);

typedef struct fennec_model_info_s {
  uint32_t schema_version;
  const char* producer;       /* valid while the model is loaded */
  size_t node_count;
  size_t tensor_count;
  size_t constant_count;
  uint64_t parameter_count;   /* elements of all constant tensors */
  uint64_t weight_bytes;      /* size of the weight section */
  uint64_t file_bytes;
} fennec_model_info_t;

fennec_status_t fennec_model_info(fennec_model_t model, fennec_model_info_t* out_info);

typedef struct fennec_node_info_s {
  const char* name;           /* strings valid while the model is loaded */
  const char* op_type;        /* schema op name, e.g. "CONV" */
  const char* details;        /* parameters, e.g. "3x3 s2 p1 g16 +RELU" */
  size_t input_count;
  size_t output_count;
} fennec_node_info_t;

/* Describes node `index` (0 <= index < node_count) in execution order. */
fennec_status_t fennec_model_node_info(fennec_model_t model, size_t index, fennec_node_info_t* out_info);

/* The metadata value for `key` (NULL when absent); valid while loaded. */
const char* fennec_model_metadata(fennec_model_t model, const char* key);

/* ---- sessions ---------------------------------------------------------- */

typedef struct fennec_session_options_s {
  int32_t device_index;          /* -1 (default): discrete GPU first, CPU driver last */
  uint64_t memory_budget_bytes;  /* 0 (default): the device's budget (VK_EXT_memory_budget, else
                                    3/4 of the largest device-local heap) less a 5% margin of at
                                    least 64 MiB; see fennec_session_stats_t.memory_budget_bytes */
  int32_t enable_validation;     /* 1: Khronos validation layer (debugging) */
  int32_t enable_profiling;      /* 1: time every node with device timestamps */
  int32_t disable_integer_dot_product; /* 1: w8a8 kernels without VK_KHR_shader_integer_dot_product
                                          even where the device has it */
  int32_t disable_host_import;   /* 1: copy weights even where a unified-memory device could use
                                    the mapped model file in place */
} fennec_session_options_t;

void fennec_session_options_init(fennec_session_options_t* options);

typedef struct fennec_session_s* fennec_session_t;

/* Creates a session that runs `model` on a Vulkan device: uploads weights
 * and builds pipelines. The model must outlive the session. */
fennec_status_t fennec_session_create(fennec_model_t model, const fennec_session_options_t* options,
                                      fennec_session_t* out_session);
void fennec_session_release(fennec_session_t session);

/* Runs the model. `inputs` are matched by name (or by position when a name
 * is NULL); shapes may change between runs (the plan and command buffer for
 * each new set of input shapes are built on first use and cached). A FLOAT32
 * tensor may feed a FLOAT16 input (a model with binary16 activations) and
 * the reverse: the session converts it on the host. */
fennec_status_t fennec_session_run(fennec_session_t session, const fennec_tensor_t* inputs,
                                   size_t input_count);

size_t fennec_session_output_count(fennec_session_t session);
/* Output `index` of the last run. `data` points into session memory that
 * stays valid until the next run or release. */
fennec_status_t fennec_session_output(fennec_session_t session, size_t index,
                                      fennec_tensor_t* out_tensor);

typedef struct fennec_session_stats_s {
  char device_name[256];
  uint64_t peak_device_bytes;   /* high-water mark of all device allocations */
  uint64_t weight_bytes;        /* device bytes holding weights (resident and streaming slots) */
  uint64_t arena_bytes;         /* planned activation arena for the last shapes */
  uint64_t naive_arena_bytes;   /* sum of all intermediate tensors, for comparison */
  uint64_t staging_bytes;       /* host-visible transfer buffers */
  double last_run_ms;           /* wall time of the last run, upload to download */
  double last_gpu_ms;           /* device time of the last run (timestamps), or -1 */
  uint64_t validation_errors;   /* validation-layer errors so far in this process
                                   (0 unless enable_validation or FENNEC_VALIDATION=1) */
  uint64_t memory_budget_bytes; /* the budget in force: given, or the device default */
  char memory_budget_source[96]; /* "given", or how the default was derived */
  /* Peak device bytes per category, as the allocation accountant measured. */
  uint64_t peak_weight_bytes;
  uint64_t peak_arena_bytes;
  uint64_t peak_staging_bytes;
  uint64_t peak_other_bytes;
  /* Weight residency for the last shapes: weights that did not fit the budget
   * are streamed from host memory through two slots in every run. */
  uint64_t streamed_weight_bytes; /* weights not resident on the device (0: all resident) */
  uint64_t weight_slot_bytes;     /* each of the two streaming slots */
  uint64_t stream_groups;         /* submissions per run (1 without streaming or spilling) */
  uint64_t imported_weight_bytes; /* weights used in place from the mapped model file on
                                     unified-memory devices (VK_EXT_external_memory_host), not copied */
  /* Activations spilled to host memory over an idle stretch when the arena
   * does not fit the budget even with every weight streamed. */
  uint64_t spills;           /* spilled stretches in the last plan (0: none) */
  uint64_t spill_copy_bytes; /* bytes those spills copy out and back per run */
  /* 1: the slots are device memory, filled by copies from two host staging
   * buffers (discrete GPUs, when the budget has room for the staging);
   * 0: kernels read the slots in place from host-visible memory. */
  uint32_t weight_slots_staged;
  /* Nodes run in bands of output rows through a window in the arena, their
   * activations in host memory, when the budget is below what one node
   * reads and writes at once (0: none). */
  uint64_t banded_nodes;
  uint64_t bands; /* submissions those nodes take per run */
  /* Nodes that store their activations as binary16 (the model's FLOAT16
   * activations; 0 where the device lacks 16-bit storage and they run as
   * float32), and the model's nodes with FLOAT16 activations. */
  uint64_t binary16_nodes;
  uint64_t model_binary16_nodes;
} fennec_session_stats_t;

fennec_status_t fennec_session_stats(fennec_session_t session, fennec_session_stats_t* out_stats);

/* Device time of node `index` (fennec_model_node_info order) in the last run,
 * in milliseconds. Needs enable_profiling and a device with timestamps. */
fennec_status_t fennec_session_node_time(fennec_session_t session, size_t index, double* out_ms);

/* ---- LLM generation ---------------------------------------------------- */

/* A decoder-only LLM file (metadata fennec.kind = "llm", from `fennec
 * convert` of a llama2.c, GGUF or Hugging Face checkpoint) opened on a Vulkan device:
 * weights, key/value cache and tokenizer. Used by one thread at a time. */
typedef struct fennec_llm_s* fennec_llm_t;

typedef struct fennec_llm_options_s {
  int32_t device_index;          /* -1 (default): as fennec_session_options_t */
  uint64_t memory_budget_bytes;  /* 0 (default): the device's budget less a margin; the key/value
                                    cache holds as many positions as the weights leave room for */
  int32_t max_context;           /* 0 (default): the model's context */
  int32_t kv_cache;              /* keys and values as 0 (default): fp16, 1: float32, 2: int8 with
                                    a float32 scale per position and head */
  const char* chat_template;     /* NULL (default): the family of the model's own chat template;
                                    or one of "chatml", "llama3", "llama2", "llama2-sys", "phi3",
                                    "zephyr", "gemma" */
} fennec_llm_options_t;

void fennec_llm_options_init(fennec_llm_options_t* options);

/* Opens `model` (which must outlive the LLM) for generation. Fails with
 * FENNEC_INVALID_MODEL for a file that is not an LLM and FENNEC_OUT_OF_MEMORY,
 * naming the smallest budget, when the weights do not fit the budget. */
fennec_status_t fennec_llm_create(fennec_model_t model, const fennec_llm_options_t* options,
                                  fennec_llm_t* out_llm);
void fennec_llm_release(fennec_llm_t llm);

/* Positions the key/value cache holds (prompt plus generated tokens). */
int32_t fennec_llm_context(fennec_llm_t llm);

/* Tokenizes `text` with the model's tokenizer (no BOS added): writes up to
 * `capacity` ids and sets *out_count to the number of ids the text takes
 * (call with capacity 0 to size the buffer). FENNEC_UNSUPPORTED when the
 * model carries no tokenizer (llama2.c checkpoints). */
fennec_status_t fennec_llm_tokenize(fennec_llm_t llm, const char* text, int32_t* out_tokens, size_t capacity,
                                    size_t* out_count);

typedef struct fennec_chat_message_s {
  const char* role;     /* "system", "user" or "assistant" */
  const char* content;
} fennec_chat_message_t;

/* Lays `messages` out as the model's chat template does (see
 * fennec_llm_options_t.chat_template), ending with the opening of an
 * assistant turn when `add_assistant` is 1; special tokens are written as
 * their texts (generate with `chat` = 1). Writes up to `capacity` bytes and a
 * NUL when it fits, and sets *out_size to the text's length (call with
 * capacity 0 to size the buffer). FENNEC_UNSUPPORTED when the model carries
 * no chat template the runtime knows and none was named. */
fennec_status_t fennec_llm_format_chat(fennec_llm_t llm, const fennec_chat_message_t* messages, size_t count,
                                       int32_t add_assistant, char* out_text, size_t capacity, size_t* out_size);

/* As fennec_llm_tokenize, but the texts of special tokens (such as chat
 * markers) become those tokens, as generation with `chat` = 1 reads them. */
fennec_status_t fennec_llm_tokenize_special(fennec_llm_t llm, const char* text, int32_t* out_tokens,
                                            size_t capacity, size_t* out_count);

typedef struct fennec_generate_options_s {
  int32_t max_tokens;          /* default 128 */
  float temperature;           /* 0 (default): greedy */
  int32_t top_k;               /* 0 (default): no limit */
  float top_p;                 /* 1 (default): no limit */
  float min_p;                 /* 0 (default): no limit */
  float repetition_penalty;    /* 1 (default): none */
  uint64_t seed;               /* default 0 */
  int32_t ignore_eos;          /* 1: keep generating past the end-of-sequence token */
  int32_t no_bos;              /* 1: no BOS token before a text prompt */
  const char* const* stop_strings; /* generation stops before any of these texts */
  size_t stop_string_count;
  int32_t chat;                /* 1: the prompt comes from fennec_llm_format_chat: the texts of
                                  special tokens in it become those tokens, and generation also
                                  stops at the template's end-of-turn token ("end of turn") */
} fennec_generate_options_t;

void fennec_generate_options_init(fennec_generate_options_t* options);

/* Streaming: called once per generated token with its id and the text that
 * became final with it: `text_size` bytes (not NUL-terminated, possibly 0;
 * text that may start a stop string or ends inside a UTF-8 character waits
 * for the next tokens, and a stop string itself is never passed). A last
 * call with token -1 may bring text held back at the end. Return 0 to go
 * on, anything else to stop. */
typedef int32_t (*fennec_token_callback_t)(void* user_data, int32_t token, const char* text, size_t text_size);

typedef struct fennec_generation_stats_s {
  uint64_t prompt_tokens;
  uint64_t generated_tokens;
  double prefill_tokens_per_s;
  double decode_tokens_per_s;
  char stop_reason[32];        /* "length", "eos", "end of turn", "stop string", "context" or "callback" */
  int32_t context;             /* positions the key/value cache holds */
  uint64_t peak_device_bytes;  /* high-water mark of the LLM's device allocations */
  uint64_t kv_cache_bytes;
  uint64_t weight_bytes;       /* device bytes holding weights */
} fennec_generation_stats_t;

/* Generates a new sequence from `prompt` (text, after BOS when the model's
 * tokenizer starts prompts with it, unless no_bos),
 * or, when `prompt` is NULL, from `prompt_tokens` as given. `callback` and
 * `out_stats` may be NULL. */
fennec_status_t fennec_llm_generate(fennec_llm_t llm, const char* prompt, const int32_t* prompt_tokens,
                                    size_t prompt_token_count, const fennec_generate_options_t* options,
                                    fennec_token_callback_t callback, void* user_data,
                                    fennec_generation_stats_t* out_stats);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif  /* FENNEC_FENNEC_H_ */
