// Vector exp / sigmoid / tanh for AVX2 + FMA translation units (*_avx2.cc only: the functions
// use AVX2 intrinsics, which baseline files must not). Accuracy: ~2e-7 relative for exp over the
// float range, sigmoid and tanh within ~3e-7 absolute and ~1e-6 relative.
#pragma once
#if defined(VIGIL_X86)
#include <immintrin.h>

namespace vigil {
namespace simd {

// x - n ln2, with ln2 split in two so n * ln2_hi is exact: |result| <= ln2/2 for n = round(x / ln2).
inline __m256 reduceLn2(__m256 x, __m256 n) {
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  return _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
}

// Cephes' minimax coefficients: e^r = 1 + r + r^2 * expPoly(r) for |r| <= ln2/2 (~1 ulp).
inline __m256 expPoly(__m256 r) {
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  return _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
}

// exp(x), Cephes-style: x = n ln2 + r with |r| <= ln2/2 (ln2 split in two so n * ln2_hi is
// exact), exp(r) by a degree-7 minimax polynomial (~1 ulp), 2^n put into the exponent bits.
// Inputs are clamped to [-87.3, 88.3] so n stays in [-126, 127]: large negative x gives ~1e-38
// instead of 0 and large positive x stays finite, so callers (sigmoid, softmax after subtracting
// the max) need no special cases.
inline __m256 exp256(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
  __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = reduceLn2(x, n);
  __m256 p = expPoly(r);
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

// 1 / (1 + exp(-x)): exp's clamping keeps this finite and in [0, 1] for every x.
inline __m256 sigmoid256(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  __m256 e = exp256(_mm256_sub_ps(_mm256_setzero_ps(), x));
  return _mm256_div_ps(one, _mm256_add_ps(one, e));
}

// tanh(x) = sign(x) (1 - e) / (1 + e), e = exp(-2|x|); below |x| = 0.2 the subtraction would
// lose relative accuracy, so an odd Taylor polynomial to x^9 is used there (error < 1e-9).
inline __m256 tanh256(__m256 x) {
  const __m256 signMask = _mm256_set1_ps(-0.0f);
  const __m256 one = _mm256_set1_ps(1.0f);
  __m256 ax = _mm256_andnot_ps(signMask, x);
  __m256 e = exp256(_mm256_mul_ps(ax, _mm256_set1_ps(-2.0f)));
  __m256 big = _mm256_div_ps(_mm256_sub_ps(one, e), _mm256_add_ps(one, e));
  __m256 x2 = _mm256_mul_ps(ax, ax);
  __m256 p = _mm256_set1_ps(62.0f / 2835.0f);
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-17.0f / 315.0f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(2.0f / 15.0f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-1.0f / 3.0f));
  __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, x2), ax, ax);
  __m256 useSmall = _mm256_cmp_ps(ax, _mm256_set1_ps(0.2f), _CMP_LT_OQ);
  __m256 t = _mm256_blendv_ps(big, small, useSmall);
  return _mm256_or_ps(t, _mm256_and_ps(x, signMask));
}

// Variants for the LSTM cell kernels, whose throughput the activations bound: the same results
// to within ~2 ulp, cheaper. exp: the rounding of x·log2(e) to n comes from adding 1.5·2^23 + 127
// (the sum's low mantissa bits are then n + 127, the exponent field of 2^n once shifted), which
// replaces round, convert and add. Reciprocals: vrcpps (12 bits) + one Newton step, off the
// divider, whose throughput would otherwise bound the cell update.
namespace cell {

inline __m256 exp256(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
  const __m256 magic = _mm256_set1_ps(12583039.0f);  // 1.5·2^23 + 127
  __m256 t = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), magic);
  __m256 n = _mm256_sub_ps(t, magic);
  __m256 r = reduceLn2(x, n);
  __m256 p = expPoly(r);
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  __m256i e = _mm256_slli_epi32(_mm256_castps_si256(t), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

// 1 / d for d in [1, 2^127) (vrcpps flushes results below 2^-126 to 0).
inline __m256 recip256(__m256 d) {
  __m256 y = _mm256_rcp_ps(d);
  return _mm256_fmadd_ps(y, _mm256_fnmadd_ps(d, y, _mm256_set1_ps(1.0f)), y);
}

inline __m256 sigmoid256(__m256 x) {
  return recip256(_mm256_add_ps(_mm256_set1_ps(1.0f), exp256(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

// tanh(|x|) = -m / (2 + m) with m = e^y - 1, y = -2|x|, and m computed without cancellation as
// 2^n (e^r - 1) + (2^n - 1) (2^n - 1 is exact for n >= -24): the relative accuracy near 0 that
// simd::tanh256 gets from a second, polynomial branch comes with no branch to blend.
inline __m256 tanh256(__m256 x) {
  const __m256 signMask = _mm256_set1_ps(-0.0f);
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 magic = _mm256_set1_ps(12583039.0f);
  __m256 y = _mm256_max_ps(_mm256_mul_ps(_mm256_andnot_ps(signMask, x), _mm256_set1_ps(-2.0f)),
                           _mm256_set1_ps(-87.3f));
  __m256 t = _mm256_fmadd_ps(y, _mm256_set1_ps(1.44269504088896341f), magic);
  __m256 n = _mm256_sub_ps(t, magic);
  __m256 r = reduceLn2(y, n);
  __m256 p = expPoly(r);
  __m256 em1r = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r);  // e^r - 1
  __m256 s = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(t), 23));
  __m256 m = _mm256_fmadd_ps(s, em1r, _mm256_sub_ps(s, one));
  __m256 negTanh = _mm256_mul_ps(m, recip256(_mm256_add_ps(m, _mm256_set1_ps(2.0f))));
  // negTanh = -tanh(|x|) = tanh(x) for x < 0; flip the sign where x's sign bit is clear.
  return _mm256_xor_ps(negTanh, _mm256_andnot_ps(x, signMask));
}

}  // namespace cell

// Sum of the 8 lanes in a fixed order.
inline float hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

inline float hmax256(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

// Loads/stores of the last n < 8 elements of a row.
inline __m256i tailMask(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

}  // namespace simd
}  // namespace vigil
#endif
