// Keras' gradient clipping on the GPU (native/cuda/clip.cu), shared with its host emulation
// (host_grid_train.cc). The CPU side is TypeScript (ts/models/optimizers.ts, Base.clip); these are
// its formulas: clipvalue clamps (NaN passes), clipnorm scales each gradient by c / max(||g||, c),
// globalClipnorm scales all of them by one factor from their joint norm (NaN when it is not finite).
//
// A sum of squares is two grids, in double: kBlocks(n) blocks of kReduceThreads threads, thread
// (b, tid) summing elements b·256 + tid + j·blocks·256 in order, then a tree per block (partials);
// then one block summing the partials the same way. The block count depends only on n, so the sum
// is the same bits on every run and every GPU (not the TypeScript's sequential sum's: they agree to
// double rounding). The scale grid reads the sums from device memory: no copy to the host.
#pragma once
#include <cstdint>

#include "cuda/hd.h"

namespace vigil {
namespace cuda {
namespace clipk {

constexpr int kThreads = 256;
constexpr int kReduceThreads = 256;  // a power of two
constexpr int64_t kMaxBlocks = 1024;

inline int64_t blocksFor(int64_t n) {
  const int64_t b = (n + kReduceThreads - 1) / kReduceThreads;
  return b < 1 ? 1 : b > kMaxBlocks ? kMaxBlocks : b;
}

// Phase partial of the first grid: block b, thread tid.
VIGIL_HD double squaresPartial(int64_t b, int tid, int64_t blocks, int64_t n, const float* g) {
  double s = 0.0;
  for (int64_t i = b * kReduceThreads + tid; i < n; i += blocks * kReduceThreads) {
    const double x = g[i];
    s += x * x;
  }
  return s;
}

// Phase partial of the second grid: partials tid, tid + 256, ... in order.
VIGIL_HD double partialsPartial(int tid, int64_t blocks, const double* partials) {
  double s = 0.0;
  for (int64_t i = tid; i < blocks; i += kReduceThreads) s += partials[i];
  return s;
}

VIGIL_HD void reduceStep(int tid, int stride, double* part) {
  if (tid < stride) part[tid] += part[tid + stride];
}

// The factor every element is multiplied by, from `count` sums of squares added in order.
VIGIL_HD double scaleOf(double c, const double* sums, int64_t count, bool global) {
  double total = 0.0;
  for (int64_t j = 0; j < count; ++j) total += sums[j];
  const double norm = sqrt(total);
  if (global) return norm <= 1.7976931348623157e308 ? c / fmax(norm, c) : NAN;  // finite (a norm is never negative)
  return norm != norm ? NAN : c / fmax(norm, c);  // Math.max(NaN, c) is NaN
}

// out[i] = g[i] · k in double, rounded to float (the TypeScript's Float32Array store).
VIGIL_HD void scaleElement(int64_t i, double k, const float* g, float* out) {
  out[i] = static_cast<float>(static_cast<double>(g[i]) * k);
}

// out[i] = g[i] clamped to [-c, c] (compared in double, as the TypeScript does); NaN passes.
VIGIL_HD void valueElement(int64_t i, double c, const float* g, float* out) {
  const float x = g[i];
  out[i] = x > c ? static_cast<float>(c) : x < -c ? static_cast<float>(-c) : x;
}

}  // namespace clipk
}  // namespace cuda
}  // namespace vigil
