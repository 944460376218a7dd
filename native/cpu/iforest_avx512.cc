// Isolation-forest scoring with AVX-512: 16 rows per vector walk a tree together, four vectors
// interleaved. Gathers (about one element per cycle on the machines measured) are what to avoid:
// - the block's rows are transposed, so a node's feature is a contiguous column of 64 rows, and
//   the top levels (up to 8 nodes) load each node's column and pick per lane with blends on the
//   lane's earlier decisions, which are the bits of its node offset;
// - features, thresholds and leaf values of levels of up to 256 nodes are looked up in registers
//   with permutes; only deeper levels (trees grown on over 256 rows) gather them.
// Trees of height up to 8 (the default, maxSamples <= 256) run a walk unrolled at compile time.
// Each row still adds its trees' leaf values in tree order, in double: the bits equal the portable path's.
#if defined(VIGIL_X86)
#include <immintrin.h>

#include <algorithm>
#include <vector>

// GCC 12 warns inside its own intrinsic headers (_mm512_undefined_* operands of the gathers).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "cpu/iforest.h"

namespace vigil {
namespace avx512 {
namespace {

constexpr int64_t kStride = iforest::kBlock;  // floats between two columns of the transposed block
constexpr int kGroups = static_cast<int>(kStride / 16);
// Levels of up to 2^kLoadLevels nodes read their nodes' columns instead of gathering.
constexpr int kLoadLevels = 3;
constexpr int kMaxUnrolledHeight = 8;

// Value k_i of a table of N floats (N a power of two, at most 256) in lane i: permutes within
// pairs of registers, then blends on the higher bits of k.
template <int N>
inline __m512 lookup(const float* table, __m512i k) {
  if constexpr (N <= 16) {
    return _mm512_permutexvar_ps(k, _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << N) - 1), table));
  } else {
    constexpr int kPairs = N / 32;
    __m512 c[kPairs];
    for (int p = 0; p < kPairs; ++p)
      c[p] = _mm512_permutex2var_ps(_mm512_loadu_ps(table + 32 * p), k, _mm512_loadu_ps(table + 32 * p + 16));
    int bit = 5;
    for (int width = kPairs; width > 1; width >>= 1, ++bit) {
      const __mmask16 m = _mm512_test_epi32_mask(k, _mm512_set1_epi32(1 << bit));
      for (int j = 0; j < width / 2; ++j) c[j] = _mm512_mask_blend_ps(m, c[2 * j], c[2 * j + 1]);
    }
    return c[0];
  }
}

inline __m512i childOf(__m512i node, __mmask16 right) {
  const __m512i one = _mm512_set1_epi32(1);
  const __m512i next = _mm512_add_epi32(_mm512_add_epi32(node, node), one);
  return _mm512_mask_add_epi32(next, right, next, one);
}

inline void accumulate(__m512d* acc, __m512 v) {
  acc[0] = _mm512_add_pd(acc[0], _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
  acc[1] = _mm512_add_pd(acc[1], _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))));
}

// One level of the walk for the G vectors: node[g] moves to its child.
template <int G, int L>
inline void step(const int32_t* F, const float* T, const float* xT, __m512i* node, __mmask16 (*decision)[kLoadLevels]) {
  constexpr int kN = 1 << L;
  constexpr int kFirst = kN - 1;
  const __m512i first = _mm512_set1_epi32(kFirst);
  if constexpr (L <= kLoadLevels) {
    const float* col[kN];
    for (int j = 0; j < kN; ++j) col[j] = xT + kStride * F[kFirst + j];
    for (int g = 0; g < G; ++g) {
      __m512 c[kN];
      for (int j = 0; j < kN; ++j) c[j] = _mm512_loadu_ps(col[j] + 16 * g);
      // Bit b of the node offset is the decision taken b + 1 levels up.
      for (int b = 0, width = kN; width > 1; ++b, width >>= 1) {
        const __mmask16 m = decision[g][L - 1 - b];
        for (int j = 0; j < width / 2; ++j) c[j] = _mm512_mask_blend_ps(m, c[2 * j], c[2 * j + 1]);
      }
      const __mmask16 right = _mm512_cmp_ps_mask(c[0], lookup<kN>(T + kFirst, _mm512_sub_epi32(node[g], first)), _CMP_GT_OQ);
      if constexpr (L < kLoadLevels) decision[g][L] = right;
      node[g] = childOf(node[g], right);
    }
  } else {
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const float* Ff = reinterpret_cast<const float*>(F);
    for (int g = 0; g < G; ++g) {
      const __m512i k = _mm512_sub_epi32(node[g], first);
      const __m512i fi = _mm512_castps_si512(lookup<kN>(Ff + kFirst, k));
      const __m512i at = _mm512_add_epi32(_mm512_slli_epi32(fi, 6), _mm512_add_epi32(lane, _mm512_set1_epi32(16 * g)));
      const __mmask16 right = _mm512_cmp_ps_mask(_mm512_i32gather_ps(at, xT, 4), lookup<kN>(T + kFirst, k), _CMP_GT_OQ);
      node[g] = childOf(node[g], right);
    }
  }
}

