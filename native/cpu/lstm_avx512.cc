// AVX-512 kernels of the recurrent layers.
//
// The LSTM forward step is one fused kernel: W_hh is packed (recurrent::packGatePanels) into
// panels of 16 hidden units whose 64 columns are the i, f, g, o gates of those units, so an R-row x 4-vector accumulator tile
// holds every pre-activation that a (row, 16 units) cell update needs. The update runs on the
// registers: the gate pre-activations never go to memory (the training cache gets the activated
// gates only when asked), and a 16-unit panel (H x 64 floats, 16 KiB at H = 64) stays in L1
// while all rows stream past it.
#if defined(VIGIL_X86)
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/lstm.h"
#include "cpu/simd_math_avx512.h"

namespace vigil {
namespace avx512 {
namespace {

using simd::laneMask;
using simd::sigmoid512;
using simd::tanh512;

// Rows of one tile: 6 x 4 accumulators leave registers for the 4 panel vectors and a broadcast.
constexpr int kTileRows = 6;

// Rows [0, R) of `rows`, units [j, j + 16) (lanes beyond H masked off).
template <int R>
inline void gateTile(int64_t H, int64_t j, const float* panel, const LstmStepRows& rows) {
  const __mmask16 m = laneMask(H - j);
  __m512 acc[R][4];
  for (int r = 0; r < R; ++r)
    for (int g = 0; g < 4; ++g) acc[r][g] = _mm512_maskz_loadu_ps(m, rows.init[r] + g * H + j);
  const float* hIn[R];
  for (int r = 0; r < R; ++r) hIn[r] = rows.hIn[r];
  // Every element sums k = 0..H-1 in order from its init, whatever rows share the tile, so a
  // row's result does not depend on R or the thread split.
  for (int64_t k = 0; k < H; ++k) {
    const float* wk = panel + k * 4 * kGateWidth;
    __m512 w0 = _mm512_loadu_ps(wk), w1 = _mm512_loadu_ps(wk + 16);
    __m512 w2 = _mm512_loadu_ps(wk + 32), w3 = _mm512_loadu_ps(wk + 48);
    for (int r = 0; r < R; ++r) {
      __m512 hv = _mm512_set1_ps(hIn[r][k]);
      acc[r][0] = _mm512_fmadd_ps(hv, w0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(hv, w1, acc[r][1]);
      acc[r][2] = _mm512_fmadd_ps(hv, w2, acc[r][2]);
      acc[r][3] = _mm512_fmadd_ps(hv, w3, acc[r][3]);
    }
  }
  for (int r = 0; r < R; ++r) {
    __m512 i = sigmoid512(acc[r][0]);
    __m512 f = sigmoid512(acc[r][1]);
    __m512 g = tanh512(acc[r][2]);
    __m512 o = sigmoid512(acc[r][3]);
    float* c = rows.c[r] + j;
    __m512 cn = _mm512_fmadd_ps(f, _mm512_maskz_loadu_ps(m, c), _mm512_mul_ps(i, g));
    _mm512_mask_storeu_ps(c, m, cn);
    _mm512_mask_storeu_ps(rows.hOut[r] + j, m, _mm512_mul_ps(o, tanh512(cn)));
    if (rows.gates) {
      float* z = rows.gates[r] + j;
      _mm512_mask_storeu_ps(z, m, i);
      _mm512_mask_storeu_ps(z + H, m, f);
      _mm512_mask_storeu_ps(z + 2 * H, m, g);
      _mm512_mask_storeu_ps(z + 3 * H, m, o);
    }
  }
}

LstmStepRows offsetRows(const LstmStepRows& a, int64_t r) {
  return {a.hIn + r, a.init + r, a.c + r, a.hOut + r, a.gates ? a.gates + r : nullptr};
}

// R rows x NV vectors of 16 columns at column j, the last vector masked by `tail` when Masked.
// A masked load inside the k loop makes GCC 12 keep the accumulators in memory (storing all of
// them back at every k, ~2.3x slower), so full-width blocks use the unmasked form.
template <int R, int NV, bool Masked>
inline void productBlock(int64_t j, int64_t K, int64_t N, __mmask16 tail, const float* const* a, const float* w,
                         const float* const* init, float* const* out) {
  const float* ar[R];
  for (int r = 0; r < R; ++r) ar[r] = a[r];
  __m512 acc[R][NV];
  for (int r = 0; r < R; ++r) {
    const float* ir = init ? init[r] : nullptr;
    for (int v = 0; v < NV - 1; ++v) acc[r][v] = ir ? _mm512_loadu_ps(ir + j + 16 * v) : _mm512_setzero_ps();
    acc[r][NV - 1] = ir ? _mm512_maskz_loadu_ps(tail, ir + j + 16 * (NV - 1)) : _mm512_setzero_ps();
  }
  const float* wj = w + j;
  for (int64_t k = 0; k < K; ++k) {
    __m512 wv[NV];
    for (int v = 0; v < NV - 1; ++v) wv[v] = _mm512_loadu_ps(wj + 16 * v);
    wv[NV - 1] = Masked ? _mm512_maskz_loadu_ps(tail, wj + 16 * (NV - 1)) : _mm512_loadu_ps(wj + 16 * (NV - 1));
    wj += N;
    for (int r = 0; r < R; ++r) {
      __m512 av = _mm512_set1_ps(ar[r][k]);
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(av, wv[v], acc[r][v]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int v = 0; v < NV - 1; ++v) _mm512_storeu_ps(out[r] + j + 16 * v, acc[r][v]);
    _mm512_mask_storeu_ps(out[r] + j + 16 * (NV - 1), tail, acc[r][NV - 1]);
  }
}

template <int R>
void productRows(int64_t K, int64_t N, const float* const* a, const float* w, const float* const* init,
                 float* const* out) {
  int64_t j = 0;
  for (; j + 64 <= N; j += 64) productBlock<R, 4, false>(j, K, N, 0xFFFF, a, w, init, out);
  // The remaining < 64 columns as 1..4 vectors, the last one masked.
  const int64_t rest = N - j;
  if (rest == 0) return;
  const int nv = static_cast<int>((rest + 15) / 16);
  const __mmask16 tail = laneMask(rest - 16 * (nv - 1));
  switch (nv) {
    case 4: productBlock<R, 4, true>(j, K, N, tail, a, w, init, out); break;
    case 3: productBlock<R, 3, true>(j, K, N, tail, a, w, init, out); break;
    case 2: productBlock<R, 2, true>(j, K, N, tail, a, w, init, out); break;
    default: productBlock<R, 1, true>(j, K, N, tail, a, w, init, out); break;
  }
}

// C[m0 + r][j + 16v ...] over rows [k0, k1) of A [.., lda] (columns m0..m0+R) and Bm [.., ldb]:
// resumes from C (or starts from beta·C, or 0, when first) and adds the rows in order.
template <int R, int NV, bool Masked>
inline void weightTile(int64_t k0, int64_t k1, int64_t m0, int64_t j, __mmask16 tail, const float* A, int64_t lda,
                       const float* Bm, int64_t ldb, float* C, int64_t ldc, bool first, float beta) {
  __m512 acc[R][NV];
  const __m512 bv = _mm512_set1_ps(beta);
  for (int r = 0; r < R; ++r) {
    float* c = C + (m0 + r) * ldc + j;
    for (int v = 0; v < NV; ++v) {
      const __mmask16 m = (Masked && v == NV - 1) ? tail : static_cast<__mmask16>(0xFFFF);
      __m512 old = _mm512_maskz_loadu_ps(m, c + 16 * v);
      acc[r][v] = !first ? old : (beta == 0.0f ? _mm512_setzero_ps() : _mm512_mul_ps(bv, old));
    }
  }
  const float* a = A + k0 * lda + m0;
  const float* b = Bm + k0 * ldb + j;
  for (int64_t k = k0; k < k1; ++k, a += lda, b += ldb) {
    __m512 wv[NV];
    for (int v = 0; v < NV - 1; ++v) wv[v] = _mm512_loadu_ps(b + 16 * v);
    wv[NV - 1] = Masked ? _mm512_maskz_loadu_ps(tail, b + 16 * (NV - 1)) : _mm512_loadu_ps(b + 16 * (NV - 1));
    for (int r = 0; r < R; ++r) {
      __m512 av = _mm512_set1_ps(a[r]);
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(av, wv[v], acc[r][v]);
    }
  }
  for (int r = 0; r < R; ++r) {
    float* c = C + (m0 + r) * ldc + j;
    for (int v = 0; v < NV - 1; ++v) _mm512_storeu_ps(c + 16 * v, acc[r][v]);
    if (Masked) _mm512_mask_storeu_ps(c + 16 * (NV - 1), tail, acc[r][NV - 1]);
    else _mm512_storeu_ps(c + 16 * (NV - 1), acc[r][NV - 1]);
  }
}

template <int R>
void weightRows(int64_t k0, int64_t k1, int64_t m0, int64_t N, const float* A, int64_t lda, const float* Bm,
                int64_t ldb, float* C, bool first, float beta) {
  int64_t j = 0;
  for (; j + 64 <= N; j += 64) weightTile<R, 4, false>(k0, k1, m0, j, 0xFFFF, A, lda, Bm, ldb, C, N, first, beta);
  const int64_t rest = N - j;
  if (rest == 0) return;
  const int nv = static_cast<int>((rest + 15) / 16);
  const __mmask16 tail = laneMask(rest - 16 * (nv - 1));
  switch (nv) {
    case 4: weightTile<R, 4, true>(k0, k1, m0, j, tail, A, lda, Bm, ldb, C, N, first, beta); break;
    case 3: weightTile<R, 3, true>(k0, k1, m0, j, tail, A, lda, Bm, ldb, C, N, first, beta); break;
    case 2: weightTile<R, 2, true>(k0, k1, m0, j, tail, A, lda, Bm, ldb, C, N, first, beta); break;
    default: weightTile<R, 1, true>(k0, k1, m0, j, tail, A, lda, Bm, ldb, C, N, first, beta); break;
  }
}

}  // namespace

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

void lstmStep(int64_t n, int64_t H, const float* panel, const LstmStepRows& rows) {
  const int64_t nb = (H + kGateWidth - 1) / kGateWidth;
  // Panel-major: one 16-unit panel is reused by every row before the next is read.
  for (int64_t q = 0; q < nb; ++q) {
    const float* p = panel + q * H * 4 * kGateWidth;
    const int64_t j = kGateWidth * q;
    int64_t r = 0;
    for (; r + kTileRows <= n; r += kTileRows) gateTile<kTileRows>(H, j, p, offsetRows(rows, r));
    const LstmStepRows rest = offsetRows(rows, r);
    switch (n - r) {
      case 5: gateTile<5>(H, j, p, rest); break;
      case 4: gateTile<4>(H, j, p, rest); break;
      case 3: gateTile<3>(H, j, p, rest); break;
      case 2: gateTile<2>(H, j, p, rest); break;
      case 1: gateTile<1>(H, j, p, rest); break;
      default: break;
    }
  }
}

void recurrentProduct(int64_t n, int64_t K, int64_t N, const float* const* a, const float* w,
                      const float* const* init, float* const* out) {
  // K in slices of kSliceK: a slice of w (kSliceK x N, 16 KiB at N = 64) stays in L1 while every
  // row passes, instead of all of w streaming from L2 once per row tile. Slice s > 0 resumes
  // from the partial sums in out: storing a float32 partial and loading it back is exact, so each
  // element is still init + the k terms added in order, as without slicing.
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

void lstmCellBackward(int64_t H, const float* gates, const float* cPrev, const float* c, const float* dh, float* dc,
                      float* dz) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (int64_t j = 0; j < H; j += 16) {
    const __mmask16 m = laneMask(H - j);
    __m512 i = _mm512_maskz_loadu_ps(m, gates + j);
    __m512 f = _mm512_maskz_loadu_ps(m, gates + H + j);
    __m512 g = _mm512_maskz_loadu_ps(m, gates + 2 * H + j);
    __m512 o = _mm512_maskz_loadu_ps(m, gates + 3 * H + j);
    __m512 tc = tanh512(_mm512_maskz_loadu_ps(m, c + j));
    __m512 dhv = _mm512_maskz_loadu_ps(m, dh + j);
    __m512 dcv = _mm512_fmadd_ps(_mm512_mul_ps(dhv, o), _mm512_fnmadd_ps(tc, tc, one), _mm512_maskz_loadu_ps(m, dc + j));
    _mm512_mask_storeu_ps(dz + j, m, _mm512_mul_ps(_mm512_mul_ps(dcv, g), _mm512_mul_ps(i, _mm512_sub_ps(one, i))));
    _mm512_mask_storeu_ps(dz + H + j, m,
                          _mm512_mul_ps(_mm512_mul_ps(dcv, _mm512_maskz_loadu_ps(m, cPrev + j)),
                                        _mm512_mul_ps(f, _mm512_sub_ps(one, f))));
    _mm512_mask_storeu_ps(dz + 2 * H + j, m, _mm512_mul_ps(_mm512_mul_ps(dcv, i), _mm512_fnmadd_ps(g, g, one)));
    _mm512_mask_storeu_ps(dz + 3 * H + j, m,
                          _mm512_mul_ps(_mm512_mul_ps(dhv, tc), _mm512_mul_ps(o, _mm512_sub_ps(one, o))));
    _mm512_mask_storeu_ps(dc + j, m, _mm512_mul_ps(dcv, f));
  }
}

void maxInto(int64_t n, const float* h, float* m) {
  for (int64_t j = 0; j < n; j += 16) {
    const __mmask16 k = laneMask(n - j);
    const __m512 hv = _mm512_maskz_loadu_ps(k, h + j), mv = _mm512_maskz_loadu_ps(k, m + j);
    // max_ps gives its second operand on ties and whenever either is NaN: the earlier value stays
    // and a NaN already in m sticks; a NaN in h is then put in explicitly.
    __m512 r = _mm512_maskz_max_ps(k, hv, mv);  // maskz: GCC 12 warns on the unmasked form
    r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(hv, hv, _CMP_UNORD_Q), hv);
    _mm512_mask_storeu_ps(m + j, k, r);
  }
}

}  // namespace avx512
}  // namespace vigil
#endif
