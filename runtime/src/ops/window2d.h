// The sliding-window parameters that CONV and CONV_TRANSPOSE share: kernel,
// stride, dilation, pads, groups and the fused activation, with their schema
// reading, validation and description in one place.
#pragma once

#include <string>

#include "ops/op.h"

namespace fennec::ops {

struct Window2D {
  int group = 1;
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  Activation activation;
};

// Copies the window fields of a Conv2DOptions / ConvTranspose2DOptions table.
template <typename Options>
void read_window(const Options& o, Window2D& p) {
  p.group = o.group();
  p.kernel_h = o.kernel_h();
  p.kernel_w = o.kernel_w();
  p.stride_h = o.stride_h();
  p.stride_w = o.stride_w();
  p.dilation_h = o.dilation_h();
  p.dilation_w = o.dilation_w();
  p.pad_top = o.pad_top();
  p.pad_left = o.pad_left();
  p.pad_bottom = o.pad_bottom();
  p.pad_right = o.pad_right();
  p.activation = Activation::from_schema(o.activation());
}

// kInvalidModel naming `op` when a size is not positive, a pad is negative or
// the activation code is unknown.
Status validate_window(const Window2D& p, const char* op);

// "3x3 s2 p1 g16 +RELU"; output pads appear as "op1" when non-zero.
std::string describe_window(const Window2D& p, int output_pad_h = 0, int output_pad_w = 0);

}  // namespace fennec::ops
