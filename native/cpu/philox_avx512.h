// Philox4x32-10 on 16 counters at once (AVX-512): lane k of the four state vectors is block
// first + k of a stream. Included only by *_avx512.cc files; the kernels that draw random numbers
// (dropout masks, RBM Gibbs samples) share it. Bits equal cpu/philox.h.
#pragma once
#if defined(VIGIL_X86)
#include <immintrin.h>

#include <cstdint>

namespace vigil {
namespace avx512 {

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

}  // namespace avx512
}  // namespace vigil
#endif
