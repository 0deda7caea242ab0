#include "cli/quantize_report.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

#include <fmt/format.h>

namespace fennec::cli {

void print_quantize_progress(size_t done, size_t total) {
  static const bool tty = isatty(fileno(stderr)) != 0;
  if (!tty || total == 0) return;
  constexpr size_t kWidth = 30;
  const size_t filled = done * kWidth / total;
  std::fprintf(stderr, "\r  quantizing [%s%s] %zu/%zu", std::string(filled, '#').c_str(),
               std::string(kWidth - filled, ' ').c_str(), done, total);
  if (done == total) std::fprintf(stderr, "\r%*s\r", static_cast<int>(kWidth + 40), "");
  std::fflush(stderr);
}

void print_quantize_report(const passes::QuantizeReport& report, const passes::QuantizeOptions& options) {
  std::printf("  quantization %s: per layer (weight NMSE = sum (w - q)^2 / sum w^2)\n",
              passes::quant_scheme_name(options.scheme));
  const bool calibrated = report.calibration_samples > 0;
  std::printf("    %-34s %-6s %-18s %-12s %10s %10s %10s %12s\n", "node", "op", "weight", "format", "NMSE",
              "max |err|", calibrated ? "out NMSE" : "", "bytes");
  std::map<std::string, int> per_format;
  for (const passes::QuantizedLayer& l : report.layers) {
    const std::string format = l.quant.to_string();
    per_format[format]++;
    std::string node = l.node.size() > 34 ? "..." + l.node.substr(l.node.size() - 31) : l.node;
    std::string out = l.output_nmse >= 0.0 ? fmt::format("{:.2e}", l.output_nmse) : "";
    std::printf("    %-34s %-6s %-18s %-12s %10.2e %10.2e %10s %5s -> %-5s%s%s\n", node.c_str(),
                l.op_type.c_str(), shape_to_string(l.shape).c_str(), format.c_str(), l.weight_nmse,
                l.weight_max_abs, out.c_str(), fmt::format("{:.0f}K", l.bytes_before / 1024.0).c_str(),
                fmt::format("{:.0f}K", l.bytes_after / 1024.0).c_str(), l.note.empty() ? "" : "  ",
                l.note.c_str());
  }
  std::string formats;
  for (const auto& [format, count] : per_format)
    formats += (formats.empty() ? "" : ", ") + fmt::format("{} {}", count, format);
  std::printf("  quantized    %zu layers: %s\n", report.layers.size(), formats.empty() ? "none" : formats.c_str());
  for (const passes::QuantizedLayer& l : report.layers)
    if (!l.note.empty()) std::printf("               %s: %s\n", l.node.c_str(), l.note.c_str());
  for (const passes::KeptConstant& k : report.kept)
    std::printf("  kept fp32    %s %s: %s %s, %.0fK (no quantized kernel reads it)\n", k.op_type.c_str(),
                k.node.c_str(), k.tensor.c_str(), shape_to_string(k.shape).c_str(), k.bytes / 1024.0);
  size_t gptq = 0, vectors = 0;
  for (const passes::QuantizedLayer& l : report.layers)
    if (l.gptq_vectors > 0) ++gptq, vectors = std::max(vectors, l.gptq_vectors);
  if (gptq > 0)
    std::printf("  rounding     GPTQ on %zu layers (Hessians of their calibration inputs, up to %zu vectors each); "
                "the rest to nearest\n",
                gptq, vectors);
  if (calibrated) {
    std::printf("  model error  on %zu calibration sample%s, quantized vs fp32 (out NMSE above: each layer's\n"
                "               output, carrying the error of the layers before it)\n",
                report.calibration_samples, report.calibration_samples == 1 ? "" : "s");
    for (const passes::OutputError& o : report.outputs)
      std::printf("               output %s: NMSE %.3e, max |err| %.3e (max |fp32| %.3e)\n", o.name.c_str(), o.nmse,
                  o.max_abs, o.max_ref);
  }
  const double ratio = report.weights_before
                           ? static_cast<double>(report.weights_after) / static_cast<double>(report.weights_before)
                           : 1.0;
  std::printf("  weights      %llu -> %llu bytes (%.3fx of fp32)\n",
              static_cast<unsigned long long>(report.weights_before),
              static_cast<unsigned long long>(report.weights_after), ratio);
}

void print_activation_report(const passes::HalfActivationReport& report,
                             const std::vector<passes::OutputError>& errors, size_t samples,
                             const std::vector<passes::CalibrationSample>& synthetic) {
  std::printf("  activations  fp16 storage in %zu nodes, %zu kept fp32; %zu casts; %zu constants and %zu graph "
              "inputs as fp16\n",
              report.half_nodes, report.kept.size(), report.casts, report.constants, report.half_inputs);
  for (const passes::KeptFp32Node& k : report.kept)
    std::printf("               %s %s: %s\n", k.op_type.c_str(), k.node.c_str(), k.reason.c_str());
  if (report.activation_bytes_before)
    std::printf("               activation bytes %llu -> %llu (%.3fx)\n",
                static_cast<unsigned long long>(report.activation_bytes_before),
                static_cast<unsigned long long>(report.activation_bytes_after),
                static_cast<double>(report.activation_bytes_after) / static_cast<double>(report.activation_bytes_before));
  if (!report.ranges_checked) {
    std::printf("               ranges unchecked: give --calibration to keep layers whose values leave binary16's "
                "range in float32\n");
    return;
  }
  if (samples == 0) {
    std::string shapes;
    for (const HostTensor& t : synthetic.front()) shapes += (shapes.empty() ? "" : ", ") + shape_to_string(t.shape);
    std::printf("               ranges estimated on one synthetic N(0,1) input (%s); --calibration measures them "
                "on your data\n",
                shapes.c_str());
    return;
  }
  std::printf("               ranges checked on %zu calibration sample%s; model error, this file vs fp32:\n", samples,
              samples == 1 ? "" : "s");
  for (const passes::OutputError& o : errors)
    std::printf("               output %s: NMSE %.3e, max |err| %.3e (max |fp32| %.3e)\n", o.name.c_str(), o.nmse,
                o.max_abs, o.max_ref);
}

}  // namespace fennec::cli
