// The RBF SVM scoring kernel's work (native/cuda/svm_kernel.cu), shared with its host emulation
// (host_grid.cc): out[r] = Σ_j coef_j exp(-gamma |x_r - sv_j|²) - rho.
//
// The distances are a GEMM-shaped tile: a block of 16 x 16 threads owns 64 rows and walks the
// support vectors 64 at a time; for each such tile it stages 16 features of the rows and of the
// support vectors (the SGEMM's loadTile, gemm_tile.h), waits, and accumulates squared differences
// into each thread's 4 x 4 registers (phase distance), waits, and after the last feature turns
// them into exp terms added to the thread's four row partials (phase accumulate): the distance
// matrix never leaves registers. At the end the 16 partials of a row meet in shared memory and one
// thread adds them in order (phases partials, finish). Differences are taken directly, not through
// |x|² + |sv|² - 2 x.sv, so there is no cancellation to guard against (the CPU path centres the
// data and falls back to differences for far rows).
#pragma once
#include "cuda/gemm_tile.h"

namespace vigil {
namespace cuda {
namespace tile {

struct SvmRbf {
  int64_t m, d, nSV;
  const float* x;     // [m, d]
  const float* sv;    // [nSV, d]
  const float* coef;  // [nSV]
  float gamma;
  double rho;
  float* out;  // [m]
  bool vecX, vecSV;  // vec4Ok of x and sv
};

struct SvmShared {
  float x[kBK][kBM + kPad];    // x[r0 + r][k0 + k] at x[k][r]
  float sv[kBK][kBN + kPad];   // sv[j0 + j][k0 + k] at sv[k][j]
  float part[kBM][kTX + 1];    // the row partials of the 16 threads along a row
};

// Phase load: this thread's share of the rows' and support vectors' features k0 .. k0 + 15.
VIGIL_HD void svmLoad(int tid, const SvmRbf& p, SvmShared& s, int64_t r0, int64_t j0, int64_t k0) {
  loadTile<kBM>(tid, p.x, p.d, true, p.vecX, p.m, p.d, r0, k0, s.x);
  loadTile<kBN>(tid, p.sv, p.d, true, p.vecSV, p.nSV, p.d, j0, k0, s.sv);
}

// Phase distance: d2 += the staged features' squared differences, features in order.
VIGIL_HD void svmDistance(int tx, int ty, const SvmShared& s, Acc& d2) {
  for (int k = 0; k < kBK; ++k) {
    float a[kTM], b[kTN];
    for (int i = 0; i < kTM; ++i) a[i] = s.x[k][ty + kTY * i];
    for (int j = 0; j < kTN; ++j) b[j] = s.sv[k][tx + kTX * j];
    for (int i = 0; i < kTM; ++i)
      for (int j = 0; j < kTN; ++j) {
        const float diff = a[i] - b[j];
        d2.v[i][j] = fmaf(diff, diff, d2.v[i][j]);
      }
  }
}

// One support vector's term of the decision function.
VIGIL_HD float rbfTerm(float coef, float gamma, float d2) { return coef * expf(-gamma * d2); }

// Phase accumulate: the exp terms of this thread's 4 x 4 distances (support vectors j0 + tx + 16 j
// that exist) added to its row partials, support vectors in order.
VIGIL_HD void svmAccumulate(int tx, const SvmRbf& p, int64_t j0, const Acc& d2, float part[kTM]) {
  for (int j = 0; j < kTN; ++j) {
    const int64_t sv = j0 + tx + kTX * j;
    if (sv >= p.nSV) break;
    const float c = p.coef[sv];
    for (int i = 0; i < kTM; ++i) part[i] += rbfTerm(c, p.gamma, d2.v[i][j]);
  }
}

// Phase partials: this thread's row partials into shared memory.
VIGIL_HD void svmPartials(int tx, int ty, SvmShared& s, const float part[kTM]) {
  for (int i = 0; i < kTM; ++i) s.part[ty + kTY * i][tx] = part[i];
}

// Phase finish: thread tid < 64 sums row r0 + tid's 16 partials in order (in double) and writes it.
VIGIL_HD void svmFinish(int tid, const SvmRbf& p, const SvmShared& s, int64_t r0) {
  const int64_t r = r0 + tid;
  if (tid >= kBM || r >= p.m) return;
  double sum = 0.0;
  for (int t = 0; t < kTX; ++t) sum += static_cast<double>(s.part[tid][t]);
  p.out[r] = static_cast<float>(sum - p.rho);
}

}  // namespace tile
}  // namespace cuda
}  // namespace vigil
