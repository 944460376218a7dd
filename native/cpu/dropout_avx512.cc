// Dropout with Philox on 16 counters at once (see dropout_avx2.cc): one iteration yields the 64
// draws of 16 consecutive blocks, transposed into index order with two rounds of permutex2var.
// Bits equal the portable philox4x32 (cpu/philox.h).
#if defined(VIGIL_X86)
#include <immintrin.h>

// GCC 12 warns inside its own intrinsic headers (_mm512_undefined_* operands of srli/mul_epu32).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "cpu/dropout.h"
#include "cpu/philox_avx512.h"

namespace vigil {
namespace avx512 {
void dropoutRange(int64_t b, int64_t e, uint32_t threshold, float scale, uint64_t seed, uint64_t stream,
                  const float* x, float* y, float* mask) {
  constexpr int64_t kSpan = 64;  // 16 blocks of 4
  const int64_t v0 = (b + kSpan - 1) / kSpan * kSpan;
  if (v0 >= e) return dropout::rangePortable(b, e, threshold, scale, seed, stream, x, y, mask);
  dropout::rangePortable(b, v0, threshold, scale, seed, stream, x, y, mask);
  const int64_t v1 = e / kSpan * kSpan;
  const __m512i thr = _mm512_set1_epi32(static_cast<int>(threshold));
  const __m512 sc = _mm512_set1_ps(scale);
  // Interleaves of 32-bit lanes (a0 b0 a1 b1 ...), then of 64-bit pairs (ab0 cd0 ab1 cd1 ...).
  const __m512i pairLo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i pairHi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const __m512i quadLo = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11);
  const __m512i quadHi = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
  for (int64_t i = v0; i < v1; i += kSpan) {
    __m512i v[4];
    philox16(static_cast<uint64_t>(i) >> 2, seed, stream, v);
    __m512 f[4];
    for (int j = 0; j < 4; ++j) {
      const __mmask16 keep = _mm512_cmpge_epu32_mask(_mm512_srli_epi32(v[j], 8), thr);
      f[j] = _mm512_maskz_mov_ps(keep, sc);
    }
    const __m512 ab0 = _mm512_permutex2var_ps(f[0], pairLo, f[1]), ab1 = _mm512_permutex2var_ps(f[0], pairHi, f[1]);
    const __m512 cd0 = _mm512_permutex2var_ps(f[2], pairLo, f[3]), cd1 = _mm512_permutex2var_ps(f[2], pairHi, f[3]);
    const __m512d a0 = _mm512_castps_pd(ab0), a1 = _mm512_castps_pd(ab1);
    const __m512d c0 = _mm512_castps_pd(cd0), c1 = _mm512_castps_pd(cd1);
    const __m512 o[4] = {_mm512_castpd_ps(_mm512_permutex2var_pd(a0, quadLo, c0)),
                         _mm512_castpd_ps(_mm512_permutex2var_pd(a0, quadHi, c0)),
                         _mm512_castpd_ps(_mm512_permutex2var_pd(a1, quadLo, c1)),
                         _mm512_castpd_ps(_mm512_permutex2var_pd(a1, quadHi, c1))};
    for (int q = 0; q < 4; ++q) {
      _mm512_storeu_ps(y + i + 16 * q, _mm512_mul_ps(_mm512_loadu_ps(x + i + 16 * q), o[q]));
      if (mask != nullptr) _mm512_storeu_ps(mask + i + 16 * q, o[q]);
    }
  }
  dropout::rangePortable(v1, e, threshold, scale, seed, stream, x, y, mask);
}

}  // namespace avx512
}  // namespace vigil
#endif
