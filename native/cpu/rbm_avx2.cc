// Bernoulli sampling for the RBM's Gibbs chain with Philox on 8 counters at once: one iteration
// yields the 32 draws of 8 consecutive blocks, transposed into index order, compared with the
// probabilities as float(draw >> 8) < p * 2^24 (exact on both sides, so the bits equal the
// portable rbm_detail::sampleSpanPortable). The counter-vector generator: cpu/philox_avx2.h.
#if defined(VIGIL_X86)
#include <immintrin.h>

#include "cpu/rbm.h"
#include "cpu/philox_avx2.h"

namespace vigil {
namespace avx2 {
void rbmSampleSpan(int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, const float* p, float* out) {
  constexpr uint64_t kSpan = 32;  // 8 blocks of 4 draws
  const uint64_t end = offset + static_cast<uint64_t>(n);
  const uint64_t g0 = (offset + kSpan - 1) / kSpan * kSpan;
  if (g0 >= end) return rbm_detail::sampleSpanPortable(n, seed, stream, offset, p, out);
  const uint64_t g1 = end / kSpan * kSpan;
  rbm_detail::sampleSpanPortable(static_cast<int64_t>(g0 - offset), seed, stream, offset, p, out);
  const __m256 scale = _mm256_set1_ps(16777216.0f);
  const __m256 one = _mm256_set1_ps(1.0f);
  for (uint64_t g = g0; g < g1; g += kSpan) {
    __m256i v[4];
    philox8(g >> 2, seed, stream, v);
    __m256 u[4];
    for (int j = 0; j < 4; ++j) u[j] = _mm256_cvtepi32_ps(_mm256_srli_epi32(v[j], 8));
    // u[j] lane k is draw g + 4k + j: transpose the 4 x 8 into index order.
    const __m256 t0 = _mm256_unpacklo_ps(u[0], u[1]), t1 = _mm256_unpackhi_ps(u[0], u[1]);
    const __m256 t2 = _mm256_unpacklo_ps(u[2], u[3]), t3 = _mm256_unpackhi_ps(u[2], u[3]);
    const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 o[4] = {_mm256_permute2f128_ps(s0, s1, 0x20), _mm256_permute2f128_ps(s2, s3, 0x20),
                         _mm256_permute2f128_ps(s0, s1, 0x31), _mm256_permute2f128_ps(s2, s3, 0x31)};
    const int64_t i = static_cast<int64_t>(g - offset);
    for (int q = 0; q < 4; ++q) {
      const __m256 lim = _mm256_mul_ps(_mm256_loadu_ps(p + i + 8 * q), scale);
      _mm256_storeu_ps(out + i + 8 * q, _mm256_and_ps(_mm256_cmp_ps(o[q], lim, _CMP_LT_OQ), one));
    }
  }
  const int64_t done = static_cast<int64_t>(g1 - offset);
  rbm_detail::sampleSpanPortable(n - done, seed, stream, g1, p + done, out + done);
}

}  // namespace avx2
}  // namespace vigil
#endif
