// Fused activations; the codes match schema::Activation and the formulas
// match ops::Activation::apply (runtime/src/ops/activation.cpp).
#ifndef FENNEC_ACTIVATION_GLSL
#define FENNEC_ACTIVATION_GLSL

#define ACT_NONE 0
#define ACT_RELU 1
#define ACT_CLIP 2
#define ACT_SIGMOID 3
#define ACT_HARD_SIGMOID 4
#define ACT_HARD_SWISH 5
#define ACT_TANH 6
#define ACT_EXP 7
#define ACT_LOG 8
#define ACT_SQRT 9
#define ACT_ABS 10
#define ACT_NEG 11
#define ACT_RECIPROCAL 12
#define ACT_ERF 13
#define ACT_FLOOR 14
#define ACT_CEIL 15
#define ACT_ROUND 16
#define ACT_SIGN 17
#define ACT_SIN 18
#define ACT_COS 19
#define ACT_TAN 20
#define ACT_ASIN 21
#define ACT_ACOS 22
#define ACT_ATAN 23
#define ACT_SINH 24
#define ACT_COSH 25
#define ACT_ASINH 26
#define ACT_ACOSH 27
#define ACT_ATANH 28
#define ACT_LEAKY_RELU 29
#define ACT_ELU 30
#define ACT_SELU 31
#define ACT_CELU 32
#define ACT_SOFTPLUS 33
#define ACT_SOFTSIGN 34
#define ACT_GELU 35
#define ACT_GELU_TANH 36
#define ACT_SILU 37
#define ACT_THRESHOLDED_RELU 38
#define ACT_SHRINK 39
#define ACT_MISH 40

// GLSL has no erf. Abramowitz & Stegun 7.1.26: erf(x) = 1 - poly(t) e^(-x^2)
// with t = 1 / (1 + p x) for x >= 0 (odd symmetry for x < 0); the formula's
// own error is below 1.5e-7; evaluated in fp32 the error stays under 6e-7.
float fennec_erf(float x) {
  float a = abs(x);
  float t = 1.0 / (1.0 + 0.3275911 * a);
  float poly =
      t * (0.254829592 +
           t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  float y = 1.0 - poly * exp(-a * a);
  return x < 0.0 ? -y : y;
}

// Built-in tanh may be evaluated through exp(2x) and overflow to inf/inf;
// beyond |x| = 10 tanh is 1 in fp32 anyway.
float fennec_tanh(float x) { return tanh(clamp(x, -10.0, 10.0)); }

// log(1 + exp(x)) without overflow for large x.
float fennec_softplus(float x) { return max(x, 0.0) + log(1.0 + exp(-abs(x))); }

float fennec_activate(float x, int kind, float alpha, float beta) {
  // The cheap and common kinds first.
  if (kind == ACT_NONE) return x;
  if (kind == ACT_RELU) return max(x, 0.0);
  if (kind == ACT_CLIP) return min(max(x, alpha), beta);
  if (kind == ACT_SIGMOID) return 1.0 / (1.0 + exp(-x));
  if (kind == ACT_HARD_SIGMOID) return clamp(alpha * x + beta, 0.0, 1.0);
  if (kind == ACT_HARD_SWISH) return x * clamp(x / 6.0 + 0.5, 0.0, 1.0);
  if (kind == ACT_TANH) return fennec_tanh(x);
  if (kind == ACT_EXP) return exp(x);
  if (kind == ACT_LOG) return log(x);
  if (kind == ACT_SQRT) return sqrt(x);
  if (kind == ACT_ABS) return abs(x);
  if (kind == ACT_NEG) return -x;
  if (kind == ACT_RECIPROCAL) return 1.0 / x;
  if (kind == ACT_ERF) return fennec_erf(x);
  if (kind == ACT_FLOOR) return floor(x);
  if (kind == ACT_CEIL) return ceil(x);
  if (kind == ACT_ROUND) return roundEven(x);
  if (kind == ACT_SIGN) return sign(x);
  if (kind == ACT_SIN) return sin(x);
  if (kind == ACT_COS) return cos(x);
  if (kind == ACT_TAN) return tan(x);
  // Through atan: some drivers' asin/acos are accurate to only ~4e-4.
  if (kind == ACT_ASIN) return atan(x, sqrt((1.0 - x) * (1.0 + x)));
  if (kind == ACT_ACOS) return atan(sqrt((1.0 - x) * (1.0 + x)), x);
  if (kind == ACT_ATAN) return atan(x);
  if (kind == ACT_SINH) return sinh(x);
  if (kind == ACT_COSH) return cosh(x);
  if (kind == ACT_ASINH) return asinh(x);
  if (kind == ACT_ACOSH) return acosh(x);
  if (kind == ACT_ATANH) return atanh(x);
  if (kind == ACT_LEAKY_RELU) return x >= 0.0 ? x : alpha * x;
  if (kind == ACT_ELU) return x >= 0.0 ? x : alpha * (exp(x) - 1.0);
  if (kind == ACT_SELU) return beta * (x > 0.0 ? x : alpha * (exp(x) - 1.0));
  if (kind == ACT_CELU) return max(0.0, x) + min(0.0, alpha * (exp(x / alpha) - 1.0));
  if (kind == ACT_SOFTPLUS) return fennec_softplus(x);
  if (kind == ACT_SOFTSIGN) return x / (1.0 + abs(x));
  if (kind == ACT_GELU) return 0.5 * x * (1.0 + fennec_erf(x * 0.70710678118654752));
  if (kind == ACT_GELU_TANH)
    return 0.5 * x * (1.0 + fennec_tanh(0.79788456080286536 * (x + 0.044715 * x * x * x)));
  if (kind == ACT_SILU) return x / (1.0 + exp(-x));
  if (kind == ACT_THRESHOLDED_RELU) return x > alpha ? x : 0.0;
  if (kind == ACT_SHRINK) return x < -alpha ? x + beta : (x > alpha ? x - beta : 0.0);
  if (kind == ACT_MISH) return x * fennec_tanh(fennec_softplus(x));
  return x;
}

#endif
