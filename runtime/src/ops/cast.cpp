#include "ops/cast.h"

#include <fmt/format.h>

namespace fennec::ops {

Status CastOp::infer_shapes(std::span<const Shape> inputs, std::vector<Shape>& outputs) const {
  if (inputs.size() != 1)
    return make_error(StatusCode::kInvalidModel, "CAST takes 1 input, got {}", inputs.size());
  outputs = {inputs[0]};
  return ok_status();
}

Status CastOp::reference(std::span<const HostTensor* const> inputs, std::span<HostTensor> outputs) const {
  const HostTensor& in = *inputs[0];
  if (!is_float_dtype(in.dtype))
    return make_error(StatusCode::kUnsupported, "CAST reference: input is {}; FLOAT32 and FLOAT16 only",
                      dtype_name(in.dtype));
  FENNEC_ASSIGN_OR_RETURN(HostTensor converted, convert_dtype(in, to_));
  outputs[0] = std::move(converted);
  return ok_status();
}

OptionsOffset CastOp::write_options(flatbuffers::FlatBufferBuilder& fbb) const {
  return {schema::OpOptions::CastOptions, schema::CreateCastOptions(fbb, to_).Union()};
}

std::string CastOp::describe() const { return fmt::format("to={}", dtype_name(to_)); }

Result<std::unique_ptr<Op>> make_cast(const schema::Operator& op) {
  const schema::CastOptions* options = op.options_as_CastOptions();
  const DataType to = options ? options->to() : DataType::FLOAT32;
  if (!is_float_dtype(to))
    return make_error(StatusCode::kInvalidModel, "CAST '{}': target dtype {} is not FLOAT32 or FLOAT16",
                      op.name() ? op.name()->str() : std::string(), dtype_name(to));
  return std::unique_ptr<Op>(std::make_unique<CastOp>(to));
}

}  // namespace fennec::ops
