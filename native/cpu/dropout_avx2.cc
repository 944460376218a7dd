// Dropout with Philox on 8 counters at once: lane k of the four state vectors is block (first + k)
// of the stream, so one iteration yields the 32 draws of indices [4·first, 4·first + 32), transposed
// into index order for the multiply. The 32 x 32 -> 64-bit products come from _mm256_mul_epu32 on
// the even and (shifted) odd lanes. Bits equal the portable philox4x32 (cpu/philox.h).
#if defined(VIGIL_X86)
#include <immintrin.h>

#include "cpu/dropout.h"
#include "cpu/philox_avx2.h"

namespace vigil {
namespace avx2 {
void dropoutRange(int64_t b, int64_t e, uint32_t threshold, float scale, uint64_t seed, uint64_t stream,
                  const float* x, float* y, float* mask) {
  constexpr int64_t kSpan = 32;  // indices per iteration: 8 blocks of 4
  int64_t v0 = (b + kSpan - 1) / kSpan * kSpan;
  if (v0 >= e) return dropout::rangePortable(b, e, threshold, scale, seed, stream, x, y, mask);
  dropout::rangePortable(b, v0, threshold, scale, seed, stream, x, y, mask);
  const int64_t v1 = e / kSpan * kSpan;
  // (draw >> 8) >= threshold as a signed compare: both sides are below 2^24 + 1.
  const __m256i below = _mm256_set1_epi32(static_cast<int>(threshold) - 1);
  const __m256 sc = _mm256_set1_ps(scale);
  for (int64_t i = v0; i < v1; i += kSpan) {
    __m256i v[4];
    philox8(static_cast<uint64_t>(i) >> 2, seed, stream, v);
    __m256 f[4];
    for (int j = 0; j < 4; ++j)
      f[j] = _mm256_and_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_srli_epi32(v[j], 8), below)), sc);
    // f[j] lane k is the factor of index i + 4k + j: transpose the 4 x 8 into index order.
    const __m256 t0 = _mm256_unpacklo_ps(f[0], f[1]), t1 = _mm256_unpackhi_ps(f[0], f[1]);
    const __m256 t2 = _mm256_unpacklo_ps(f[2], f[3]), t3 = _mm256_unpackhi_ps(f[2], f[3]);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 o[4] = {_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u2, u3, 0x20),
                         _mm256_permute2f128_ps(u0, u1, 0x31), _mm256_permute2f128_ps(u2, u3, 0x31)};
    for (int q = 0; q < 4; ++q) {
      _mm256_storeu_ps(y + i + 8 * q, _mm256_mul_ps(_mm256_loadu_ps(x + i + 8 * q), o[q]));
      if (mask != nullptr) _mm256_storeu_ps(mask + i + 8 * q, o[q]);
    }
  }
  dropout::rangePortable(v1, e, threshold, scale, seed, stream, x, y, mask);
}

}  // namespace avx2
}  // namespace vigil
#endif
