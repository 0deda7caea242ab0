// The elementwise math functions (Tanh, Exp, Log, Sqrt, Abs, Neg,
// Reciprocal, Erf, Floor, Ceil, Round, Sign and the trigonometric and
// hyperbolic functions): one UNARY op each, on FLOAT data.
#include "ops/unary.h"
#include "onnx/op_importers.h"

namespace fennec::onnx_import {

template <schema::Activation kind>
void import_math(ImportContext& ctx) {
  ops::Activation a;
  a.kind = kind;
  ctx.add_node(std::make_unique<ops::UnaryOp>(OpType::UNARY, a), {ctx.float_input(0)});
}

using K = schema::Activation;
template void import_math<K::TANH>(ImportContext&);
template void import_math<K::EXP>(ImportContext&);
template void import_math<K::LOG>(ImportContext&);
template void import_math<K::SQRT>(ImportContext&);
template void import_math<K::ABS>(ImportContext&);
template void import_math<K::NEG>(ImportContext&);
template void import_math<K::RECIPROCAL>(ImportContext&);
template void import_math<K::ERF>(ImportContext&);
template void import_math<K::FLOOR>(ImportContext&);
template void import_math<K::CEIL>(ImportContext&);
template void import_math<K::ROUND>(ImportContext&);
template void import_math<K::SIGN>(ImportContext&);
template void import_math<K::SIN>(ImportContext&);
template void import_math<K::COS>(ImportContext&);
template void import_math<K::TAN>(ImportContext&);
template void import_math<K::ASIN>(ImportContext&);
template void import_math<K::ACOS>(ImportContext&);
template void import_math<K::ATAN>(ImportContext&);
template void import_math<K::SINH>(ImportContext&);
template void import_math<K::COSH>(ImportContext&);
template void import_math<K::ASINH>(ImportContext&);
template void import_math<K::ACOSH>(ImportContext&);
template void import_math<K::ATANH>(ImportContext&);
template void import_math<K::SOFTSIGN>(ImportContext&);
template void import_math<K::SOFTPLUS>(ImportContext&);
template void import_math<K::MISH>(ImportContext&);

}  // namespace fennec::onnx_import
