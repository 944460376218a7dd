// AVX2/FMA kernels of the recurrent layers: the per-step product with W_hh and the fused
// element-wise cell updates with fast exp-based sigmoid/tanh (relative error ~1e-6).
#if defined(VIGIL_X86)
#include <immintrin.h>

#include <cmath>

#include "cpu/lstm.h"
#include "cpu/simd_math_avx2.h"

namespace vigil {
namespace avx2 {
namespace {

using simd::sigmoid256;
using simd::tanh256;
using simd::tailMask;

// R rows x NV vectors of 8 columns at column j: each element sums k = 0..K-1 in order with FMA,
// whatever R is, so a row's result does not depend on which rows share its group.
template <int R, int NV>
inline void productBlock(int64_t j, int64_t K, int64_t N, const float* const* a, const float* w,
                         const float* const* init, float* const* out) {
  __m256 acc[R][NV];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v)
      acc[r][v] = (init && init[r]) ? _mm256_loadu_ps(init[r] + j + 8 * v) : _mm256_setzero_ps();
  for (int64_t k = 0; k < K; ++k) {
    __m256 wv[NV];
    for (int v = 0; v < NV; ++v) wv[v] = _mm256_loadu_ps(w + k * N + j + 8 * v);
    for (int r = 0; r < R; ++r) {
      __m256 av = _mm256_broadcast_ss(a[r] + k);
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_fmadd_ps(av, wv[v], acc[r][v]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v) _mm256_storeu_ps(out[r] + j + 8 * v, acc[r][v]);
}

template <int R>
void productRows(int64_t K, int64_t N, const float* const* a, const float* w, const float* const* init,
                 float* const* out) {
  int64_t j = 0;
  for (; j + 16 <= N; j += 16) productBlock<R, 2>(j, K, N, a, w, init, out);
  for (; j + 8 <= N; j += 8) productBlock<R, 1>(j, K, N, a, w, init, out);
  for (; j < N; ++j) {
    for (int r = 0; r < R; ++r) {
      float acc = (init && init[r]) ? init[r][j] : 0.0f;
      for (int64_t k = 0; k < K; ++k) acc = std::fma(a[r][k], w[k * N + j], acc);
      out[r][j] = acc;
    }
  }
}

}  // namespace

void recurrentProduct(int64_t n, int64_t K, int64_t N, const float* const* a, const float* w,
                      const float* const* init, float* const* out) {
  int64_t r = 0;
  for (; r + 4 <= n; r += 4) productRows<4>(K, N, a + r, w, init ? init + r : nullptr, out + r);
  const float* const* ini = init ? init + r : nullptr;
  switch (n - r) {
    case 3: productRows<3>(K, N, a + r, w, ini, out + r); break;
    case 2: productRows<2>(K, N, a + r, w, ini, out + r); break;
    case 1: productRows<1>(K, N, a + r, w, ini, out + r); break;
    default: break;
  }
}

void lstmCellForward(int64_t H, float* z, float* c, float* h) {
  for (int64_t j = 0; j < H; j += 8) {
    const __m256i m = tailMask(H - j < 8 ? H - j : 8);
    __m256 i = sigmoid256(_mm256_maskload_ps(z + j, m));
    __m256 f = sigmoid256(_mm256_maskload_ps(z + H + j, m));
    __m256 g = tanh256(_mm256_maskload_ps(z + 2 * H + j, m));
    __m256 o = sigmoid256(_mm256_maskload_ps(z + 3 * H + j, m));
    __m256 cn = _mm256_fmadd_ps(f, _mm256_maskload_ps(c + j, m), _mm256_mul_ps(i, g));
    _mm256_maskstore_ps(z + j, m, i);
    _mm256_maskstore_ps(z + H + j, m, f);
    _mm256_maskstore_ps(z + 2 * H + j, m, g);
    _mm256_maskstore_ps(z + 3 * H + j, m, o);
    _mm256_maskstore_ps(c + j, m, cn);
    _mm256_maskstore_ps(h + j, m, _mm256_mul_ps(o, tanh256(cn)));
  }
}

void lstmCellBackward(int64_t H, const float* gates, const float* cPrev, const float* c, const float* dh, float* dc,
                      float* dz) {
  const __m256 one = _mm256_set1_ps(1.0f);
  for (int64_t j = 0; j < H; j += 8) {
    const __m256i m = tailMask(H - j < 8 ? H - j : 8);
    __m256 i = _mm256_maskload_ps(gates + j, m);
    __m256 f = _mm256_maskload_ps(gates + H + j, m);
    __m256 g = _mm256_maskload_ps(gates + 2 * H + j, m);
    __m256 o = _mm256_maskload_ps(gates + 3 * H + j, m);
    __m256 tc = tanh256(_mm256_maskload_ps(c + j, m));
    __m256 dhv = _mm256_maskload_ps(dh + j, m);
    __m256 dcv = _mm256_fmadd_ps(_mm256_mul_ps(dhv, o), _mm256_fnmadd_ps(tc, tc, one), _mm256_maskload_ps(dc + j, m));
    _mm256_maskstore_ps(dz + j, m, _mm256_mul_ps(_mm256_mul_ps(dcv, g), _mm256_mul_ps(i, _mm256_sub_ps(one, i))));
    _mm256_maskstore_ps(dz + H + j, m,
                        _mm256_mul_ps(_mm256_mul_ps(dcv, _mm256_maskload_ps(cPrev + j, m)),
                                      _mm256_mul_ps(f, _mm256_sub_ps(one, f))));
    _mm256_maskstore_ps(dz + 2 * H + j, m, _mm256_mul_ps(_mm256_mul_ps(dcv, i), _mm256_fnmadd_ps(g, g, one)));
    _mm256_maskstore_ps(dz + 3 * H + j, m, _mm256_mul_ps(_mm256_mul_ps(dhv, tc), _mm256_mul_ps(o, _mm256_sub_ps(one, o))));
    _mm256_maskstore_ps(dc + j, m, _mm256_mul_ps(dcv, f));
  }
}

void tanhInPlace(int64_t n, float* v) {
  for (int64_t j = 0; j < n; j += 8) {
    const __m256i m = tailMask(n - j < 8 ? n - j : 8);
    _mm256_maskstore_ps(v + j, m, tanh256(_mm256_maskload_ps(v + j, m)));
  }
}

}  // namespace avx2
}  // namespace vigil
#endif
