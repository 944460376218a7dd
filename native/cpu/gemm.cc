// Placeholder reference implementation (to be replaced by the blocked, vectorised kernel).
#include "cpu/gemm.h"

#include <cstring>

#include "cpu/threadpool.h"

namespace vigil {

void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  parallelFor(M, 4, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      for (int64_t j = 0; j < N; ++j) {
        float s = 0;
        for (int64_t k = 0; k < K; ++k) {
          float a = transA ? A[k * lda + i] : A[i * lda + k];
          float b = transB ? B[j * ldb + k] : B[k * ldb + j];
          s += a * b;
        }
        float* c = &C[i * ldc + j];
        *c = beta == 0.0f ? alpha * s : alpha * s + beta * *c;
      }
    }
  });
}

PackedB packB(bool transB, int64_t K, int64_t N, const float* B, int64_t ldb) {
  PackedB p;
  p.K = K;
  p.N = N;
  p.size = K * N;
  p.data = std::shared_ptr<float>(new float[K * N], std::default_delete<float[]>());
  for (int64_t k = 0; k < K; ++k)
    for (int64_t j = 0; j < N; ++j) p.data.get()[k * N + j] = transB ? B[j * ldb + k] : B[k * ldb + j];
  return p;
}

void sgemmPacked(bool transA, int64_t M, float alpha, const float* A, int64_t lda, const PackedB& B, float beta,
                 float* C, int64_t ldc) {
  sgemm(transA, false, M, B.N, B.K, alpha, A, lda, B.data.get(), B.N, beta, C, ldc);
}

}  // namespace vigil
