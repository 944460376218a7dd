// AVX2 + FMA SVM kernels. Kernel rows (for the solver) run in double, a panel of 16 rows in four
// registers, two panels side by side so eight independent multiply-add chains hide the FMA
// latency; the scoring accumulation runs in float.
#if defined(VIGIL_X86)
#include <immintrin.h>

#include <algorithm>

#include "cpu/simd_math_avx2.h"
#include "cpu/svm_kernel.h"

namespace vigil {
namespace svm_detail {
namespace {

// exp(x) in double to ~2 ulp (see svm_kernel_avx512.cc's exp8); 2^n is built in the exponent
// field, so x is clamped at -708 where n reaches the smallest normal exponent (the callers round
// to float, where anything below e^-104 is 0 anyway).
inline __m256d exp4(__m256d x) {
  x = _mm256_min_pd(_mm256_max_pd(x, _mm256_set1_pd(-708.0)), _mm256_set1_pd(709.0));
  const __m256d n = _mm256_round_pd(_mm256_mul_pd(x, _mm256_set1_pd(1.4426950408889634)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256d r = _mm256_fnmadd_pd(n, _mm256_set1_pd(6.93147180369123816490e-01), x);
  r = _mm256_fnmadd_pd(n, _mm256_set1_pd(1.90821492927058770002e-10), r);
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
  __m256d p = _mm256_set1_pd(kInvFact[12]);
  for (int i = 11; i >= 0; --i) p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(kInvFact[i]));
  const __m256i e = _mm256_slli_epi64(
      _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_cvtpd_epi32(n)), _mm256_set1_epi64x(1023)), 52);
  return _mm256_mul_pd(p, _mm256_castsi256_pd(e));
}

// tanh as svm_kernel_avx512.cc's tanh8.
inline __m256d tanh4(__m256d y) {
  const __m256d signMask = _mm256_set1_pd(-0.0);
  const __m256d one = _mm256_set1_pd(1.0);
  const __m256d ay = _mm256_andnot_pd(signMask, y);
  const __m256d e = exp4(_mm256_mul_pd(ay, _mm256_set1_pd(-2.0)));
  const __m256d big = _mm256_div_pd(_mm256_sub_pd(one, e), _mm256_add_pd(one, e));
  const __m256d y2 = _mm256_mul_pd(ay, ay);
  __m256d p = _mm256_set1_pd(-1382.0 / 155925);
  p = _mm256_fmadd_pd(p, y2, _mm256_set1_pd(62.0 / 2835));
  p = _mm256_fmadd_pd(p, y2, _mm256_set1_pd(-17.0 / 315));
  p = _mm256_fmadd_pd(p, y2, _mm256_set1_pd(2.0 / 15));
  p = _mm256_fmadd_pd(p, y2, _mm256_set1_pd(-1.0 / 3));
  const __m256d small = _mm256_fmadd_pd(_mm256_mul_pd(p, y2), ay, ay);
  const __m256d t = _mm256_blendv_pd(big, small, _mm256_cmp_pd(ay, _mm256_set1_pd(0.03), _CMP_LT_OQ));
  return _mm256_or_pd(t, _mm256_and_pd(y, signMask));
}

inline __m256d finish(const SvmKernel& k, __m256d v) {
  const __m256d g = _mm256_set1_pd(k.gamma), c0 = _mm256_set1_pd(k.coef0);
  switch (k.type) {
    case SvmKernelType::Linear:
      return v;
    case SvmKernelType::Poly: {
      __m256d tmp = _mm256_fmadd_pd(g, v, c0), ret = _mm256_set1_pd(1.0);
      for (int t = k.degree; t > 0; t /= 2) {
        if (t % 2 == 1) ret = _mm256_mul_pd(ret, tmp);
        tmp = _mm256_mul_pd(tmp, tmp);
      }
      return ret;
    }
    case SvmKernelType::Rbf:
      return exp4(_mm256_mul_pd(_mm256_set1_pd(-k.gamma), v));
    case SvmKernelType::Sigmoid:
      return tanh4(_mm256_fmadd_pd(g, v, c0));
  }
  return v;
}

inline __m256 finish(const SvmKernel& k, __m256 v) {
  const __m256 g = _mm256_set1_ps(static_cast<float>(k.gamma));
  const __m256 c0 = _mm256_set1_ps(static_cast<float>(k.coef0));
  switch (k.type) {
    case SvmKernelType::Linear:
      return v;
    case SvmKernelType::Poly: {
      __m256 tmp = _mm256_fmadd_ps(g, v, c0), ret = _mm256_set1_ps(1.0f);
      for (int t = k.degree; t > 0; t /= 2) {
        if (t % 2 == 1) ret = _mm256_mul_ps(ret, tmp);
        tmp = _mm256_mul_ps(tmp, tmp);
      }
      return ret;
    }
    case SvmKernelType::Rbf:
      return simd::exp256(_mm256_mul_ps(_mm256_set1_ps(static_cast<float>(-k.gamma)), v));
    case SvmKernelType::Sigmoid:
      return simd::tanh256(_mm256_fmadd_ps(g, v, c0));
  }
  return v;
}

// Dot products of x with NP consecutive panels in double (each lane libsvm's sequential dot to
// the bit), quarter q of panel u in acc[4u + q].
template <int NP>
inline void reduce(const float* x, const float* P, int64_t d, __m256d* acc) {
  for (int u = 0; u < 4 * NP; ++u) acc[u] = _mm256_setzero_pd();
  const int64_t stride = d * kSvmPanel;
  for (int64_t c = 0; c < d; ++c) {
    const __m256d xb = _mm256_set1_pd(x[c]);
    for (int u = 0; u < 4 * NP; ++u) {
      const __m256d v = _mm256_cvtps_pd(_mm_loadu_ps(P + (u / 4) * stride + c * kSvmPanel + (u % 4) * 4));
      acc[u] = _mm256_fmadd_pd(v, xb, acc[u]);
    }
  }
}

inline void put(const __m128* q, int64_t p, int64_t begin, int64_t end, float* out) {
  const int64_t first = p * kSvmPanel;
  if (first >= begin && first + kSvmPanel <= end) {
    for (int h = 0; h < 4; ++h) _mm_storeu_ps(out + (first - begin) + 4 * h, q[h]);
    return;
  }
  alignas(16) float t[kSvmPanel];
  for (int h = 0; h < 4; ++h) _mm_store_ps(t + 4 * h, q[h]);
  for (int64_t j = std::max(begin, first); j < std::min(end, first + kSvmPanel); ++j) out[j - begin] = t[j - first];
}

template <bool kRbf>
void kernelRow(const SvmKernel& k, const float* x, const PanelRows& rows, int64_t begin, int64_t end, float* out) {
  const int64_t d = rows.cols();
  const double xsq = kRbf ? svmDot(x, x, d) : 0.0;
  const int64_t pEnd = (end + kSvmPanel - 1) / kSvmPanel;
  int64_t p = begin / kSvmPanel;
  __m256d acc[8];
  auto emit = [&](int64_t q, const __m256d* a) {
    __m128 f[4];
    for (int h = 0; h < 4; ++h) {
      __m256d v = a[h];
      // (|x|^2 + |x_j|^2) - 2 x.x_j, as libsvm
      if (kRbf) v = _mm256_sub_pd(_mm256_add_pd(_mm256_set1_pd(xsq), _mm256_loadu_pd(rows.norms(q) + 4 * h)), _mm256_add_pd(v, v));
      f[h] = _mm256_cvtpd_ps(finish(k, v));
    }
    put(f, q, begin, end, out);
  };
  for (; p + 2 <= pEnd; p += 2) {
    reduce<2>(x, rows.panel(p), d, acc);
    emit(p, acc);
    emit(p + 1, acc + 4);
  }
  for (; p < pEnd; ++p) {
    reduce<1>(x, rows.panel(p), d, acc);
    emit(p, acc);
  }
}

}  // namespace

void kernelRowAvx2(const SvmKernel& k, const float* x, const PanelRows& rows, int64_t begin, int64_t end, float* out) {
  if (k.type == SvmKernelType::Rbf) {
    kernelRow<true>(k, x, rows, begin, end, out);
  } else {
    kernelRow<false>(k, x, rows, begin, end, out);
  }
}

void accumulateAvx2(const SvmKernel& k, int64_t R, int64_t S, const float* C, int64_t ldc, const float* xn,
                    const float* svn, const float* coef, float* acc) {
  const bool rbf = k.type == SvmKernelType::Rbf;
  const __m256 two = _mm256_set1_ps(2.0f), zero = _mm256_setzero_ps();
  for (int64_t r = 0; r < R; ++r) {
    const float* c = C + r * ldc;
    const __m256 xb = _mm256_set1_ps(xn[r]);
    __m256 a[2] = {_mm256_loadu_ps(acc + r * kSvmPanel), _mm256_loadu_ps(acc + r * kSvmPanel + 8)};
    for (int64_t g = 0; g < S; g += kSvmPanel) {
      for (int h = 0; h < 2; ++h) {
        const int64_t j = g + 8 * h;
        __m256 v = _mm256_loadu_ps(c + j);
        if (rbf) v = _mm256_max_ps(_mm256_fnmadd_ps(two, v, _mm256_add_ps(xb, _mm256_loadu_ps(svn + j))), zero);
        a[h] = _mm256_fmadd_ps(_mm256_loadu_ps(coef + j), finish(k, v), a[h]);
      }
    }
    _mm256_storeu_ps(acc + r * kSvmPanel, a[0]);
    _mm256_storeu_ps(acc + r * kSvmPanel + 8, a[1]);
  }
}

}  // namespace svm_detail
}  // namespace vigil
#endif