template <int G, int H, int L = 0>
inline void levels(const int32_t* F, const float* T, const float* xT, __m512i* node, __mmask16 (*decision)[kLoadLevels]) {
  if constexpr (L < H) {
    step<G, L>(F, T, xT, node, decision);
    levels<G, H, L + 1>(F, T, xT, node, decision);
  }
}

// Trees of height H <= 8, every lookup in registers.
template <int G, int H>
void walkUnrolled(const iforest::Forest& f, const float* xT, double* sum) {
  constexpr int64_t kInner = (int64_t(1) << H) - 1;
  const __m512i innerV = _mm512_set1_epi32(static_cast<int>(kInner));
  __m512d acc[2 * G];
  for (int g = 0; g < 2 * G; ++g) acc[g] = _mm512_setzero_pd();
  __mmask16 decision[G][kLoadLevels];
  for (int64_t t = 0; t < f.trees; ++t) {
    const int32_t* F = f.feature + t * kInner;
    const float* T = f.threshold + t * kInner;
    const float* L = f.leafValue + t * (kInner + 1);
    __m512i node[G];
    for (int g = 0; g < G; ++g) node[g] = _mm512_setzero_si512();
    levels<G, H>(F, T, xT, node, decision);
    for (int g = 0; g < G; ++g) accumulate(acc + 2 * g, lookup<kInner + 1>(L, _mm512_sub_epi32(node[g], innerV)));
  }
  for (int g = 0; g < 2 * G; ++g) _mm512_storeu_pd(sum + 8 * g, acc[g]);
}

// Any height: the top levels unrolled, then gathers.
template <int G>
void walkDeep(const iforest::Forest& f, const float* xT, double* sum) {
  const int64_t inner = f.inner();
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i innerV = _mm512_set1_epi32(static_cast<int>(inner));
  __m512d acc[2 * G];
  for (int g = 0; g < 2 * G; ++g) acc[g] = _mm512_setzero_pd();
  __mmask16 decision[G][kLoadLevels];
  for (int64_t t = 0; t < f.trees; ++t) {
    const int32_t* F = f.feature + t * inner;
    const float* T = f.threshold + t * inner;
    const float* L = f.leafValue + t * (inner + 1);
    __m512i node[G];
    for (int g = 0; g < G; ++g) node[g] = _mm512_setzero_si512();
    levels<G, kMaxUnrolledHeight>(F, T, xT, node, decision);
    for (int l = kMaxUnrolledHeight; l < f.height; ++l) {
      for (int g = 0; g < G; ++g) {
        const __m512i fi = _mm512_i32gather_epi32(node[g], F, 4);
        const __m512i at = _mm512_add_epi32(_mm512_slli_epi32(fi, 6), _mm512_add_epi32(lane, _mm512_set1_epi32(16 * g)));
        const __mmask16 right = _mm512_cmp_ps_mask(_mm512_i32gather_ps(at, xT, 4), _mm512_i32gather_ps(node[g], T, 4), _CMP_GT_OQ);
        node[g] = childOf(node[g], right);
      }
    }
    for (int g = 0; g < G; ++g) accumulate(acc + 2 * g, _mm512_i32gather_ps(_mm512_sub_epi32(node[g], innerV), L, 4));
  }
  for (int g = 0; g < 2 * G; ++g) _mm512_storeu_pd(sum + 8 * g, acc[g]);
}

template <int G>
void walk(const iforest::Forest& f, const float* xT, double* sum) {
  switch (f.height) {
    case 1: return walkUnrolled<G, 1>(f, xT, sum);
    case 2: return walkUnrolled<G, 2>(f, xT, sum);
    case 3: return walkUnrolled<G, 3>(f, xT, sum);
    case 4: return walkUnrolled<G, 4>(f, xT, sum);
    case 5: return walkUnrolled<G, 5>(f, xT, sum);
    case 6: return walkUnrolled<G, 6>(f, xT, sum);
    case 7: return walkUnrolled<G, 7>(f, xT, sum);
    case 8: return walkUnrolled<G, 8>(f, xT, sum);
    default: return walkDeep<G>(f, xT, sum);
  }
}

}  // namespace

bool iforestCanScore(int64_t cols) { return cols <= (int64_t(1) << 24); }

void iforestScoreRows(const iforest::Forest& f, const float* x, int64_t rows, int64_t cols, double* sum) {
  const int64_t groups = std::min<int64_t>(rows / 16, kGroups);
  if (groups > 0) {
    static thread_local std::vector<float> block;
    block.resize(static_cast<size_t>(kStride * cols));
    float* xT = block.data();
    for (int64_t r = 0; r < 16 * groups; ++r)
      for (int64_t c = 0; c < cols; ++c) xT[kStride * c + r] = x[r * cols + c];
    switch (groups) {
      case 1: walk<1>(f, xT, sum); break;
      case 2: walk<2>(f, xT, sum); break;
      case 3: walk<3>(f, xT, sum); break;
      default: walk<4>(f, xT, sum); break;
    }
  }
  const int64_t done = 16 * groups;
  if (done < rows) iforest::scoreRowsPortable(f, x + done * cols, rows - done, cols, sum + done);
}

}  // namespace avx512
}  // namespace vigil
#endif
