// Vector exp / sigmoid / tanh for AVX-512 translation units (*_avx512.cc only). Same algorithms
// and accuracy as simd_math_avx2.h (exp ~2e-7 relative; sigmoid, tanh ~3e-7 absolute, ~1e-6
// relative), with two AVX-512 shortcuts: vscalefps puts 2^n in without integer conversion, and
// the reciprocals use vrcp14ps refined by one Newton step (~1 ulp) instead of a division, whose
// throughput would otherwise bound the LSTM cell update.
#pragma once
#if defined(VIGIL_X86)
#include <immintrin.h>

namespace vigil {
namespace simd {

// GCC 12's unmasked forms of a few AVX-512 intrinsics start from _mm512_undefined_ps and trip
// -Wuninitialized; the zero-masked forms with every lane selected are the same instructions.
constexpr __mmask16 kAll16 = 0xFFFF;

inline __m512 exp512(__m512 x) {
  x = _mm512_maskz_min_ps(kAll16, _mm512_maskz_max_ps(kAll16, x, _mm512_set1_ps(-87.3f)), _mm512_set1_ps(88.3f));
  __m512 n = _mm512_maskz_roundscale_ps(kAll16, _mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_maskz_scalef_ps(kAll16, p, n);
}

// 1 / d for d in [1, 2^127]: vrcp14ps (2^-14 relative) plus one Newton step.
inline __m512 recip512(__m512 d) {
  __m512 y = _mm512_maskz_rcp14_ps(kAll16, d);
  __m512 e = _mm512_fnmadd_ps(d, y, _mm512_set1_ps(1.0f));
  return _mm512_fmadd_ps(y, e, y);
}

inline __m512 sigmoid512(__m512 x) {
  __m512 e = exp512(_mm512_sub_ps(_mm512_setzero_ps(), x));
  return recip512(_mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

// tanh(x) = sign(x) (1 - e) / (1 + e), e = exp(-2|x|), with the odd Taylor polynomial to x^9
// below |x| = 0.2 where the subtraction would lose relative accuracy.
inline __m512 tanh512(__m512 x) {
  const __m512i signBit = _mm512_set1_epi32(static_cast<int>(0x80000000u));
  const __m512 one = _mm512_set1_ps(1.0f);
  __m512 ax = _mm512_abs_ps(x);
  __m512 e = exp512(_mm512_mul_ps(ax, _mm512_set1_ps(-2.0f)));
  __m512 big = _mm512_mul_ps(_mm512_sub_ps(one, e), recip512(_mm512_add_ps(one, e)));
  __m512 x2 = _mm512_mul_ps(ax, ax);
  __m512 p = _mm512_set1_ps(62.0f / 2835.0f);
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-17.0f / 315.0f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(2.0f / 15.0f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-1.0f / 3.0f));
  __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(p, x2), ax, ax);
  __mmask16 useSmall = _mm512_cmp_ps_mask(ax, _mm512_set1_ps(0.2f), _CMP_LT_OQ);
  __m512i t = _mm512_castps_si512(_mm512_mask_blend_ps(useSmall, big, small));
  // t | (x & sign): ternary logic 0xF8 = A | (B & C).
  return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(t, _mm512_castps_si512(x), signBit, 0xF8));
}

// Mask of the first n (< 16 or more) lanes.
inline __mmask16 laneMask(int64_t n) {
  return n >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << n) - 1u);
}

}  // namespace simd
}  // namespace vigil
#endif
