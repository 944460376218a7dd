// Bernoulli sampling for the RBM's Gibbs chain with Philox on 16 counters at once: one iteration
// yields the 64 draws of 16 consecutive blocks, brought into index order by two rounds of
// permutex2var, and compares them with the probabilities. Bits equal the portable path
// (rbm_detail::sampleSpanPortable): u < p is tested as float(draw >> 8) < p * 2^24, exact on
// both sides. The counter-vector generator: cpu/philox_avx512.h.
// Also the fused bias + sigmoid, the free energy's softplus sums, the reconstruction error and the
// bias gradients' column sums (see rbm_detail in cpu/rbm.h).
#if defined(VIGIL_X86)
#include <immintrin.h>

// GCC 12 warns inside its own intrinsic headers (_mm512_undefined_* operands of srli/mul_epu32).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <initializer_list>

#include "cpu/rbm.h"
#include "cpu/simd_math_avx512.h"
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


namespace {
// softplus(x) = max(x, 0) + 2 atanh(s), s = e / (2 + e), e = exp(-|x|): as rbm_avx2.cc.
inline __m512 softplus512(__m512 x) {
  const __m512 ax = _mm512_abs_ps(x);
  const __m512 e = simd::exp512(_mm512_sub_ps(_mm512_setzero_ps(), ax));
  const __m512 s = _mm512_div_ps(e, _mm512_add_ps(_mm512_set1_ps(2.0f), e));
  const __m512 s2 = _mm512_mul_ps(s, s);
  __m512 p = _mm512_set1_ps(1.0f / 15);
  for (float k : {13.0f, 11.0f, 9.0f, 7.0f, 5.0f, 3.0f, 1.0f}) p = _mm512_fmadd_ps(p, s2, _mm512_set1_ps(1.0f / k));
  return _mm512_add_ps(_mm512_max_ps(x, _mm512_setzero_ps()), _mm512_mul_ps(_mm512_add_ps(s, s), p));
}
}  // namespace

void rbmBiasRows(int64_t n, int64_t width, const float* bias, bool squash, float* A) {
  for (int64_t r = 0; r < n; ++r) {
    float* a = A + r * width;
    for (int64_t j = 0; j < width; j += 16) {
      const __mmask16 m = width - j >= 16 ? simd::kAll16 : static_cast<__mmask16>((1u << (width - j)) - 1);
      __m512 v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, a + j), _mm512_maskz_loadu_ps(m, bias + j));
      if (squash) v = simd::sigmoid512(v);
      _mm512_mask_storeu_ps(a + j, m, v);
    }
  }
}

double rbmSquaredError(int64_t n, const float* x, const float* y) {
  __m512d acc = _mm512_setzero_pd();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m512d d = _mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + i)), _mm512_cvtps_pd(_mm256_loadu_ps(y + i)));
    acc = _mm512_fmadd_pd(d, d, acc);
  }
  alignas(64) double lanes[8];
  _mm512_store_pd(lanes, acc);
  double e = 0;
  for (double v : lanes) e += v;
  return e + rbm_detail::squaredError(n - i, x + i, y + i);
}

void rbmColumnSums(int64_t m, int64_t width, int64_t ld, const float* a, const float* b, double sign, double* sums) {
  const __m512d sg = _mm512_set1_pd(sign);
  int64_t i = 0;
  for (; i + 8 <= width; i += 8) {
    __m512d acc = _mm512_loadu_pd(sums + i);
    for (int64_t r = 0; r < m; ++r) {
      const __m512d bb = _mm512_mul_pd(sg, _mm512_cvtps_pd(_mm256_loadu_ps(b + r * ld + i)));
      acc = _mm512_add_pd(acc, _mm512_add_pd(_mm512_cvtps_pd(_mm256_loadu_ps(a + r * ld + i)), bb));
    }
    _mm512_storeu_pd(sums + i, acc);
  }
  for (; i < width; ++i) {
    for (int64_t r = 0; r < m; ++r) sums[i] += static_cast<double>(a[r * ld + i]) + sign * b[r * ld + i];
  }
}

double rbmSoftplusSum(int64_t H, const float* z, const float* c) {
  __m512 acc = _mm512_setzero_ps();
  int64_t j = 0;
  for (; j + 16 <= H; j += 16) acc = _mm512_add_ps(acc, softplus512(_mm512_add_ps(_mm512_loadu_ps(z + j), _mm512_loadu_ps(c + j))));
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, acc);
  double sum = 0;
  for (float v : lanes) sum += v;
  for (; j < H; ++j) sum += rbm_detail::softplus(z[j] + c[j]);
  return sum;
}

}  // namespace avx512
}  // namespace vigil
#endif
