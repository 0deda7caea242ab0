// Values the importer computes on the host instead of at run time: shape
// arithmetic (Shape -> Gather -> Concat -> Reshape chains), integer and
// boolean tensors, and the conditions of If nodes.
//
// Symbolic input dimensions are handled by "probing": the importer binds
// every symbolic dimension to two different sample sizes and evaluates each
// host value under both. Where the two results agree the value does not
// depend on the input size and becomes a constant; where they differ it stays
// a ProbedValue that only shape-consuming importers (Reshape) may read.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "graph/tensor.h"

namespace fennec::onnx_import {

constexpr int kProbes = 2;

// A dense host tensor whose elements are held as doubles (int64 shape values
// up to 2^53 are exact; larger ones, such as INT64_MAX slice ends, are
// clamped when converted back).
struct HostValue {
  DataType dtype = DataType::INT64;
  Shape shape;
  std::vector<double> v;

  int64_t count() const { return element_count(shape); }
  int64_t as_int(size_t i) const;
};

HostValue host_value_from(const HostTensor& t);
HostTensor host_tensor_from(const HostValue& v);
bool same_value(const HostValue& a, const HostValue& b);
// The nearest binary16 value (round to nearest even; overflow to infinity).
double round_to_half(double x);

using ProbedValue = std::array<HostValue, kProbes>;

// The sample sizes bound to the k-th distinct symbolic dimension. They are
// multiples of 32 (so strided convs and reshapes stay exact) and differ
// between probes and between symbols.
int64_t probe_dim(int symbol, int probe);

}  // namespace fennec::onnx_import
