// The dense layer's element-wise pieces on the GPU (native/cuda/dense.cu; its products are the
// SGEMM kernel), shared with their host emulation (host_grid_train.cc). Conventions of
// cpu/dense.h: W [out, in], y [N, out].
#pragma once
#include <cstdint>

#include "cuda/hd.h"

namespace vigil {
namespace cuda {
namespace densek {

constexpr int kThreads = 256;

// y[e] += b[e % out] for e in [0, N·out): the bias after the product, as the CPU adds it.
VIGIL_HD void biasAddElement(int64_t e, int64_t out, const float* b, float* y) { y[e] += b[e % out]; }

// db[c] = Σ_r dY[r, c] in double over the rows in order: cpu/dense.cc's column sums, the same bits.
// One thread per column: a warp reads 32 consecutive floats of a row per step (coalesced).
VIGIL_HD void biasGradColumn(int64_t c, int64_t N, int64_t out, const float* dY, float* db) {
  double acc = 0.0;
  for (int64_t r = 0; r < N; ++r) acc += dY[r * out + c];
  db[c] = static_cast<float>(acc);
}

}  // namespace densek
}  // namespace cuda
}  // namespace vigil
