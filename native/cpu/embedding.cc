#include "cpu/embedding.h"

#include <algorithm>
#include <cstring>

#include "cpu/threadpool.h"

namespace vigil {
namespace {
// Rows are short copies; a chunk needs this many floats of work before a thread pays off.
constexpr int64_t kGrainFloats = 1 << 15;

int64_t grainRows(int64_t E) { return std::max<int64_t>(1, kGrainFloats / std::max<int64_t>(E, 1)); }
}  // namespace

void embeddingForward(int64_t V, int64_t E, int64_t N, const int32_t* ids, const float* table, float* out) {
  parallelFor(N, grainRows(E), [&](int64_t b, int64_t e) {
    for (int64_t n = b; n < e; ++n) std::memcpy(out + n * E, table + static_cast<int64_t>(ids[n]) * E, E * sizeof(float));
  });
}

void embeddingBackward(int64_t V, int64_t E, int64_t N, const int32_t* ids, const float* dOut, float* dTable) {
  // Split the table's rows, not the samples: every thread scans all ids (cheap integers) and adds
  // only those that land in its rows, so each row sums in sample order and no two threads write
  // the same memory. Small problems stay on one thread, where the scan is not repeated.
  int64_t grain = N * E < kGrainFloats ? V : 1;
  parallelFor(V, grain, [&](int64_t vb, int64_t ve) {
    std::memset(dTable + vb * E, 0, (ve - vb) * E * sizeof(float));
    for (int64_t n = 0; n < N; ++n) {
      int64_t v = ids[n];
      if (v < vb || v >= ve) continue;
      float* dst = dTable + v * E;
      const float* src = dOut + n * E;
      for (int64_t k = 0; k < E; ++k) dst[k] += src[k];
    }
  });
}

}  // namespace vigil
