// The CUDA kernels' grids run as plain host loops, compiled into every build (with or without
// CUDA) so that `npm test` checks the kernels' per-element, per-tile and per-thread work against
// the CPU kernels on machines without a GPU. Each function walks the grid block by block; inside a
// block, every phase between two __syncthreads() of the kernel runs for all its threads before the
// next phase starts, and the state a device thread keeps in registers across phases lives in an
// array indexed by thread. The phase functions are the kernels' own (gemm_tile.h, iforest_walk.h,
// svm_tile.h); what this file shares with the .cu files by hand is only the order of the phases.
#include <algorithm>
#include <vector>

#include "cpu/iforest.h"
#include "cuda/gemm.h"
#include "cuda/gemm_tile.h"
#include "cuda/iforest.h"
#include "cuda/iforest_walk.h"
#include "cuda/svm_kernel.h"
#include "cuda/svm_tile.h"

namespace vigil {
namespace cuda {
namespace host {

using namespace tile;

void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  const Gemm p{transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, vec4Ok(A, lda), vec4Ok(B, ldb)};
  GemmShared s;
  std::vector<Acc> acc(kThreads);
  for (int64_t m0 = 0; m0 < M; m0 += kBM) {      // blockIdx.x
    for (int64_t n0 = 0; n0 < N; n0 += kBN) {    // blockIdx.y
      for (Acc& a : acc) a = Acc{};
      for (int64_t k0 = 0; k0 < K; k0 += kBK) {
        for (int t = 0; t < kThreads; ++t) gemmLoad(t, p, s, m0, n0, k0);
        for (int t = 0; t < kThreads; ++t) gemmMultiply(t % kTX, t / kTX, s, acc[t]);
      }
      for (int t = 0; t < kThreads; ++t) gemmStore(t % kTX, t / kTX, p, m0, n0, acc[t]);
    }
  }
}

void iforestScore(int64_t trees, int height, const int32_t* feature, const float* threshold, const float* leafValue,
                  const float* x, int64_t rows, int64_t cols, int64_t maxSamples, float* pathLength, float* score) {
  const IforestScore p{{trees, height, feature, threshold, leafValue}, x, rows, cols,
                       iforestAveragePathLength(maxSamples), pathLength, score};
  const bool staged = iforestStaged(cols);
  std::vector<float> sh(staged ? static_cast<size_t>(kRowsPerBlock * iforestStride(cols)) : 0);
  for (int64_t r0 = 0; r0 < rows; r0 += kRowsPerBlock) {
    if (staged)
      for (int t = 0; t < kRowsPerBlock; ++t) iforestStage(t, p, r0, sh.data());
    for (int t = 0; t < kRowsPerBlock; ++t) iforestWalk(t, p, r0, staged ? sh.data() : nullptr);
  }
}

void svmDecisionRbf(int64_t m, int64_t d, int64_t nSV, const float* x, const float* sv, const float* coef, double gamma,
                    double rho, float* out) {
  const SvmRbf p{m, d, nSV, x, sv, coef, static_cast<float>(gamma), rho, out, vec4Ok(x, d), vec4Ok(sv, d)};
  SvmShared s;
  std::vector<Acc> d2(kThreads);
  std::vector<float> part(static_cast<size_t>(kThreads * kTM));
  for (int64_t r0 = 0; r0 < m; r0 += kBM) {  // blockIdx.x
    std::fill(part.begin(), part.end(), 0.0f);
    for (int64_t j0 = 0; j0 < nSV; j0 += kBN) {
      for (Acc& a : d2) a = Acc{};
      for (int64_t k0 = 0; k0 < d; k0 += kBK) {
        for (int t = 0; t < kThreads; ++t) svmLoad(t, p, s, r0, j0, k0);
        for (int t = 0; t < kThreads; ++t) svmDistance(t % kTX, t / kTX, s, d2[t]);
      }
      for (int t = 0; t < kThreads; ++t) svmAccumulate(t % kTX, p, j0, d2[t], &part[t * kTM]);
    }
    for (int t = 0; t < kThreads; ++t) svmPartials(t % kTX, t / kTX, s, &part[t * kTM]);
    for (int t = 0; t < kThreads; ++t) svmFinish(t, p, s, r0);
  }
}

}  // namespace host
}  // namespace cuda
}  // namespace vigil
