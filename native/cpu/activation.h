// Element-wise activations and the row softmax, forward and backward. Backward passes take the
// forward output y (not x): every derivative here is a cheap function of y.
#pragma once
#include <cmath>
#include <cstdint>

namespace vigil {

enum class Activation : int { Sigmoid = 0, Tanh = 1, Relu = 2 };

void activationForward(Activation kind, int64_t n, const float* x, float* y);
// dX = dY * f'(x) written through y = f(x).
void activationBackward(Activation kind, int64_t n, const float* y, const float* dY, float* dX);

// Softmax over the last axis of [N, C]; the row max is subtracted before exp.
void softmaxForward(int64_t N, int64_t C, const float* x, float* y);
// dX = y * (dY - sum_c dY * y) per row.
void softmaxBackward(int64_t N, int64_t C, const float* y, const float* dY, float* dX);

// Stable scalar sigmoid for other kernels: exp never overflows.
inline float sigmoidScalar(float x) {
  if (x >= 0) return 1.0f / (1.0f + std::exp(-x));
  float e = std::exp(x);
  return e / (1.0f + e);
}

namespace avx2 {
// Ranges [0, n) on one thread; the portable entry points above split and dispatch.
void activationForward(Activation kind, int64_t n, const float* x, float* y);
void activationBackward(Activation kind, int64_t n, const float* y, const float* dY, float* dX);
void softmaxRows(int64_t rows, int64_t C, const float* x, float* y);
void softmaxBackwardRows(int64_t rows, int64_t C, const float* y, const float* dY, float* dX);
}  // namespace avx2

}  // namespace vigil
