// Dropout with Philox on 8 counters at once: lane k of the four state vectors is block (first + k)
// of the stream, so one iteration yields the 32 draws of indices [4·first, 4·first + 32), transposed
// into index order for the multiply. The 32 x 32 -> 64-bit products come from _mm256_mul_epu32 on
// the even and (shifted) odd lanes. Bits equal the portable philox4x32 (cpu/philox.h).
#if defined(VIGIL_X86)
#include <immintrin.h>

#include "cpu/dropout.h"

namespace vigil {
namespace avx2 {
namespace {

inline void mulhilo(__m256i a, __m256i m, __m256i* lo, __m256i* hi) {
  const __m256i even = _mm256_mul_epu32(a, m);
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
  *lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

// Draws of blocks [first, first + 8), as 4 vectors: v[j] lane k = word j of block first + k.
inline void philox8(uint64_t first, uint64_t seed, uint64_t stream, __m256i v[4]) {
  alignas(32) uint32_t lo[8], hi[8];
  for (int k = 0; k < 8; ++k) {
    const uint64_t blk = first + k;
    lo[k] = static_cast<uint32_t>(blk);
    hi[k] = static_cast<uint32_t>(blk >> 32);
  }
  __m256i c0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(lo));
  __m256i c1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(hi));
  __m256i c2 = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(stream)));
  __m256i c3 = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(stream >> 32)));
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(0xD2511F53u));
  const __m256i m1 = _mm256_set1_epi32(static_cast<int>(0xCD9E8D57u));
  for (int r = 0; r < 10; ++r) {
    __m256i lo0, hi0, lo1, hi1;
    mulhilo(c0, m0, &lo0, &hi0);
    mulhilo(c2, m1, &lo1, &hi1);
    const __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(hi1, c1), _mm256_set1_epi32(static_cast<int>(k0)));
    const __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(hi0, c3), _mm256_set1_epi32(static_cast<int>(k1)));
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  v[0] = c0;
  v[1] = c1;
  v[2] = c2;
  v[3] = c3;
}

}  // namespace

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
