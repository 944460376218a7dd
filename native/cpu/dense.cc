#include "cpu/dense.h"

#include <algorithm>
#include <vector>

#include "cpu/gemm.h"
#include "cpu/threadpool.h"

namespace vigil {
namespace {
constexpr int64_t kGrain = 1 << 15;
// Columns summed together: a block reads dY row segments contiguously.
constexpr int64_t kColBlock = 256;
}  // namespace

void denseForward(int64_t N, int64_t in, int64_t out, const float* x, const float* W, const float* b, float* y) {
  sgemm(false, true, N, out, in, 1.0f, x, in, W, in, 0.0f, y, out);
  if (b == nullptr) return;
  parallelFor(N, std::max<int64_t>(1, kGrain / out), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      float* yr = y + r * out;
      for (int64_t o = 0; o < out; ++o) yr[o] += b[o];
    }
  });
}

void denseBackward(int64_t N, int64_t in, int64_t out, const float* x, const float* W, const float* dY, float* dX,
                   float* dW, float* db) {
  if (dX != nullptr) sgemm(false, false, N, in, out, 1.0f, dY, out, W, in, 0.0f, dX, in);
  if (dW != nullptr) sgemm(true, false, out, in, N, 1.0f, dY, out, x, in, 0.0f, dW, in);
  if (db == nullptr) return;
  // Threads own column blocks; every column sums its rows in order 0..N-1.
  int64_t blocks = (out + kColBlock - 1) / kColBlock;
  int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(N * kColBlock, 1));
  parallelFor(blocks, grain, [&](int64_t b0, int64_t b1) {
    std::vector<double> acc(kColBlock);
    for (int64_t blk = b0; blk < b1; ++blk) {
      int64_t c0 = blk * kColBlock, c1 = std::min(out, c0 + kColBlock);
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t r = 0; r < N; ++r) {
        const float* g = dY + r * out;
        for (int64_t c = c0; c < c1; ++c) acc[c - c0] += g[c];
      }
      for (int64_t c = c0; c < c1; ++c) db[c] = static_cast<float>(acc[c - c0]);
    }
  });
}

}  // namespace vigil
