// The session's own small grids (session_step.h), shared by its CUDA backend (session.cu) and its
// host backend (session_host.cc) as the other families' *_elem.h are: GlobalMaxPooling1D over the
// valid steps of 'pre'-padded sequences, forward with the index of each maximum and its backward.
#pragma once
#include <cstdint>

#include "cuda/hd.h"

namespace vigil {
namespace cuda {
namespace poolk {

// e = b·F + f: the maximum of x [B, T, F] over sequence b's valid steps (its last lengths[b]), the
// first maximum winning ties and NaN sticky, as pooling.ts's GlobalMaxPooling1D; arg gets the
// index into x (-1 and an output of 0 for a sequence without valid steps).
VIGIL_HD void maxForwardElement(int64_t e, int64_t T, int64_t F, const int32_t* lengths, const float* x, float* y,
                                int32_t* arg) {
  const int64_t b = e / F, f = e % F;
  const int64_t L = lengths != nullptr ? lengths[b] : T;
  float best = -INFINITY;
  int64_t at = -1;
  for (int64_t t = T - L; t < T; ++t) {
    const int64_t i = (b * T + t) * F + f;
    const float v = x[i];
    if (best == best && (v > best || v != v)) {
      best = v;
      at = i;
    }
  }
  y[e] = at < 0 ? 0.0f : best;
  arg[e] = static_cast<int32_t>(at);
}

// dX (zeroed first) [B, T, F] gets each output's gradient at its maximum; outputs own distinct
// elements of dX, so the threads never add into one place.
VIGIL_HD void maxBackwardElement(int64_t e, const int32_t* arg, const float* dY, float* dX) {
  if (arg[e] >= 0) dX[arg[e]] = dY[e];
}

}  // namespace poolk
}  // namespace cuda
}  // namespace vigil
