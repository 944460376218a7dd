// The dropout kernels' work (native/cuda/dropout.cu), shared with their host emulation
// (host_grid_train.cc). Conventions of cpu/dropout.h: element i is kept iff the top 24 bits of
// Philox draw i of (seed, stream) are >= the threshold (cpu/dropout.cc's keepThreshold, computed on
// the host), kept values scaled. One thread per Philox block (four consecutive elements): the
// block is computed once, as the CPU does, and the masks are the CPU kernel's bits.
#pragma once
#include <cstdint>

#include "cpu/philox.h"
#include "cuda/hd.h"

namespace vigil {
namespace cuda {
namespace dropk {

constexpr int kThreads = 256;

struct Mask {
  uint32_t threshold;
  float scale;
  uint64_t seed, stream;
};

VIGIL_HD Philox4 block(const Mask& m, uint64_t q) {
  return philox4x32(static_cast<uint32_t>(q), static_cast<uint32_t>(q >> 32), static_cast<uint32_t>(m.stream),
                    static_cast<uint32_t>(m.stream >> 32), static_cast<uint32_t>(m.seed), static_cast<uint32_t>(m.seed >> 32));
}

// Elements [4q, min(4q + 4, n)): y = x · factor, mask (nullable) = factor. y may be x.
VIGIL_HD void forwardGroup(int64_t q, int64_t n, const Mask& m, const float* x, float* y, float* mask) {
  const Philox4 r = block(m, static_cast<uint64_t>(q));
  for (int k = 0; k < 4; ++k) {
    const int64_t i = 4 * q + k;
    if (i >= n) return;
    const float f = (r.v[k] >> 8) >= m.threshold ? m.scale : 0.0f;
    y[i] = x[i] * f;
    if (mask != nullptr) mask[i] = f;
  }
}

// dropoutSequences over [B, T, F] pre-padded by lengths: padded elements (the first T - lengths[b]
// steps of sequence b) are 0, valid ones get forwardGroup's factor for their flat index.
VIGIL_HD void sequenceGroup(int64_t q, int64_t T, int64_t F, int64_t n, const int32_t* lengths, const Mask& m,
                            const float* x, float* y) {
  const Philox4 r = block(m, static_cast<uint64_t>(q));
  const int64_t row = T * F;
  for (int k = 0; k < 4; ++k) {
    const int64_t i = 4 * q + k;
    if (i >= n) return;
    const int64_t b = i / row;
    if (i < b * row + (T - lengths[b]) * F) {
      y[i] = 0.0f;
      continue;
    }
    const float f = (r.v[k] >> 8) >= m.threshold ? m.scale : 0.0f;
    y[i] = x[i] * f;
  }
}

VIGIL_HD void applyMaskElement(int64_t i, const float* mask, const float* dY, float* dX) { dX[i] = dY[i] * mask[i]; }

}  // namespace dropk
}  // namespace cuda
}  // namespace vigil
