// Op type -> Vulkan kernel: one line per op type.
#include "vulkan/ops/kernels.h"

namespace fennec::vulkan {
namespace {

struct Entry {
  ops::OpType type;
  RecordFn record;
};

constexpr Entry kKernels[] = {
    {ops::OpType::CONV, record_conv},
    {ops::OpType::CONV_TRANSPOSE, record_conv_transpose},
    {ops::OpType::BATCH_NORM, record_batch_norm},
    {ops::OpType::ADD, record_binary},
    {ops::OpType::SUB, record_binary},
    {ops::OpType::MUL, record_binary},
    {ops::OpType::DIV, record_binary},
    {ops::OpType::RELU, record_unary},
    {ops::OpType::CLIP, record_unary},
    {ops::OpType::SIGMOID, record_unary},
    {ops::OpType::HARD_SIGMOID, record_unary},
    {ops::OpType::HARD_SWISH, record_unary},
    {ops::OpType::GLOBAL_AVERAGE_POOL, record_global_average_pool},
    {ops::OpType::CONCAT, record_concat},
    {ops::OpType::RESIZE, record_resize},
    {ops::OpType::RESHAPE, record_reshape},
    {ops::OpType::TRANSPOSE, record_transpose},
    {ops::OpType::SLICE, record_slice},
    {ops::OpType::GATHER, record_gather},
    {ops::OpType::PAD, record_pad},
    {ops::OpType::EXPAND, record_expand},
    {ops::OpType::MATMUL, record_matmul},
    {ops::OpType::POOL2D, record_pool2d},
    {ops::OpType::ATTENTION, record_attention},
    {ops::OpType::UNARY, record_unary},
    {ops::OpType::POW, record_binary},
    {ops::OpType::MAXIMUM, record_binary},
    {ops::OpType::MINIMUM, record_binary},
    {ops::OpType::SOFTMAX, record_softmax},
    {ops::OpType::REDUCE, record_reduce},
    {ops::OpType::LAYER_NORM, record_layer_norm},
    {ops::OpType::LSTM, record_lstm},
    {ops::OpType::CAST, record_cast},
};

}  // namespace

RecordFn find_kernel(ops::OpType type) {
  for (const Entry& entry : kKernels)
    if (entry.type == type) return entry.record;
  return nullptr;
}

}  // namespace fennec::vulkan
