// AVX-512 kernels of the recurrent layers.
//
// The LSTM forward step is one fused kernel: W_hh is packed into panels of 16 hidden units whose
// 64 columns are the i, f, g, o gates of those units, so an R-row x 4-vector accumulator tile
// holds every pre-activation that a (row, 16 units) cell update needs. The update runs on the
// registers: the gate pre-activations never go to memory (the training cache gets the activated
// gates only when asked), and a 16-unit panel (H x 64 floats, 16 KiB at H = 64) stays in L1
// while all rows stream past it.
#if defined(VIGIL_X86)
#include <immintrin.h>

#include <cmath>

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
    const float* wk = panel + k * 64;
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

// R rows x NV vectors of 16 columns at column j, the last vector masked by `tail`.
template <int R, int NV>
inline void productBlock(int64_t j, int64_t K, int64_t N, __mmask16 tail, const float* const* a, const float* w,
                         const float* const* init, float* const* out) {
  __m512 acc[R][NV];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v) {
      const __mmask16 m = v == NV - 1 ? tail : static_cast<__mmask16>(0xFFFF);
      acc[r][v] = (init && init[r]) ? _mm512_maskz_loadu_ps(m, init[r] + j + 16 * v) : _mm512_setzero_ps();
    }
  for (int64_t k = 0; k < K; ++k) {
    __m512 wv[NV];
    for (int v = 0; v < NV; ++v) {
      const __mmask16 m = v == NV - 1 ? tail : static_cast<__mmask16>(0xFFFF);
      wv[v] = _mm512_maskz_loadu_ps(m, w + k * N + j + 16 * v);
    }
    for (int r = 0; r < R; ++r) {
      __m512 av = _mm512_set1_ps(a[r][k]);
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(av, wv[v], acc[r][v]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v) {
      const __mmask16 m = v == NV - 1 ? tail : static_cast<__mmask16>(0xFFFF);
      _mm512_mask_storeu_ps(out[r] + j + 16 * v, m, acc[r][v]);
    }
}

template <int R>
void productRows(int64_t K, int64_t N, const float* const* a, const float* w, const float* const* init,
                 float* const* out) {
  int64_t j = 0;
  for (; j + 64 <= N; j += 64) productBlock<R, 4>(j, K, N, 0xFFFF, a, w, init, out);
  // The remaining < 64 columns as 1..4 vectors, the last one masked.
  const int64_t rest = N - j;
  if (rest == 0) return;
  const int nv = static_cast<int>((rest + 15) / 16);
  const __mmask16 tail = laneMask(rest - 16 * (nv - 1));
  switch (nv) {
    case 4: productBlock<R, 4>(j, K, N, tail, a, w, init, out); break;
    case 3: productBlock<R, 3>(j, K, N, tail, a, w, init, out); break;
    case 2: productBlock<R, 2>(j, K, N, tail, a, w, init, out); break;
    default: productBlock<R, 1>(j, K, N, tail, a, w, init, out); break;
  }
}

}  // namespace

int64_t gatePanelSize(int64_t H) { return (H + 15) / 16 * H * 64; }

void packGatePanels(int64_t H, const float* wHh, float* panel) {
  const int64_t nb = (H + 15) / 16;
  for (int64_t q = 0; q < nb; ++q)
    for (int64_t k = 0; k < H; ++k)
      for (int64_t g = 0; g < 4; ++g)
        for (int64_t u = 0; u < 16; ++u) {
          const int64_t unit = 16 * q + u;
          panel[(q * H + k) * 64 + g * 16 + u] = unit < H ? wHh[(g * H + unit) * H + k] : 0.0f;
        }
}

void lstmStep(int64_t n, int64_t H, const float* panel, const LstmStepRows& rows) {
  const int64_t nb = (H + 15) / 16;
  // Panel-major: one 16-unit panel is reused by every row before the next is read.
  for (int64_t q = 0; q < nb; ++q) {
    const float* p = panel + q * H * 64;
    const int64_t j = 16 * q;
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
  int64_t r = 0;
  for (; r + 6 <= n; r += 6) productRows<6>(K, N, a + r, w, init ? init + r : nullptr, out + r);
  const float* const* ini = init ? init + r : nullptr;
  switch (n - r) {
    case 5: productRows<5>(K, N, a + r, w, ini, out + r); break;
    case 4: productRows<4>(K, N, a + r, w, ini, out + r); break;
    case 3: productRows<3>(K, N, a + r, w, ini, out + r); break;
    case 2: productRows<2>(K, N, a + r, w, ini, out + r); break;
    case 1: productRows<1>(K, N, a + r, w, ini, out + r); break;
    default: break;
  }
}

}  // namespace avx512
}  // namespace vigil
#endif
