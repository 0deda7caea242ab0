// The op table: one line per op type. Explicit, no static initializers.
#include "ops/attention.h"
#include "ops/batch_norm.h"
#include "ops/binary.h"
#include "ops/concat.h"
#include "ops/cast.h"
#include "ops/conv.h"
#include "ops/conv_transpose.h"
#include "ops/expand.h"
#include "ops/gather.h"
#include "ops/layer_norm.h"
#include "ops/reduce.h"
#include "ops/global_average_pool.h"
#include "ops/matmul.h"
#include "ops/lstm.h"
#include "ops/pad.h"
#include "ops/pool2d.h"
#include "ops/reshape.h"
#include "ops/resize.h"
#include "ops/slice.h"
#include "ops/softmax.h"
#include "ops/transpose.h"
#include "ops/unary.h"

namespace fennec::ops {
namespace {

using Factory = Result<std::unique_ptr<Op>> (*)(const schema::Operator&);

struct Entry {
  OpType type;
  Factory factory;
};

constexpr Entry kOps[] = {
    {OpType::CONV, make_conv},
    {OpType::CONV_TRANSPOSE, make_conv_transpose},
    {OpType::BATCH_NORM, make_batch_norm},
    {OpType::ADD, make_binary},
    {OpType::SUB, make_binary},
    {OpType::MUL, make_binary},
    {OpType::DIV, make_binary},
    {OpType::RELU, make_unary},
    {OpType::CLIP, make_unary},
    {OpType::SIGMOID, make_unary},
    {OpType::HARD_SIGMOID, make_unary},
    {OpType::HARD_SWISH, make_unary},
    {OpType::GLOBAL_AVERAGE_POOL, make_global_average_pool},
    {OpType::CONCAT, make_concat},
    {OpType::RESIZE, make_resize},
    {OpType::RESHAPE, make_reshape},
    {OpType::TRANSPOSE, make_transpose},
    {OpType::SLICE, make_slice},
    {OpType::GATHER, make_gather},
    {OpType::PAD, make_pad},
    {OpType::EXPAND, make_expand},
    {OpType::MATMUL, make_matmul},
    {OpType::POOL2D, make_pool2d},
    {OpType::ATTENTION, make_attention},
    {OpType::UNARY, make_unary},
    {OpType::POW, make_binary},
    {OpType::MAXIMUM, make_binary},
    {OpType::MINIMUM, make_binary},
    {OpType::SOFTMAX, make_softmax},
    {OpType::REDUCE, make_reduce},
    {OpType::LAYER_NORM, make_layer_norm},
    {OpType::LSTM, make_lstm},
    {OpType::CAST, make_cast},
};

}  // namespace

Result<std::unique_ptr<Op>> make_op(const schema::Operator& op) {
  for (const Entry& entry : kOps)
    if (entry.type == op.type()) return entry.factory(op);
  return make_error(StatusCode::kUnsupported,
                    "operator type {} is not supported by this runtime; upgrade Fennec",
                    static_cast<unsigned>(op.type()));
}

Result<std::unique_ptr<Op>> clone_op(const Op& op) {
  flatbuffers::FlatBufferBuilder fbb;
  const OptionsOffset options = op.write_options(fbb);
  schema::OperatorBuilder builder(fbb);
  builder.add_type(op.type());
  builder.add_options_type(options.first);
  builder.add_options(options.second);
  fbb.Finish(builder.Finish());
  return make_op(*flatbuffers::GetRoot<schema::Operator>(fbb.GetBufferPointer()));
}

}  // namespace fennec::ops
