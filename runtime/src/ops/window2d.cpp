#include "ops/window2d.h"

#include <fmt/format.h>

namespace fennec::ops {
namespace {

// " s2" when both axes agree, " s2x3" otherwise.
std::string pair(const char* tag, int h, int w) {
  return h == w ? fmt::format(" {}{}", tag, h) : fmt::format(" {}{}x{}", tag, h, w);
}

}  // namespace

Status validate_window(const Window2D& p, const char* op) {
  if (p.kernel_h <= 0 || p.kernel_w <= 0 || p.stride_h <= 0 || p.stride_w <= 0 || p.dilation_h <= 0 ||
      p.dilation_w <= 0 || p.group <= 0)
    return make_error(StatusCode::kInvalidModel,
                      "{}: invalid options (kernel {}x{}, stride {}x{}, dilation {}x{}, group {}); "
                      "each must be positive",
                      op, p.kernel_h, p.kernel_w, p.stride_h, p.stride_w, p.dilation_h, p.dilation_w,
                      p.group);
  if (p.pad_top < 0 || p.pad_left < 0 || p.pad_bottom < 0 || p.pad_right < 0)
    return make_error(StatusCode::kInvalidModel, "{}: negative pads ({}, {}, {}, {}) are not supported", op,
                      p.pad_top, p.pad_left, p.pad_bottom, p.pad_right);
  return check_activation(p.activation, op);
}

std::string describe_window(const Window2D& p, int output_pad_h, int output_pad_w) {
  std::string s = fmt::format("{}x{}", p.kernel_h, p.kernel_w) + pair("s", p.stride_h, p.stride_w);
  if (p.pad_top == p.pad_left && p.pad_top == p.pad_bottom && p.pad_top == p.pad_right) {
    if (p.pad_top != 0) s += fmt::format(" p{}", p.pad_top);
  } else {
    s += fmt::format(" p{},{},{},{}", p.pad_top, p.pad_left, p.pad_bottom, p.pad_right);
  }
  if (output_pad_h != 0 || output_pad_w != 0) s += pair("op", output_pad_h, output_pad_w);
  if (p.dilation_h != 1 || p.dilation_w != 1) s += pair("d", p.dilation_h, p.dilation_w);
  if (p.group != 1) s += fmt::format(" g{}", p.group);
  if (!p.activation.is_none()) s += " +" + p.activation.to_string();
  return s;
}

}  // namespace fennec::ops
