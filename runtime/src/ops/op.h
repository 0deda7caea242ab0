// The operator interface: parameters read from the schema, shape inference,
// the reference CPU kernel (the test oracle) and serialization back into the
// schema (used by the converter's writer).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "base/status.h"
#include "fennec_generated.h"
#include "graph/tensor.h"

namespace fennec::ops {

using schema::OpType;

// An activation fused into the output of an operator.
struct Activation {
  schema::Activation kind = schema::Activation::NONE;
  float alpha = 0.0f;
  float beta = 0.0f;

  float apply(float x) const;
  bool is_none() const { return kind == schema::Activation::NONE; }
  std::string to_string() const;
  static Activation from_schema(const schema::FusedActivation* fused);
  flatbuffers::Offset<schema::FusedActivation> write(flatbuffers::FlatBufferBuilder& fbb) const;
};

// kInvalidModel naming `op` when the activation code is not one this runtime
// knows (a newer or corrupt model); every reader of an activation from a
// model checks it.
Status check_activation(const Activation& activation, std::string_view op);

using OptionsOffset = std::pair<schema::OpOptions, flatbuffers::Offset<void>>;

class Op {
 public:
  virtual ~Op() = default;

  virtual OpType type() const = 0;
  const char* type_name() const { return schema::EnumNameOpType(type()); }

  // Output shapes from input shapes. A dimension may be kUnknownDim on the
  // converter side; the result then has unknown dims where they depend on it.
  // `inputs[i]` is empty for an absent optional input.
  virtual Status infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const = 0;

  // The reference CPU kernel. `outputs` arrive allocated with the shapes that
  // infer_shapes gave; absent optional inputs are nullptr.
  virtual Status reference(std::span<const HostTensor* const> inputs,
                           std::span<HostTensor> outputs) const = 0;

  // Writes this op's option table; {OpOptions::NONE, 0} when it has none.
  virtual OptionsOffset write_options(flatbuffers::FlatBufferBuilder& fbb) const = 0;

  // Ops that carry a fused activation return it for editing; others nullptr.
  virtual Activation* fused_activation() { return nullptr; }

  // True when every output element depends only on the elements at the same
  // index of each input that has the output's element count (other inputs
  // are broadcast): the output may then overwrite such an input in place.
  virtual bool elementwise() const { return false; }

  // One-line description of the parameters for `inspect` and --dump-graph.
  virtual std::string describe() const { return {}; }
};

// Creates the op for a schema Operator, validating its options.
Result<std::unique_ptr<Op>> make_op(const schema::Operator& op);
// A copy of `op` (through its options table).
Result<std::unique_ptr<Op>> clone_op(const Op& op);

// kUnsupported naming `op` unless every present input is FLOAT32 (for the
// fp32-only reference kernels).
Status require_float32(const Op& op, std::span<const HostTensor* const> inputs);

// Runs infer_shapes, allocates outputs and runs the reference kernel.
Result<std::vector<HostTensor>> run_reference(const Op& op,
                                              std::span<const HostTensor* const> inputs);

}  // namespace fennec::ops
