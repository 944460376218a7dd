// The AVX2 + FMA register tile of the direct convolution (6 output steps x 16 channels, see
// conv1d.h): 12 accumulators, 2 weight vectors and a broadcast fill 15 of the 16 ymm registers.
// Compiled with -mavx2 -mfma; called only when useAvx2() is true.
#if defined(VIGIL_X86)
#include <immintrin.h>

#include "cpu/conv1d.h"

namespace vigil {
namespace conv1d_detail {

void tileAvx2(const Tile& t) {
  constexpr int kMR = 6;
  __m256 lo[kMR], hi[kMR];
  const __m256 init0 = _mm256_loadu_ps(t.init), init1 = _mm256_loadu_ps(t.init + 8);
#pragma GCC unroll 6
  for (int i = 0; i < kMR; ++i) {
    lo[i] = init0;
    hi[i] = init1;
  }
  const int64_t cin = t.cin, ldw = t.ldw;
  for (int64_t tap = 0; tap < t.taps; ++tap) {
    const float* x = t.x[tap];
    const float* w = t.w[tap];
    for (int64_t c = 0; c < cin; ++c, ++x, w += ldw) {
      const __m256 w0 = _mm256_loadu_ps(w), w1 = _mm256_loadu_ps(w + 8);
#pragma GCC unroll 6
      for (int i = 0; i < kMR; ++i) {
        const __m256 a = _mm256_broadcast_ss(x + i * cin);
        lo[i] = _mm256_fmadd_ps(a, w0, lo[i]);
        hi[i] = _mm256_fmadd_ps(a, w1, hi[i]);
      }
    }
  }
  if (t.relu) {
    const __m256 zero = _mm256_setzero_ps();
#pragma GCC unroll 6
    for (int i = 0; i < kMR; ++i) {
      lo[i] = _mm256_max_ps(lo[i], zero);
      hi[i] = _mm256_max_ps(hi[i], zero);
    }
  }
#pragma GCC unroll 6
  for (int i = 0; i < kMR; ++i) {
    _mm256_storeu_ps(t.y + i * t.ldy, lo[i]);
    _mm256_storeu_ps(t.y + i * t.ldy + 8, hi[i]);
  }
}

// Weight gradient (see gradTileAvx512): dY values broadcast, x rows loaded plainly in a full
// block and under a mask in a short last one.
namespace {
template <bool kMasked>
void gradTile(const GradTile& t) {
  constexpr int kMR = 6;
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(t.cols)), lane);
  const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(t.cols) - 8), lane);
  __m256 lo[kMR], hi[kMR];
#pragma GCC unroll 6
  for (int i = 0; i < kMR; ++i) {
    const bool load = t.accumulate && i < t.rows;
    lo[i] = load ? _mm256_maskload_ps(t.out + i * t.ldo, m0) : _mm256_setzero_ps();
    hi[i] = load ? _mm256_maskload_ps(t.out + i * t.ldo + 8, m1) : _mm256_setzero_ps();
  }
  const float* g = t.g;
  const float* x = t.x;
  for (int64_t s = 0; s < t.n; ++s, g += t.ldg, x += t.ldx) {
    const __m256 x0 = kMasked ? _mm256_maskload_ps(x, m0) : _mm256_loadu_ps(x);
    const __m256 x1 = kMasked ? _mm256_maskload_ps(x + 8, m1) : _mm256_loadu_ps(x + 8);
#pragma GCC unroll 6
    for (int i = 0; i < kMR; ++i) {
      const __m256 a = _mm256_broadcast_ss(g + i);
      lo[i] = _mm256_fmadd_ps(a, x0, lo[i]);
      hi[i] = _mm256_fmadd_ps(a, x1, hi[i]);
    }
  }
#pragma GCC unroll 6
  for (int i = 0; i < kMR; ++i) {
    if (i >= t.rows) break;
    _mm256_maskstore_ps(t.out + i * t.ldo, m0, lo[i]);
    _mm256_maskstore_ps(t.out + i * t.ldo + 8, m1, hi[i]);
  }
}
}  // namespace

void gradTileAvx2(const GradTile& t) { t.cols == 16 ? gradTile<false>(t) : gradTile<true>(t); }

}  // namespace conv1d_detail
}  // namespace vigil
#endif
