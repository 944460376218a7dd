#include "cpu/activation.h"

#include <algorithm>

#include "cpu/cpu_features.h"
#include "cpu/threadpool.h"

namespace vigil {
namespace {
constexpr int64_t kGrain = 1 << 15;  // elements per thread before splitting pays off

int64_t rowGrain(int64_t C) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(C, 1)); }

void forwardRange(Activation kind, int64_t n, const float* x, float* y) {
  switch (kind) {
    case Activation::Sigmoid:
      for (int64_t i = 0; i < n; ++i) y[i] = sigmoidScalar(x[i]);
      break;
    case Activation::Tanh:
      for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
      break;
    case Activation::Relu:
      for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0 ? x[i] : 0.0f;
      break;
  }
}

void backwardRange(Activation kind, int64_t n, const float* y, const float* dY, float* dX) {
  switch (kind) {
    case Activation::Sigmoid:
      for (int64_t i = 0; i < n; ++i) dX[i] = dY[i] * y[i] * (1.0f - y[i]);
      break;
    case Activation::Tanh:
      for (int64_t i = 0; i < n; ++i) dX[i] = dY[i] * (1.0f - y[i] * y[i]);
      break;
    case Activation::Relu:
      for (int64_t i = 0; i < n; ++i) dX[i] = y[i] > 0 ? dY[i] : 0.0f;
      break;
  }
}

void softmaxRowsGeneric(int64_t rows, int64_t C, const float* x, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * C;
    float* yr = y + r * C;
    float m = xr[0];
    for (int64_t c = 1; c < C; ++c) m = std::max(m, xr[c]);
    float s = 0;
    for (int64_t c = 0; c < C; ++c) s += (yr[c] = std::exp(xr[c] - m));
    float inv = 1.0f / s;
    for (int64_t c = 0; c < C; ++c) yr[c] *= inv;
  }
}

void softmaxBackwardRowsGeneric(int64_t rows, int64_t C, const float* y, const float* dY, float* dX) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* yr = y + r * C;
    const float* gr = dY + r * C;
    float dot = 0;
    for (int64_t c = 0; c < C; ++c) dot += gr[c] * yr[c];
    for (int64_t c = 0; c < C; ++c) dX[r * C + c] = yr[c] * (gr[c] - dot);
  }
}
}  // namespace

// The AVX2/generic choice is made once per call, outside the parallel region, so every chunk
// of one call takes the same path.
void activationForward(Activation kind, int64_t n, const float* x, float* y) {
#if defined(VIGIL_X86)
  if (useAvx2()) {
    parallelFor(n, kGrain, [&](int64_t b, int64_t e) { avx2::activationForward(kind, e - b, x + b, y + b); });
    return;
  }
#endif
  parallelFor(n, kGrain, [&](int64_t b, int64_t e) { forwardRange(kind, e - b, x + b, y + b); });
}

void activationBackward(Activation kind, int64_t n, const float* y, const float* dY, float* dX) {
#if defined(VIGIL_X86)
  if (useAvx2()) {
    parallelFor(n, kGrain, [&](int64_t b, int64_t e) { avx2::activationBackward(kind, e - b, y + b, dY + b, dX + b); });
    return;
  }
#endif
  parallelFor(n, kGrain, [&](int64_t b, int64_t e) { backwardRange(kind, e - b, y + b, dY + b, dX + b); });
}

void softmaxForward(int64_t N, int64_t C, const float* x, float* y) {
#if defined(VIGIL_X86)
  if (useAvx2()) {
    parallelFor(N, rowGrain(C), [&](int64_t b, int64_t e) { avx2::softmaxRows(e - b, C, x + b * C, y + b * C); });
    return;
  }
#endif
  parallelFor(N, rowGrain(C), [&](int64_t b, int64_t e) { softmaxRowsGeneric(e - b, C, x + b * C, y + b * C); });
}

void softmaxBackward(int64_t N, int64_t C, const float* y, const float* dY, float* dX) {
#if defined(VIGIL_X86)
  if (useAvx2()) {
    parallelFor(N, rowGrain(C), [&](int64_t b, int64_t e) {
      avx2::softmaxBackwardRows(e - b, C, y + b * C, dY + b * C, dX + b * C);
    });
    return;
  }
#endif
  parallelFor(N, rowGrain(C), [&](int64_t b, int64_t e) {
    softmaxBackwardRowsGeneric(e - b, C, y + b * C, dY + b * C, dX + b * C);
  });
}

}  // namespace vigil
