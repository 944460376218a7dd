// The RBM's vector paths for AVX2 + FMA:
// - Bernoulli sampling with Philox on 8 counters at once: one iteration yields the 32 draws of 8
//   consecutive blocks, transposed into index order, compared with the probabilities as
//   float(draw >> 8) < p * 2^24 (exact on both sides, so the bits equal the portable
//   rbm_detail::sampleSpanPortable). The counter-vector generator: cpu/philox_avx2.h.
// - The fused bias + sigmoid, the free energy's softplus sums, the reconstruction error and the
//   bias gradients' column sums (see rbm_detail in cpu/rbm.h).
#if defined(VIGIL_X86)
#include <immintrin.h>

#include <initializer_list>

#include "cpu/rbm.h"
#include "cpu/simd_math_avx2.h"
#include "cpu/philox_avx2.h"

namespace vigil {
namespace avx2 {
void rbmSampleSpan(int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, const float* p, float* out) {
  constexpr uint64_t kSpan = 32;  // 8 blocks of 4 draws
  const uint64_t end = offset + static_cast<uint64_t>(n);
  const uint64_t g0 = (offset + kSpan - 1) / kSpan * kSpan;
  if (g0 >= end) return rbm_detail::sampleSpanPortable(n, seed, stream, offset, p, out);
  const uint64_t g1 = end / kSpan * kSpan;
  rbm_detail::sampleSpanPortable(static_cast<int64_t>(g0 - offset), seed, stream, offset, p, out);
  const __m256 scale = _mm256_set1_ps(16777216.0f);
  const __m256 one = _mm256_set1_ps(1.0f);
  for (uint64_t g = g0; g < g1; g += kSpan) {
    __m256i v[4];
    philox8(g >> 2, seed, stream, v);
    __m256 u[4];
    for (int j = 0; j < 4; ++j) u[j] = _mm256_cvtepi32_ps(_mm256_srli_epi32(v[j], 8));
    // u[j] lane k is draw g + 4k + j: transpose the 4 x 8 into index order.
    const __m256 t0 = _mm256_unpacklo_ps(u[0], u[1]), t1 = _mm256_unpackhi_ps(u[0], u[1]);
    const __m256 t2 = _mm256_unpacklo_ps(u[2], u[3]), t3 = _mm256_unpackhi_ps(u[2], u[3]);
    const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 o[4] = {_mm256_permute2f128_ps(s0, s1, 0x20), _mm256_permute2f128_ps(s2, s3, 0x20),
                         _mm256_permute2f128_ps(s0, s1, 0x31), _mm256_permute2f128_ps(s2, s3, 0x31)};
    const int64_t i = static_cast<int64_t>(g - offset);
    for (int q = 0; q < 4; ++q) {
      const __m256 lim = _mm256_mul_ps(_mm256_loadu_ps(p + i + 8 * q), scale);
      _mm256_storeu_ps(out + i + 8 * q, _mm256_and_ps(_mm256_cmp_ps(o[q], lim, _CMP_LT_OQ), one));
    }
  }
  const int64_t done = static_cast<int64_t>(g1 - offset);
  rbm_detail::sampleSpanPortable(n - done, seed, stream, g1, p + done, out + done);
}


namespace {
// softplus(x) = max(x, 0) + log1p(e), e = exp(-|x|) in (0, 1]; log1p(e) = 2 atanh(s) with
// s = e / (2 + e) in (0, 1/3], summed to s^15 (truncation below 4e-9 relative).
inline __m256 softplus256(__m256 x) {
  const __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
  const __m256 e = simd::exp256(_mm256_sub_ps(_mm256_setzero_ps(), ax));
  const __m256 s = _mm256_div_ps(e, _mm256_add_ps(_mm256_set1_ps(2.0f), e));
  const __m256 s2 = _mm256_mul_ps(s, s);
  __m256 p = _mm256_set1_ps(1.0f / 15);
  for (float k : {13.0f, 11.0f, 9.0f, 7.0f, 5.0f, 3.0f, 1.0f}) p = _mm256_fmadd_ps(p, s2, _mm256_set1_ps(1.0f / k));
  return _mm256_add_ps(_mm256_max_ps(x, _mm256_setzero_ps()), _mm256_mul_ps(_mm256_add_ps(s, s), p));
}
}  // namespace

void rbmBiasRows(int64_t n, int64_t width, const float* bias, bool squash, float* A) {
  for (int64_t r = 0; r < n; ++r) {
    float* a = A + r * width;
    int64_t j = 0;
    for (; j + 8 <= width; j += 8) {
      __m256 v = _mm256_add_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(bias + j));
      _mm256_storeu_ps(a + j, squash ? simd::sigmoid256(v) : v);
    }
    for (; j < width; ++j) a[j] = squash ? rbm_detail::sigmoid(a[j] + bias[j]) : a[j] + bias[j];
  }
}

double rbmSquaredError(int64_t n, const float* x, const float* y) {
  __m256d acc = _mm256_setzero_pd();
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m256d d = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + i)), _mm256_cvtps_pd(_mm_loadu_ps(y + i)));
    acc = _mm256_fmadd_pd(d, d, acc);
  }
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, acc);
  double e = 0;
  for (double v : lanes) e += v;
  return e + rbm_detail::squaredError(n - i, x + i, y + i);
}

void rbmColumnSums(int64_t m, int64_t width, int64_t ld, const float* a, const float* b, double sign, double* sums) {
  const __m256d sg = _mm256_set1_pd(sign);
  int64_t i = 0;
  for (; i + 4 <= width; i += 4) {
    __m256d acc = _mm256_loadu_pd(sums + i);
    for (int64_t r = 0; r < m; ++r) {
      const __m256d bb = _mm256_mul_pd(sg, _mm256_cvtps_pd(_mm_loadu_ps(b + r * ld + i)));
      acc = _mm256_add_pd(acc, _mm256_add_pd(_mm256_cvtps_pd(_mm_loadu_ps(a + r * ld + i)), bb));
    }
    _mm256_storeu_pd(sums + i, acc);
  }
  for (; i < width; ++i) {
    for (int64_t r = 0; r < m; ++r) sums[i] += static_cast<double>(a[r * ld + i]) + sign * b[r * ld + i];
  }
}

double rbmSoftplusSum(int64_t H, const float* z, const float* c) {
  __m256 acc = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 8 <= H; j += 8) acc = _mm256_add_ps(acc, softplus256(_mm256_add_ps(_mm256_loadu_ps(z + j), _mm256_loadu_ps(c + j))));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc);
  double sum = 0;
  for (float v : lanes) sum += v;
  for (; j < H; ++j) sum += rbm_detail::softplus(z[j] + c[j]);
  return sum;
}

}  // namespace avx2
}  // namespace vigil
#endif
