// The AVX2 + FMA register tile of the GEMM (6 x 16, see gemm.h). Compiled with -mavx2 -mfma;
// called only when useAvx2() is true.
#include <immintrin.h>

#include "cpu/gemm.h"

namespace vigil {
namespace gemm_detail {

void microKernelAvx2(int64_t kc, const float* Ap, const float* Bp, float* C, int64_t ldc, float alpha, float beta) {
  // The C tile is touched only after the k loop: start fetching it now so the epilogue
  // does not wait on memory.
  for (int64_t i = 0; i < kMR2; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(C + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(C + i * ldc + kNR2 - 1), _MM_HINT_T0);
  }
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();

#define VIGIL_GEMM_STEP(o)                               \
  {                                                      \
    __m256 b0 = _mm256_load_ps(Bp + (o) * kNR2);          \
    __m256 b1 = _mm256_load_ps(Bp + (o) * kNR2 + 8);      \
    __m256 a = _mm256_broadcast_ss(Ap + (o) * kMR2 + 0);  \
    c00 = _mm256_fmadd_ps(a, b0, c00);                   \
    c01 = _mm256_fmadd_ps(a, b1, c01);                   \
    a = _mm256_broadcast_ss(Ap + (o) * kMR2 + 1);         \
    c10 = _mm256_fmadd_ps(a, b0, c10);                   \
    c11 = _mm256_fmadd_ps(a, b1, c11);                   \
    a = _mm256_broadcast_ss(Ap + (o) * kMR2 + 2);         \
    c20 = _mm256_fmadd_ps(a, b0, c20);                   \
    c21 = _mm256_fmadd_ps(a, b1, c21);                   \
    a = _mm256_broadcast_ss(Ap + (o) * kMR2 + 3);         \
    c30 = _mm256_fmadd_ps(a, b0, c30);                   \
    c31 = _mm256_fmadd_ps(a, b1, c31);                   \
    a = _mm256_broadcast_ss(Ap + (o) * kMR2 + 4);         \
    c40 = _mm256_fmadd_ps(a, b0, c40);                   \
    c41 = _mm256_fmadd_ps(a, b1, c41);                   \
    a = _mm256_broadcast_ss(Ap + (o) * kMR2 + 5);         \
    c50 = _mm256_fmadd_ps(a, b0, c50);                   \
    c51 = _mm256_fmadd_ps(a, b1, c51);                   \
  }

  // Unrolled by 4 so the loop overhead hides behind the FMAs; the packed panels are read
  // strictly forwards, which the hardware prefetcher follows.
  int64_t k = 0;
  for (; k + 4 <= kc; k += 4) {
    VIGIL_GEMM_STEP(0)
    VIGIL_GEMM_STEP(1)
    VIGIL_GEMM_STEP(2)
    VIGIL_GEMM_STEP(3)
    Ap += 4 * kMR2;
    Bp += 4 * kNR2;
  }
  for (; k < kc; ++k) {
    VIGIL_GEMM_STEP(0)
    Ap += kMR2;
    Bp += kNR2;
  }
#undef VIGIL_GEMM_STEP

  const __m256 va = _mm256_set1_ps(alpha);
  auto store = [&](float* c, __m256 lo, __m256 hi) {
    if (beta == 0.0f) {
      _mm256_storeu_ps(c, _mm256_mul_ps(va, lo));
      _mm256_storeu_ps(c + 8, _mm256_mul_ps(va, hi));
    } else {
      const __m256 vb = _mm256_set1_ps(beta);
      _mm256_storeu_ps(c, _mm256_fmadd_ps(va, lo, _mm256_mul_ps(vb, _mm256_loadu_ps(c))));
      _mm256_storeu_ps(c + 8, _mm256_fmadd_ps(va, hi, _mm256_mul_ps(vb, _mm256_loadu_ps(c + 8))));
    }
  };
  store(C, c00, c01);
  store(C + ldc, c10, c11);
  store(C + 2 * ldc, c20, c21);
  store(C + 3 * ldc, c30, c31);
  store(C + 4 * ldc, c40, c41);
  store(C + 5 * ldc, c50, c51);
}

}  // namespace gemm_detail
}  // namespace vigil
