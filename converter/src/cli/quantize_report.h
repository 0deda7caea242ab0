// The per-layer report that `fennec convert --quantize` prints, and the
// progress bar shown while weights are encoded.
#pragma once

#include <cstddef>

#include <vector>

#include "passes/half_activations.h"
#include "passes/quantization.h"

namespace fennec::cli {

// A progress bar on stderr when it is a terminal; nothing otherwise.
void print_quantize_progress(size_t done, size_t total);

// One line per candidate layer (format, weight NMSE, max abs error, bytes),
// then the summary: layers per format, the exceptions and why, and the weight
// bytes before and after.
void print_quantize_report(const passes::QuantizeReport& report, const passes::QuantizeOptions& options);

// What binary16 activation storage changed: nodes, casts, the nodes kept in
// float32 and why, activation bytes, and with calibration data (`samples`)
// the model outputs' error against fp32 (`errors`); without, the synthetic
// input that the ranges came from, if any.
void print_activation_report(const passes::HalfActivationReport& report,
                             const std::vector<passes::OutputError>& errors, size_t samples,
                             const std::vector<passes::CalibrationSample>& synthetic);

}  // namespace fennec::cli
