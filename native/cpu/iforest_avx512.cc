// Isolation-forest scoring with AVX-512 gathers: 16 rows per vector walk a tree together, up to
// four vectors interleaved so their gather chains overlap. Each row still adds its trees' leaf
// values in tree order, in double, so the bits equal the portable path's.
#if defined(VIGIL_X86)
#include <immintrin.h>

#include <algorithm>

// GCC 12 warns inside its own intrinsic headers (_mm512_undefined_* operands of the gathers).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "cpu/iforest.h"

namespace vigil {
namespace avx512 {
namespace {

// The split features and thresholds of one tree level for 16 lanes of node indices. Levels of up to
// 64 nodes are looked up in registers (permutes); deeper ones are gathered.
struct Level {
  int depth;
  int64_t first;  // index of the level's first node: 2^depth - 1
  __m512i f[4];
  __m512 t[4];

  Level(const int32_t* F, const float* T, int d) : depth(d), first((int64_t(1) << d) - 1) {
    if (d > 6) return;
    const int64_t n = int64_t(1) << d;
    for (int64_t k = 0; k < (n + 15) / 16; ++k) {
      const int64_t at = 16 * k;
      // Masked loads never read past the level: the last tree's levels end its arrays.
      const __mmask16 m = at >= n ? 0 : static_cast<__mmask16>(n - at >= 16 ? 0xFFFF : (1u << (n - at)) - 1);
      f[k] = _mm512_maskz_loadu_epi32(m, F + first + at);
      t[k] = _mm512_maskz_loadu_ps(m, T + first + at);
    }
  }

  void lookup(__m512i node, const int32_t* F, const float* T, __m512i* fi, __m512* ti) const {
    if (depth > 6) {
      *fi = _mm512_i32gather_epi32(node, F, 4);
      *ti = _mm512_i32gather_ps(node, T, 4);
      return;
    }
    const __m512i i = _mm512_sub_epi32(node, _mm512_set1_epi32(static_cast<int>(first)));
    if (depth <= 4) {
      *fi = _mm512_permutexvar_epi32(i, f[0]);
      *ti = _mm512_permutexvar_ps(i, t[0]);
    } else if (depth == 5) {
      *fi = _mm512_permutex2var_epi32(f[0], i, f[1]);
      *ti = _mm512_permutex2var_ps(t[0], i, t[1]);
    } else {
      const __mmask16 upper = _mm512_test_epi32_mask(i, _mm512_set1_epi32(32));
      *fi = _mm512_mask_blend_epi32(upper, _mm512_permutex2var_epi32(f[0], i, f[1]), _mm512_permutex2var_epi32(f[2], i, f[3]));
      *ti = _mm512_mask_blend_ps(upper, _mm512_permutex2var_ps(t[0], i, t[1]), _mm512_permutex2var_ps(t[2], i, t[3]));
    }
  }
};

template <int G>
void walk(const iforest::Forest& f, const float* x, int64_t cols, double* sum) {
  const int64_t inner = f.inner();
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i one = _mm512_set1_epi32(1);
  const __m512i innerV = _mm512_set1_epi32(static_cast<int>(inner));
  __m512i off[G], node[G];
  __m512d lo[G], hi[G];
  for (int g = 0; g < G; ++g) {
    off[g] = _mm512_mullo_epi32(_mm512_add_epi32(lane, _mm512_set1_epi32(16 * g)), _mm512_set1_epi32(static_cast<int>(cols)));
    lo[g] = hi[g] = _mm512_setzero_pd();
  }
  for (int64_t t = 0; t < f.trees; ++t) {
    const int32_t* F = f.feature + t * inner;
    const float* T = f.threshold + t * inner;
    const float* L = f.leafValue + t * (inner + 1);
    const __m512i rootF = _mm512_set1_epi32(F[0]);
    const __m512 rootT = _mm512_set1_ps(T[0]);
    for (int g = 0; g < G; ++g) {
      const __m512 v = _mm512_i32gather_ps(_mm512_add_epi32(off[g], rootF), x, 4);
      node[g] = _mm512_mask_add_epi32(one, _mm512_cmp_ps_mask(v, rootT, _CMP_GT_OQ), one, one);
    }
    for (int l = 1; l < f.height; ++l) {
      const Level level(F, T, l);
      for (int g = 0; g < G; ++g) {
        __m512i fi;
        __m512 ti;
        level.lookup(node[g], F, T, &fi, &ti);
        const __m512 v = _mm512_i32gather_ps(_mm512_add_epi32(off[g], fi), x, 4);
        const __m512i next = _mm512_add_epi32(_mm512_add_epi32(node[g], node[g]), one);
        node[g] = _mm512_mask_add_epi32(next, _mm512_cmp_ps_mask(v, ti, _CMP_GT_OQ), next, one);
      }
    }
    for (int g = 0; g < G; ++g) {
      const __m512 leaf = _mm512_i32gather_ps(_mm512_sub_epi32(node[g], innerV), L, 4);
      lo[g] = _mm512_add_pd(lo[g], _mm512_cvtps_pd(_mm512_castps512_ps256(leaf)));
      hi[g] = _mm512_add_pd(hi[g], _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(leaf), 1))));
    }
  }
  for (int g = 0; g < G; ++g) {
    _mm512_storeu_pd(sum + 16 * g, lo[g]);
    _mm512_storeu_pd(sum + 16 * g + 8, hi[g]);
  }
}

}  // namespace


bool iforestCanScore(int64_t cols) { return cols <= (int64_t(1) << 24); }

void iforestScoreRows(const iforest::Forest& f, const float* x, int64_t rows, int64_t cols, double* sum) {
  const int64_t full = rows / 16;
  switch (full) {
    case 0: break;
    case 1: walk<1>(f, x, cols, sum); break;
    case 2: walk<2>(f, x, cols, sum); break;
    case 3: walk<3>(f, x, cols, sum); break;
    default: walk<4>(f, x, cols, sum); break;
  }
  const int64_t done = std::min<int64_t>(full, 4) * 16;
  if (done < rows) iforest::scoreRowsPortable(f, x + done * cols, rows - done, cols, sum + done);
}
}  // namespace avx512
}  // namespace vigil
#endif
