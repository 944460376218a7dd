// AVX2 + FMA activations. Tails use masked loads/stores through the same vector code, so an
// element's result does not depend on where a thread's chunk starts.
#include <immintrin.h>

#include "cpu/activation.h"
#include "cpu/simd_math_avx2.h"

namespace vigil {
namespace avx2 {
namespace {

template <typename F>
void map1(int64_t n, const float* x, float* y, F f) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, f(_mm256_loadu_ps(x + i)));
  if (i < n) {
    __m256i m = simd::tailMask(n - i);
    _mm256_maskstore_ps(y + i, m, f(_mm256_maskload_ps(x + i, m)));
  }
}

template <typename F>
void map2(int64_t n, const float* a, const float* b, float* out, F f) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, f(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
  if (i < n) {
    __m256i m = simd::tailMask(n - i);
    _mm256_maskstore_ps(out + i, m, f(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m)));
  }
}

}  // namespace

void activationForward(Activation kind, int64_t n, const float* x, float* y) {
  switch (kind) {
    case Activation::Sigmoid:
      map1(n, x, y, [](__m256 v) { return simd::sigmoid256(v); });
      break;
    case Activation::Tanh:
      map1(n, x, y, [](__m256 v) { return simd::tanh256(v); });
      break;
    case Activation::Relu:
      map1(n, x, y, [](__m256 v) { return _mm256_max_ps(v, _mm256_setzero_ps()); });
      break;
  }
}

void activationBackward(Activation kind, int64_t n, const float* y, const float* dY, float* dX) {
  const __m256 one = _mm256_set1_ps(1.0f);
  switch (kind) {
    case Activation::Sigmoid:
      map2(n, y, dY, dX, [&](__m256 v, __m256 g) { return _mm256_mul_ps(_mm256_mul_ps(g, v), _mm256_sub_ps(one, v)); });
      break;
    case Activation::Tanh:
      map2(n, y, dY, dX, [&](__m256 v, __m256 g) { return _mm256_mul_ps(g, _mm256_fnmadd_ps(v, v, one)); });
      break;
    case Activation::Relu:
      map2(n, y, dY, dX, [&](__m256 v, __m256 g) {
        return _mm256_and_ps(g, _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GT_OQ));
      });
      break;
  }
}

void softmaxRows(int64_t rows, int64_t C, const float* x, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * C;
    float* yr = y + r * C;
    __m256 mv = _mm256_set1_ps(xr[0]);
    int64_t c = 0;
    for (; c + 8 <= C; c += 8) mv = _mm256_max_ps(mv, _mm256_loadu_ps(xr + c));
    float m = simd::hmax256(mv);
    for (; c < C; ++c) m = xr[c] > m ? xr[c] : m;
    __m256 mb = _mm256_set1_ps(m);
    __m256 sv = _mm256_setzero_ps();
    c = 0;
    for (; c + 8 <= C; c += 8) {
      __m256 e = simd::exp256(_mm256_sub_ps(_mm256_loadu_ps(xr + c), mb));
      _mm256_storeu_ps(yr + c, e);
      sv = _mm256_add_ps(sv, e);
    }
    if (c < C) {
      __m256i mask = simd::tailMask(C - c);
      __m256 e = simd::exp256(_mm256_sub_ps(_mm256_maskload_ps(xr + c, mask), mb));
      e = _mm256_and_ps(e, _mm256_castsi256_ps(mask));
      _mm256_maskstore_ps(yr + c, mask, e);
      sv = _mm256_add_ps(sv, e);
    }
    __m256 inv = _mm256_set1_ps(1.0f / simd::hsum256(sv));
    map1(C, yr, yr, [&](__m256 v) { return _mm256_mul_ps(v, inv); });
  }
}

void softmaxBackwardRows(int64_t rows, int64_t C, const float* y, const float* dY, float* dX) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* yr = y + r * C;
    const float* gr = dY + r * C;
    __m256 dv = _mm256_setzero_ps();
    int64_t c = 0;
    for (; c + 8 <= C; c += 8) dv = _mm256_fmadd_ps(_mm256_loadu_ps(gr + c), _mm256_loadu_ps(yr + c), dv);
    if (c < C) {
      __m256i mask = simd::tailMask(C - c);
      dv = _mm256_fmadd_ps(_mm256_maskload_ps(gr + c, mask), _mm256_maskload_ps(yr + c, mask), dv);
    }
    __m256 dot = _mm256_set1_ps(simd::hsum256(dv));
    map2(C, yr, gr, dX + r * C, [&](__m256 v, __m256 g) { return _mm256_mul_ps(v, _mm256_sub_ps(g, dot)); });
  }
}

}  // namespace avx2
}  // namespace vigil
