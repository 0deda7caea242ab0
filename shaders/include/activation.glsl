// Fused activations; the codes match schema::Activation.
#ifndef FENNEC_ACTIVATION_GLSL
#define FENNEC_ACTIVATION_GLSL

#define ACT_NONE 0
#define ACT_RELU 1
#define ACT_CLIP 2
#define ACT_SIGMOID 3
#define ACT_HARD_SIGMOID 4
#define ACT_HARD_SWISH 5

float fennec_activate(float x, int kind, float alpha, float beta) {
  if (kind == ACT_RELU) return max(x, 0.0);
  if (kind == ACT_CLIP) return min(max(x, alpha), beta);
  if (kind == ACT_SIGMOID) return 1.0 / (1.0 + exp(-x));
  if (kind == ACT_HARD_SIGMOID) return clamp(alpha * x + beta, 0.0, 1.0);
  if (kind == ACT_HARD_SWISH) return x * clamp(x / 6.0 + 0.5, 0.0, 1.0);
  return x;
}

#endif
