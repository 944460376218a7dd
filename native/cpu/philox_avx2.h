// Philox4x32-10 on 8 counters at once (AVX2): lane k of the four state vectors is block first + k
// of a stream. Included only by *_avx2.cc files (compiled with -mavx2); the kernels that draw
// random numbers (dropout masks, RBM Gibbs samples) share it. Bits equal cpu/philox.h.
#pragma once
#if defined(VIGIL_X86)
#include <immintrin.h>

#include <cstdint>

namespace vigil {
namespace avx2 {

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

}  // namespace avx2
}  // namespace vigil
#endif
