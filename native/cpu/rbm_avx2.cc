// Bernoulli sampling for the RBM's Gibbs chain with Philox on 8 counters at once: one iteration
// yields the 32 draws of 8 consecutive blocks, transposed into index order, compared with the
// probabilities as float(draw >> 8) < p * 2^24 (exact on both sides, so the bits equal the
// portable rbm_detail::sampleSpanPortable). The counter-vector generator is dropout_avx2.cc's.
#if defined(VIGIL_X86)
#include <immintrin.h>

#include "cpu/rbm.h"

namespace vigil {
namespace avx2 {
namespace {

inline void mulhilo(__m256i a, __m256i m, __m256i* lo, __m256i* hi) {
  const __m256i even = _mm256_mul_epu32(a, m);
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
  *lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

// Blocks [first, first + 8): v[j] lane k = word j of block first + k.
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
