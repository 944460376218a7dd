// AVX-512 SVM kernels. Kernel rows (for the solver) run in double, a panel of 16 rows in two
// registers, four panels side by side so eight independent multiply-add chains hide the FMA
// latency; the scoring accumulation runs in float.
#if defined(VIGIL_X86)
#include <immintrin.h>

#include <algorithm>

#include "cpu/simd_math_avx512.h"
#include "cpu/svm_kernel.h"

namespace vigil {
namespace svm_detail {
namespace {

constexpr __mmask8 kAll8 = 0xFF;

// exp(x) in double to ~2 ulp: x = n ln2 + r (ln2 in two parts, n ln2_hi exact), e^r by its
// Taylor series to r^12 (truncation < 2e-16 for |r| <= ln2/2), 2^n applied by vscalefpd, which
// also takes results down through the subnormals to 0.
inline __m512d exp8(__m512d x) {
  x = _mm512_maskz_min_pd(kAll8, _mm512_maskz_max_pd(kAll8, x, _mm512_set1_pd(-746.0)), _mm512_set1_pd(709.0));
  const __m512d n = _mm512_maskz_roundscale_pd(kAll8, _mm512_mul_pd(x, _mm512_set1_pd(1.4426950408889634)),
                                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512d r = _mm512_fnmadd_pd(n, _mm512_set1_pd(6.93147180369123816490e-01), x);
  r = _mm512_fnmadd_pd(n, _mm512_set1_pd(1.90821492927058770002e-10), r);
  static constexpr double kInvFact[13] = {1.0,
                                          1.0,
                                          1.0 / 2,
                                          1.0 / 6,
                                          1.0 / 24,
                                          1.0 / 120,
                                          1.0 / 720,
                                          1.0 / 5040,
                                          1.0 / 40320,
                                          1.0 / 362880,
                                          1.0 / 3628800,
                                          1.0 / 39916800,
                                          1.0 / 479001600};
  __m512d p = _mm512_set1_pd(kInvFact[12]);
  for (int i = 11; i >= 0; --i) p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(kInvFact[i]));
  return _mm512_maskz_scalef_pd(kAll8, p, n);
}

// tanh(y) = sign(y) (1 - e) / (1 + e), e = exp(-2|y|); near 0, where 1 - e would cancel, its odd
// series to y^11 (error < 1e-17 below |y| = 0.03).
inline __m512d tanh8(__m512d y) {
  const __m512d ay = _mm512_abs_pd(y);
  const __m512d e = exp8(_mm512_mul_pd(ay, _mm512_set1_pd(-2.0)));
  const __m512d one = _mm512_set1_pd(1.0);
  const __m512d big = _mm512_div_pd(_mm512_sub_pd(one, e), _mm512_add_pd(one, e));
  const __m512d y2 = _mm512_mul_pd(ay, ay);
  __m512d p = _mm512_set1_pd(-1382.0 / 155925);
  p = _mm512_fmadd_pd(p, y2, _mm512_set1_pd(62.0 / 2835));
  p = _mm512_fmadd_pd(p, y2, _mm512_set1_pd(-17.0 / 315));
  p = _mm512_fmadd_pd(p, y2, _mm512_set1_pd(2.0 / 15));
  p = _mm512_fmadd_pd(p, y2, _mm512_set1_pd(-1.0 / 3));
  const __m512d small = _mm512_fmadd_pd(_mm512_mul_pd(p, y2), ay, ay);
  const __mmask8 useSmall = _mm512_cmp_pd_mask(ay, _mm512_set1_pd(0.03), _CMP_LT_OQ);
  const __m512d t = _mm512_mask_blend_pd(useSmall, big, small);
  // |tanh| with y's sign: 0xF8 = A | (B & C).
  const __m512i sign = _mm512_set1_epi64(static_cast<long long>(0x8000000000000000ull));
  return _mm512_castsi512_pd(
      _mm512_ternarylogic_epi64(_mm512_castpd_si512(t), _mm512_castpd_si512(y), sign, 0xF8));
}

inline __m512d finish(const SvmKernel& k, __m512d v) {
  const __m512d g = _mm512_set1_pd(k.gamma), c0 = _mm512_set1_pd(k.coef0);
  switch (k.type) {
    case SvmKernelType::Linear:
      return v;
    case SvmKernelType::Poly: {
      __m512d tmp = _mm512_fmadd_pd(g, v, c0), ret = _mm512_set1_pd(1.0);
      for (int t = k.degree; t > 0; t /= 2) {
        if (t % 2 == 1) ret = _mm512_mul_pd(ret, tmp);
        tmp = _mm512_mul_pd(tmp, tmp);
      }
      return ret;
    }
    case SvmKernelType::Rbf:
      return exp8(_mm512_mul_pd(_mm512_set1_pd(-k.gamma), v));
    case SvmKernelType::Sigmoid:
      return tanh8(_mm512_fmadd_pd(g, v, c0));
  }
  return v;
}

inline __m512 finish(const SvmKernel& k, __m512 v) {
  const __m512 g = _mm512_set1_ps(static_cast<float>(k.gamma));
  const __m512 c0 = _mm512_set1_ps(static_cast<float>(k.coef0));
  switch (k.type) {
    case SvmKernelType::Linear:
      return v;
    case SvmKernelType::Poly: {
      __m512 tmp = _mm512_fmadd_ps(g, v, c0), ret = _mm512_set1_ps(1.0f);
      for (int t = k.degree; t > 0; t /= 2) {
        if (t % 2 == 1) ret = _mm512_mul_ps(ret, tmp);
        tmp = _mm512_mul_ps(tmp, tmp);
      }
      return ret;
    }
    case SvmKernelType::Rbf:
      return simd::exp512(_mm512_mul_ps(_mm512_set1_ps(static_cast<float>(-k.gamma)), v));
    case SvmKernelType::Sigmoid:
      return simd::tanh512(_mm512_fmadd_ps(g, v, c0));
  }
  return v;
}

// Dot products of x with NP consecutive panels starting at P, in double (float products are
// exact in double, so each lane is libsvm's sequential dot to the bit), lanes 0-7 and 8-15 of
// panel u in acc[2u], acc[2u + 1].
template <int NP>
inline void reduce(const float* x, const float* P, int64_t d, __m512d* acc) {
  for (int u = 0; u < 2 * NP; ++u) acc[u] = _mm512_setzero_pd();
  const int64_t stride = d * kSvmPanel;
  for (int64_t c = 0; c < d; ++c) {
    const __m512d xb = _mm512_set1_pd(x[c]);
    for (int u = 0; u < 2 * NP; ++u) {
      const __m512d v = _mm512_maskz_cvtps_pd(kAll8, _mm256_loadu_ps(P + (u / 2) * stride + c * kSvmPanel + (u % 2) * 8));
      acc[u] = _mm512_fmadd_pd(v, xb, acc[u]);
    }
  }
}

// rbf's squared distance from the dot products, as libsvm: (|x|^2 + |x_j|^2) - 2 x.x_j.
inline __m512d distance(__m512d dot, double xsq, const double* sq) {
  return _mm512_sub_pd(_mm512_add_pd(_mm512_set1_pd(xsq), _mm512_loadu_pd(sq)), _mm512_add_pd(dot, dot));
}

// Panel p's 16 values (two halves) into out (which starts at row `begin`), keeping to rows
// [begin, end).
inline void put(__m256 lo, __m256 hi, int64_t p, int64_t begin, int64_t end, float* out) {
  const int64_t first = p * kSvmPanel;
  if (first >= begin && first + kSvmPanel <= end) {
    _mm256_storeu_ps(out + (first - begin), lo);
    _mm256_storeu_ps(out + (first - begin) + 8, hi);
    return;
  }
  alignas(32) float t[kSvmPanel];
  _mm256_store_ps(t, lo);
  _mm256_store_ps(t + 8, hi);
  for (int64_t j = std::max(begin, first); j < std::min(end, first + kSvmPanel); ++j) out[j - begin] = t[j - first];
}

template <bool kRbf>
void kernelRow(const SvmKernel& k, const float* x, const PanelRows& rows, int64_t begin, int64_t end, float* out) {
  const int64_t d = rows.cols();
  const double xsq = kRbf ? svmDot(x, x, d) : 0.0;
  const int64_t pEnd = (end + kSvmPanel - 1) / kSvmPanel;
  int64_t p = begin / kSvmPanel;
  __m512d acc[8];
  auto emit = [&](int64_t q, __m512d lo, __m512d hi) {
    if (kRbf) {
      lo = distance(lo, xsq, rows.norms(q));
      hi = distance(hi, xsq, rows.norms(q) + 8);
    }
    put(_mm512_maskz_cvtpd_ps(kAll8, finish(k, lo)), _mm512_maskz_cvtpd_ps(kAll8, finish(k, hi)), q, begin, end, out);
  };
  for (; p + 4 <= pEnd; p += 4) {
    reduce<4>(x, rows.panel(p), d, acc);
    for (int u = 0; u < 4; ++u) emit(p + u, acc[2 * u], acc[2 * u + 1]);
  }
  for (; p < pEnd; ++p) {
    reduce<1>(x, rows.panel(p), d, acc);
    emit(p, acc[0], acc[1]);
  }
}

}  // namespace

void kernelRowAvx512(const SvmKernel& k, const float* x, const PanelRows& rows, int64_t begin, int64_t end,
                     float* out) {
  if (k.type == SvmKernelType::Rbf) {
    kernelRow<true>(k, x, rows, begin, end, out);
  } else {
    kernelRow<false>(k, x, rows, begin, end, out);
  }
}

void accumulateAvx512(const SvmKernel& k, int64_t R, int64_t S, const float* C, int64_t ldc, const float* xn,
                      const float* svn, const float* coef, float* acc) {
  const bool rbf = k.type == SvmKernelType::Rbf;
  const __m512 two = _mm512_set1_ps(2.0f), zero = _mm512_setzero_ps();
  for (int64_t r = 0; r < R; ++r) {
    const float* c = C + r * ldc;
    const __m512 xb = _mm512_set1_ps(xn[r]);
    __m512 a = _mm512_loadu_ps(acc + r * kSvmPanel);
    for (int64_t g = 0; g < S; g += kSvmPanel) {
      __m512 v = _mm512_loadu_ps(c + g);
      if (rbf) {
        v = _mm512_maskz_max_ps(simd::kAll16, _mm512_fnmadd_ps(two, v, _mm512_add_ps(xb, _mm512_loadu_ps(svn + g))), zero);
      }
      a = _mm512_fmadd_ps(_mm512_loadu_ps(coef + g), finish(k, v), a);
    }
    _mm512_storeu_ps(acc + r * kSvmPanel, a);
  }
}

}  // namespace svm_detail
}  // namespace vigil
#endif
