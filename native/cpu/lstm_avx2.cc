// AVX2/FMA kernels of the recurrent layers, laid out as the AVX-512 ones (lstm_avx512.cc) at
// half the vector width: the fused LSTM step on W_hh panels of 8 units (i, f, g, o side by side,
// 32 columns), the K-sliced recurrent product, the row-ordered Aᵀ·B of the weight gradients and
// the element-wise cell kernels with fast exp-based sigmoid/tanh (relative error ~1e-6).
// With 16 ymm registers a tile holds 12 accumulators: 3 rows x 4 gates in the step, 6 rows x 2
// vectors in the products (plus 2 right-hand vectors and a broadcast).
#if defined(VIGIL_X86)
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/lstm.h"
#include "cpu/simd_math_avx2.h"

namespace vigil {
namespace avx2 {
namespace {

namespace cell = simd::cell;
using simd::tailMask;

constexpr int kTileRows = 3;

// Rows [0, R) of `rows`, units [j, j + 8); Tail: only the first H - j < 8 units exist.
template <int R, bool Tail>
inline void gateTile(int64_t H, int64_t j, const float* panel, const LstmStepRows& rows) {
  const __m256i m = tailMask(Tail ? H - j : 8);
  __m256 acc[R][4];
  for (int r = 0; r < R; ++r)
    for (int g = 0; g < 4; ++g) {
      const float* src = rows.init[r] + g * H + j;
      acc[r][g] = Tail ? _mm256_maskload_ps(src, m) : _mm256_loadu_ps(src);
    }
  const float* hIn[R];
  for (int r = 0; r < R; ++r) hIn[r] = rows.hIn[r];
  // Every element sums k = 0..H-1 in order from its init, whatever rows share the tile, so a
  // row's result does not depend on R or the thread split. Gate-major inside k: 12 accumulators,
  // R broadcasts and one panel vector at a time fit the 16 registers (4 panel vectors would not).
  const float* wk = panel;
  for (int64_t k = 0; k < H; ++k, wk += 4 * kGateWidth) {
    __m256 hv[R];
    for (int r = 0; r < R; ++r) hv[r] = _mm256_broadcast_ss(hIn[r] + k);
    for (int g = 0; g < 4; ++g) {
      const __m256 wv = _mm256_loadu_ps(wk + 8 * g);
      for (int r = 0; r < R; ++r) acc[r][g] = _mm256_fmadd_ps(hv[r], wv, acc[r][g]);
    }
  }
  // Unrolled so that acc[r] has constant indices everywhere: a rolled loop here makes GCC keep
  // acc in memory and store all 12 accumulators back at every k.
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    __m256 i = cell::sigmoid256(acc[r][0]);
    __m256 f = cell::sigmoid256(acc[r][1]);
    __m256 g = cell::tanh256(acc[r][2]);
    __m256 o = cell::sigmoid256(acc[r][3]);
    float* c = rows.c[r] + j;
    float* h = rows.hOut[r] + j;
    __m256 cn = _mm256_fmadd_ps(f, Tail ? _mm256_maskload_ps(c, m) : _mm256_loadu_ps(c), _mm256_mul_ps(i, g));
    __m256 hn = _mm256_mul_ps(o, cell::tanh256(cn));
    float* z = rows.gates ? rows.gates[r] + j : nullptr;
    if (Tail) {
      _mm256_maskstore_ps(c, m, cn);
      _mm256_maskstore_ps(h, m, hn);
      if (z) {
        _mm256_maskstore_ps(z, m, i);
        _mm256_maskstore_ps(z + H, m, f);
        _mm256_maskstore_ps(z + 2 * H, m, g);
        _mm256_maskstore_ps(z + 3 * H, m, o);
      }
    } else {
      _mm256_storeu_ps(c, cn);
      _mm256_storeu_ps(h, hn);
      if (z) {
        _mm256_storeu_ps(z, i);
        _mm256_storeu_ps(z + H, f);
        _mm256_storeu_ps(z + 2 * H, g);
        _mm256_storeu_ps(z + 3 * H, o);
      }
    }
  }
}

LstmStepRows offsetRows(const LstmStepRows& a, int64_t r) {
  return {a.hIn + r, a.init + r, a.c + r, a.hOut + r, a.gates ? a.gates + r : nullptr};
}

template <bool Tail>
void stepPanel(int64_t n, int64_t H, int64_t j, const float* p, const LstmStepRows& rows) {
  int64_t r = 0;
  for (; r + kTileRows <= n; r += kTileRows) gateTile<kTileRows, Tail>(H, j, p, offsetRows(rows, r));
  const LstmStepRows rest = offsetRows(rows, r);
  switch (n - r) {
    case 2: gateTile<2, Tail>(H, j, p, rest); break;
    case 1: gateTile<1, Tail>(H, j, p, rest); break;
    default: break;
  }
}

// R rows x NV vectors of 8 columns at column j, the last vector masked by `tail` when Masked:
// each element sums k = 0..K-1 in order with FMA from its init, whatever R is, so a row's result
// does not depend on which rows share its group. The row loops outside k are unrolled (pragma)
// for the reason given in gateTile.
template <int R, int NV, bool Masked>
inline void productBlock(int64_t j, int64_t K, int64_t N, __m256i tail, const float* const* a, const float* w,
                         const float* const* init, float* const* out) {
  const float* ar[R];
  for (int r = 0; r < R; ++r) ar[r] = a[r];
  __m256 acc[R][NV];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    const float* ir = init ? init[r] : nullptr;
    for (int v = 0; v < NV; ++v) {
      if (!ir) {
        acc[r][v] = _mm256_setzero_ps();
        continue;
      }
      const float* src = ir + j + 8 * v;
      acc[r][v] = Masked && v == NV - 1 ? _mm256_maskload_ps(src, tail) : _mm256_loadu_ps(src);
    }
  }
  const float* wj = w + j;
  for (int64_t k = 0; k < K; ++k, wj += N) {
    __m256 wv[NV];
    for (int v = 0; v < NV; ++v)
      wv[v] = Masked && v == NV - 1 ? _mm256_maskload_ps(wj + 8 * v, tail) : _mm256_loadu_ps(wj + 8 * v);
    for (int r = 0; r < R; ++r) {
      const __m256 av = _mm256_broadcast_ss(ar[r] + k);
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_fmadd_ps(av, wv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v) {
      float* dst = out[r] + j + 8 * v;
      if (Masked && v == NV - 1) _mm256_maskstore_ps(dst, tail, acc[r][v]);
      else _mm256_storeu_ps(dst, acc[r][v]);
    }
}

template <int R>
void productRows(int64_t K, int64_t N, const float* const* a, const float* w, const float* const* init,
                 float* const* out) {
  const __m256i all = _mm256_set1_epi32(-1);
  int64_t j = 0;
  for (; j + 16 <= N; j += 16) productBlock<R, 2, false>(j, K, N, all, a, w, init, out);
  const int64_t rest = N - j;
  if (rest > 8) productBlock<R, 2, true>(j, K, N, tailMask(rest - 8), a, w, init, out);
  else if (rest > 0) productBlock<R, 1, true>(j, K, N, tailMask(rest), a, w, init, out);
}

// C[m0 + r][j + 8v ...] over rows [k0, k1) of A [.., lda] (columns m0..m0+R) and Bm [.., ldb]:
// resumes from C (or starts from beta·C, or 0, when first) and adds the rows in order.
template <int R, int NV, bool Masked>
inline void weightTile(int64_t k0, int64_t k1, int64_t m0, int64_t j, __m256i tail, const float* A, int64_t lda,
                       const float* Bm, int64_t ldb, float* C, int64_t ldc, bool first, float beta) {
  __m256 acc[R][NV];
  const __m256 bv = _mm256_set1_ps(beta);
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    float* c = C + (m0 + r) * ldc + j;
    for (int v = 0; v < NV; ++v) {
      __m256 old = Masked && v == NV - 1 ? _mm256_maskload_ps(c + 8 * v, tail) : _mm256_loadu_ps(c + 8 * v);
      acc[r][v] = !first ? old : (beta == 0.0f ? _mm256_setzero_ps() : _mm256_mul_ps(bv, old));
    }
  }
  const float* a = A + k0 * lda + m0;
  const float* b = Bm + k0 * ldb + j;
  for (int64_t k = k0; k < k1; ++k, a += lda, b += ldb) {
    __m256 wv[NV];
    for (int v = 0; v < NV; ++v)
      wv[v] = Masked && v == NV - 1 ? _mm256_maskload_ps(b + 8 * v, tail) : _mm256_loadu_ps(b + 8 * v);
    for (int r = 0; r < R; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r);
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_fmadd_ps(av, wv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    float* c = C + (m0 + r) * ldc + j;
    for (int v = 0; v < NV; ++v) {
      if (Masked && v == NV - 1) _mm256_maskstore_ps(c + 8 * v, tail, acc[r][v]);
      else _mm256_storeu_ps(c + 8 * v, acc[r][v]);
    }
  }
}

template <int R>
void weightRows(int64_t k0, int64_t k1, int64_t m0, int64_t N, const float* A, int64_t lda, const float* Bm,
                int64_t ldb, float* C, bool first, float beta) {
  const __m256i all = _mm256_set1_epi32(-1);
  int64_t j = 0;
  for (; j + 16 <= N; j += 16) weightTile<R, 2, false>(k0, k1, m0, j, all, A, lda, Bm, ldb, C, N, first, beta);
  const int64_t rest = N - j;
  if (rest > 8) weightTile<R, 2, true>(k0, k1, m0, j, tailMask(rest - 8), A, lda, Bm, ldb, C, N, first, beta);
  else if (rest > 0) weightTile<R, 1, true>(k0, k1, m0, j, tailMask(rest), A, lda, Bm, ldb, C, N, first, beta);
}

}  // namespace

void lstmStep(int64_t n, int64_t H, const float* panel, const LstmStepRows& rows) {
  // Panel-major: one 8-unit panel (8 KiB at H = 64) is reused by every row before the next is read.
  const int64_t full = H / kGateWidth;
  for (int64_t q = 0; q < full; ++q) stepPanel<false>(n, H, kGateWidth * q, panel + q * H * 4 * kGateWidth, rows);
  if (H % kGateWidth) stepPanel<true>(n, H, kGateWidth * full, panel + full * H * 4 * kGateWidth, rows);
}

void recurrentProduct(int64_t n, int64_t K, int64_t N, const float* const* a, const float* w,
                      const float* const* init, float* const* out) {
  // K in slices, as avx512::recurrentProduct: a slice of w (kSliceK x N) stays in L1 while every
  // row passes, and slice s > 0 resumes exactly from the float32 partial sums in out.
  constexpr int64_t kSliceK = 64;
  const float* const* outAsInit = const_cast<const float* const*>(out);
  std::vector<const float*> aSlice(n);
  for (int64_t k0 = 0; k0 < K; k0 += kSliceK) {
    const int64_t kn = std::min(kSliceK, K - k0);
    for (int64_t r = 0; r < n; ++r) aSlice[r] = a[r] + k0;
    const float* const* as = aSlice.data();
    const float* ws = w + k0 * N;
    const float* const* in = k0 == 0 ? init : outAsInit;
    int64_t r = 0;
    for (; r + 6 <= n; r += 6) productRows<6>(kn, N, as + r, ws, in ? in + r : nullptr, out + r);
    const float* const* ini = in ? in + r : nullptr;
    switch (n - r) {
      case 5: productRows<5>(kn, N, as + r, ws, ini, out + r); break;
      case 4: productRows<4>(kn, N, as + r, ws, ini, out + r); break;
      case 3: productRows<3>(kn, N, as + r, ws, ini, out + r); break;
      case 2: productRows<2>(kn, N, as + r, ws, ini, out + r); break;
      case 1: productRows<1>(kn, N, as + r, ws, ini, out + r); break;
      default: break;
    }
  }
}

void productOverRows(int64_t rows, int64_t m0, int64_t m1, int64_t N, const float* A, int64_t lda, const float* Bm,
                     int64_t ldb, float beta, float* C) {
  // Rows in blocks: a block of Bm (kBlock x N) stays in L1 while every tile of C passes over it.
  constexpr int64_t kBlock = 64;
  if (rows == 0) {
    for (int64_t m = m0; m < m1; ++m)
      for (int64_t j = 0; j < N; ++j) C[m * N + j] = beta == 0.0f ? 0.0f : beta * C[m * N + j];
    return;
  }
  for (int64_t k0 = 0; k0 < rows; k0 += kBlock) {
    const int64_t k1 = std::min(rows, k0 + kBlock);
    const bool first = k0 == 0;
    int64_t m = m0;
    for (; m + 6 <= m1; m += 6) weightRows<6>(k0, k1, m, N, A, lda, Bm, ldb, C, first, beta);
    switch (m1 - m) {
      case 5: weightRows<5>(k0, k1, m, N, A, lda, Bm, ldb, C, first, beta); break;
      case 4: weightRows<4>(k0, k1, m, N, A, lda, Bm, ldb, C, first, beta); break;
      case 3: weightRows<3>(k0, k1, m, N, A, lda, Bm, ldb, C, first, beta); break;
      case 2: weightRows<2>(k0, k1, m, N, A, lda, Bm, ldb, C, first, beta); break;
      case 1: weightRows<1>(k0, k1, m, N, A, lda, Bm, ldb, C, first, beta); break;
      default: break;
    }
  }
}

// tanh(c) as the fused step computed it for h (simd::cell).
void lstmCellBackward(int64_t H, const float* gates, const float* cPrev, const float* c, const float* dh, float* dc,
                      float* dz) {
  const __m256 one = _mm256_set1_ps(1.0f);
  for (int64_t j = 0; j < H; j += 8) {
    const __m256i m = tailMask(H - j < 8 ? H - j : 8);
    __m256 i = _mm256_maskload_ps(gates + j, m);
    __m256 f = _mm256_maskload_ps(gates + H + j, m);
    __m256 g = _mm256_maskload_ps(gates + 2 * H + j, m);
    __m256 o = _mm256_maskload_ps(gates + 3 * H + j, m);
    __m256 tc = cell::tanh256(_mm256_maskload_ps(c + j, m));
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
    _mm256_maskstore_ps(v + j, m, simd::tanh256(_mm256_maskload_ps(v + j, m)));
  }
}

void maxInto(int64_t n, const float* h, float* m) {
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 hv = _mm256_loadu_ps(h + j), mv = _mm256_loadu_ps(m + j);
    // As avx512::maxInto: max_ps keeps m on ties and NaNs, then a NaN in h is put in explicitly.
    const __m256 r = _mm256_max_ps(hv, mv);
    _mm256_storeu_ps(m + j, _mm256_blendv_ps(r, hv, _mm256_cmp_ps(hv, hv, _CMP_UNORD_Q)));
  }
  for (; j < n; ++j)
    if (m[j] == m[j] && (h[j] > m[j] || h[j] != h[j])) m[j] = h[j];
}

}  // namespace avx2
}  // namespace vigil
#endif
