// The embedding kernels' work (native/cuda/embedding.cu), shared with their host emulation
// (host_grid_train.cc). Conventions of cpu/embedding.h: table [V, E], ids [N] already in [0, V).
//
// The gradient is a scatter-add, written as a gather so that it is deterministic without atomics:
// one thread per table element (v, k) walks all N ids in order and adds dOut[n, k] where ids[n] == v,
// the CPU's order exactly (the same bits). Every thread of a warp reads the same ids[n] (a
// broadcast), and the adds hit consecutive k (coalesced); the cost is V·E·N comparisons, fine for the
// character vocabularies vigil's models use (V ~ 100) and wasteful for word vocabularies, where a
// stable sort of (id, n) into per-row lists is the next step. Float atomicAdd would be O(N·E) but
// its order, and so its bits, would change from run to run.
#pragma once
#include <cstdint>

#include "cuda/hd.h"

namespace vigil {
namespace cuda {
namespace embk {

constexpr int kThreads = 256;

// out[e] for e in [0, N·E): table[ids[e / E], e % E].
VIGIL_HD void gatherElement(int64_t e, int64_t E, const int32_t* ids, const float* table, float* out) {
  const int64_t n = e / E, k = e % E;
  out[e] = table[static_cast<int64_t>(ids[n]) * E + k];
}

// dTable[e] for e in [0, V·E).
VIGIL_HD void scatterElement(int64_t e, int64_t E, int64_t N, const int32_t* ids, const float* dOut, float* dTable) {
  const int64_t v = e / E, k = e % E;
  float acc = 0.0f;
  for (int64_t n = 0; n < N; ++n)
    if (ids[n] == v) acc += dOut[n * E + k];
  dTable[e] = acc;
}

}  // namespace embk
}  // namespace cuda
}  // namespace vigil
