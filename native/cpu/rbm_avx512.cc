// Bernoulli sampling for the RBM's Gibbs chain with Philox on 16 counters at once: one iteration
// yields the 64 draws of 16 consecutive blocks, brought into index order by two rounds of
// permutex2var, and compares them with the probabilities. Bits equal the portable path
// (rbm_detail::sampleSpanPortable): u < p is tested as float(draw >> 8) < p * 2^24, exact on
// both sides. The counter-vector generator is the same as dropout_avx512.cc's.
#if defined(VIGIL_X86)
#include <immintrin.h>

// GCC 12 warns inside its own intrinsic headers (_mm512_undefined_* operands of srli/mul_epu32).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "cpu/rbm.h"

namespace vigil {
namespace avx512 {
namespace {

inline void mulhilo(__m512i a, __m512i m, __m512i* lo, __m512i* hi) {
  const __m512i even = _mm512_mul_epu32(a, m);
  const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
  *lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
  *hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
}

// Blocks [first, first + 16): v[j] lane k = word j of block first + k.
inline void philox16(uint64_t first, uint64_t seed, uint64_t stream, __m512i v[4]) {
  const __m512i lane = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
  const __m512i blkA = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(first)), lane);
  const __m512i blkB = _mm512_add_epi64(blkA, _mm512_set1_epi64(8));
  // Low and high halves of the 16 64-bit block numbers, as 16 x 32 bits each.
  const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odds = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  __m512i c0 = _mm512_permutex2var_epi32(blkA, evens, blkB);
  __m512i c1 = _mm512_permutex2var_epi32(blkA, odds, blkB);
  __m512i c2 = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(stream)));
  __m512i c3 = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(stream >> 32)));
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(0xD2511F53u));
  const __m512i m1 = _mm512_set1_epi32(static_cast<int>(0xCD9E8D57u));
  for (int r = 0; r < 10; ++r) {
    __m512i lo0, hi0, lo1, hi1;
    mulhilo(c0, m0, &lo0, &hi0);
    mulhilo(c2, m1, &lo1, &hi1);
    // 0x96 = a ^ b ^ c.
    const __m512i n0 = _mm512_ternarylogic_epi32(hi1, c1, _mm512_set1_epi32(static_cast<int>(k0)), 0x96);
    const __m512i n2 = _mm512_ternarylogic_epi32(hi0, c3, _mm512_set1_epi32(static_cast<int>(k1)), 0x96);
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
