#include "ops/global_average_pool.h"

namespace fennec::ops {

Status GlobalAveragePoolOp::infer_shapes(std::span<const Shape> inputs,
                                         std::vector<Shape>& outputs) const {
  if (inputs.size() != 1)
    return make_error(StatusCode::kInvalidModel, "GLOBAL_AVERAGE_POOL takes 1 input, got {}",
                      inputs.size());
  const Shape& x = inputs[0];
  if (x.size() < 3)
    return make_error(StatusCode::kInvalidModel,
                      "GLOBAL_AVERAGE_POOL needs an input of rank 3 or more [N,C,spatial...], "
                      "got {}",
                      shape_to_string(x));
  for (size_t i = 2; i < x.size(); ++i)
    if (x[i] == 0)
      return make_error(StatusCode::kInvalidModel,
                        "GLOBAL_AVERAGE_POOL: input {} has an empty spatial axis {}; the mean "
                        "is undefined",
                        shape_to_string(x), i);
  Shape y = x;
  for (size_t i = 2; i < y.size(); ++i) y[i] = 1;
  outputs = {std::move(y)};
  return ok_status();
}

Status GlobalAveragePoolOp::reference(std::span<const HostTensor* const> inputs,
                                      std::span<HostTensor> outputs) const {
  const HostTensor& x = *inputs[0];
  const int64_t planes = x.shape[0] * x.shape[1];
  const int64_t plane_size = planes == 0 ? 0 : x.elements() / planes;
  auto src = x.as<float>();
  auto dst = outputs[0].as<float>();
  for (int64_t p = 0; p < planes; ++p) {
    // Double accumulation keeps the oracle well below the kernel's own
    // rounding error on large planes.
    double sum = 0.0;
    const float* plane = src.data() + p * plane_size;
    for (int64_t i = 0; i < plane_size; ++i) sum += plane[i];
    dst[static_cast<size_t>(p)] = static_cast<float>(sum / static_cast<double>(plane_size));
  }
  return ok_status();
}

Result<std::unique_ptr<Op>> make_global_average_pool(const schema::Operator& op) {
  if (op.options_type() != schema::OpOptions::NONE)
    return make_error(StatusCode::kInvalidModel, "GLOBAL_AVERAGE_POOL takes no options, got {}",
                      schema::EnumNameOpOptions(op.options_type()));
  return std::unique_ptr<Op>(std::make_unique<GlobalAveragePoolOp>());
}

}  // namespace fennec::ops
