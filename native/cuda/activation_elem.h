// The activation kernels' work (native/cuda/activation.cu), shared with their host emulation
// (host_grid_train.cc). Conventions of cpu/activation.h: backward passes take the forward output.
//
// Element-wise: one thread per element, the CPU's portable formulas (the stable two-branch
// sigmoid, tanhf, ReLU with NaN -> 0 as max(x, 0) gives). Softmax: one thread per row, the row max,
// then expf and the sum in column order, then one multiply by 1 / sum, as cpu/activation.cc's
// portable loop (its AVX2 loop uses its own exp: agreement is ~1 ulp, not bits). One thread per row
// reads rows C floats apart, which coalesces poorly for wide rows; fine for the class counts of
// classifier heads, and a block per row is the change to make if that ever shows in a profile.
#pragma once
#include <cstdint>

#include "cpu/activation.h"
#include "cuda/hd.h"

namespace vigil {
namespace cuda {
namespace act {

constexpr int kThreads = 256;

VIGIL_HD float forwardOf(Activation kind, float x) {
  switch (kind) {
    case Activation::Sigmoid: {
      if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
      const float e = expf(x);
      return e / (1.0f + e);
    }
    case Activation::Tanh:
      return tanhf(x);
    case Activation::Relu:
      break;
  }
  return x > 0.0f ? x : 0.0f;
}

VIGIL_HD void forwardElement(int64_t i, Activation kind, const float* x, float* y) { y[i] = forwardOf(kind, x[i]); }

// dX[i] from y[i] = f(x[i]) and dY[i]; products in the CPU loop's order.
VIGIL_HD void backwardElement(int64_t i, Activation kind, const float* y, const float* dY, float* dX) {
  const float v = y[i], g = dY[i];
  switch (kind) {
    case Activation::Sigmoid:
      dX[i] = g * v * (1.0f - v);
      return;
    case Activation::Tanh:
      dX[i] = g * (1.0f - v * v);
      return;
    case Activation::Relu:
      break;
  }
  dX[i] = v > 0.0f ? g : 0.0f;
}

VIGIL_HD void softmaxRow(int64_t r, int64_t C, const float* x, float* y) {
  const float* xr = x + r * C;
  float* yr = y + r * C;
  float m = xr[0];
  for (int64_t c = 1; c < C; ++c) m = xr[c] > m ? xr[c] : m;
  float s = 0.0f;
  for (int64_t c = 0; c < C; ++c) s += (yr[c] = expf(xr[c] - m));
  const float inv = 1.0f / s;
  for (int64_t c = 0; c < C; ++c) yr[c] *= inv;
}

VIGIL_HD void softmaxBackwardRow(int64_t r, int64_t C, const float* y, const float* dY, float* dX) {
  const float* yr = y + r * C;
  const float* gr = dY + r * C;
  float dot = 0.0f;
  for (int64_t c = 0; c < C; ++c) dot += gr[c] * yr[c];
  for (int64_t c = 0; c < C; ++c) dX[r * C + c] = yr[c] * (gr[c] - dot);
}

}  // namespace act
}  // namespace cuda
}  // namespace vigil
