// Bernoulli sampling for the RBM's Gibbs chain with Philox on 16 counters at once: one iteration
// yields the 64 draws of 16 consecutive blocks, brought into index order by two rounds of
// permutex2var, and compares them with the probabilities. Bits equal the portable path
// (rbm_detail::sampleSpanPortable): u < p is tested as float(draw >> 8) < p * 2^24, exact on
// both sides. The counter-vector generator: cpu/philox_avx512.h.
#if defined(VIGIL_X86)
#include <immintrin.h>

// GCC 12 warns inside its own intrinsic headers (_mm512_undefined_* operands of srli/mul_epu32).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "cpu/rbm.h"
#include "cpu/philox_avx512.h"

namespace vigil {
namespace avx512 {
void rbmSampleSpan(int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, const float* p, float* out) {
  constexpr uint64_t kSpan = 64;  // 16 blocks of 4 draws
  // Vector iterations start on whole 64-draw groups of the stream.
  const uint64_t end = offset + static_cast<uint64_t>(n);
  const uint64_t g0 = (offset + kSpan - 1) / kSpan * kSpan;
  if (g0 >= end) return rbm_detail::sampleSpanPortable(n, seed, stream, offset, p, out);
  const uint64_t g1 = end / kSpan * kSpan;
  const int64_t head = static_cast<int64_t>(g0 - offset);
  rbm_detail::sampleSpanPortable(head, seed, stream, offset, p, out);
  const __m512i pairLo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i pairHi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const __m512i quadLo = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11);
  const __m512i quadHi = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
  const __m512 scale = _mm512_set1_ps(16777216.0f);
  const __m512 one = _mm512_set1_ps(1.0f);
  for (uint64_t g = g0; g < g1; g += kSpan) {
    __m512i v[4];
    philox16(g >> 2, seed, stream, v);
    // v[j] lane k is draw g + 4k + j: interleave into index order.
    const __m512i ab0 = _mm512_permutex2var_epi32(v[0], pairLo, v[1]), ab1 = _mm512_permutex2var_epi32(v[0], pairHi, v[1]);
    const __m512i cd0 = _mm512_permutex2var_epi32(v[2], pairLo, v[3]), cd1 = _mm512_permutex2var_epi32(v[2], pairHi, v[3]);
    const __m512i o[4] = {_mm512_permutex2var_epi64(ab0, quadLo, cd0), _mm512_permutex2var_epi64(ab0, quadHi, cd0),
                          _mm512_permutex2var_epi64(ab1, quadLo, cd1), _mm512_permutex2var_epi64(ab1, quadHi, cd1)};
    const int64_t i = static_cast<int64_t>(g - offset);
    for (int q = 0; q < 4; ++q) {
      const __m512 u = _mm512_cvtepi32_ps(_mm512_srli_epi32(o[q], 8));
      const __m512 lim = _mm512_mul_ps(_mm512_loadu_ps(p + i + 16 * q), scale);
      _mm512_storeu_ps(out + i + 16 * q, _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(u, lim, _CMP_LT_OQ), one));
    }
  }
  const int64_t done = static_cast<int64_t>(g1 - offset);
  rbm_detail::sampleSpanPortable(n - done, seed, stream, g1, p + done, out + done);
}

}  // namespace avx512
}  // namespace vigil
#endif
