// Blocked SGEMM in the GotoBLAS/BLIS style: op(B) is packed into nr-column panels and op(A)
// into mr-row panels (transposes are absorbed by the packing), then a register-tile
// micro-kernel sweeps the panels. Loop nest per thread:
//   k block (<= kc)  ->  row block (<= mc rows, packed A, L2)  ->  column panel (B, L1)
//   ->  row panel (micro-kernel).
// The register tile, and so the packed layouts and block sizes, depend on the SIMD level
// (see Geometry below).
#include "cpu/gemm.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "cpu/aligned.h"
#include "cpu/cpu_features.h"
#include "cpu/threadpool.h"

namespace vigil {

using gemm_detail::MicroKernel;

namespace {

// Register tile (mr x nr) and cache blocks of one SIMD level: k blocks of at most kc, row
// blocks of at most mc (multiple of mr), column blocks of at most nc (multiple of nr).
using PackAFn = void (*)(bool transA, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc,
                         float* out);
using PackBFn = void (*)(bool transB, const float* B, int64_t ldb, int64_t N, int64_t j0, int64_t k0, int64_t kc,
                         int64_t p0, int64_t p1, int64_t panelStride, float* out);
struct Geometry {
  int64_t mr, nr, kc, mc, nc;
  MicroKernel kernel;
  PackAFn packA;
  PackBFn packB;
};
// Below this many multiply-adds a product runs on the calling thread: waking the pool
// would cost more than it saves.
constexpr int64_t kMinParallelWork = int64_t(1) << 17;

// Packed A for one row block, reused across calls on the same thread (it is at most
// mc x kc floats, so keeping it costs little and saves an allocation per call).
float* threadAScratch(int64_t n) {
  thread_local AlignedFloats buf;
  thread_local int64_t size = 0;
  if (size < n) {
    buf = allocFloats(n);
    size = n;
  }
  return buf.get();
}

// The K split depends on K alone (never on the thread count), which is what makes every
// element of C sum its products in the same order for any number of threads. Blocks are
// made equal so a K just over kKC does not leave a tiny, inefficient last block.
int64_t kBlockSize(const Geometry& g, int64_t K) {
  int64_t blocks = (K + g.kc - 1) / g.kc;
  return (K + blocks - 1) / blocks;
}

// Portable register tile, computed as 3 x 8 pieces: 6 accumulators of 4 floats plus the B
// and A values fit the 16 SSE registers once the compiler vectorises the j loop (a 6 x 16
// or 6 x 8 block spills to the stack and runs slower despite fewer loads).
template <int64_t kMR, int64_t kNR>
void microKernelGeneric(int64_t kc, const float* Ap, const float* Bp, float* C, int64_t ldc, float alpha,
                        float beta) {
  constexpr int64_t R = 3, W = 8;
  static_assert(kMR % R == 0 && kNR % W == 0, "tile must split into 3 x 8 pieces");
  for (int64_t r = 0; r < kMR; r += R) {
    for (int64_t h = 0; h < kNR; h += W) {
      float acc[R][W] = {};
      const float* a = Ap + r;
      const float* b = Bp + h;
      for (int64_t k = 0; k < kc; ++k, a += kMR, b += kNR) {
        for (int64_t i = 0; i < R; ++i) {
          const float ai = a[i];
          for (int64_t j = 0; j < W; ++j) acc[i][j] += ai * b[j];
        }
      }
      for (int64_t i = 0; i < R; ++i) {
        float* c = C + (r + i) * ldc + h;
        if (beta == 0.0f) {
          for (int64_t j = 0; j < W; ++j) c[j] = alpha * acc[i][j];
        } else {
          for (int64_t j = 0; j < W; ++j) c[j] = alpha * acc[i][j] + beta * c[j];
        }
      }
    }
  }
}

// A tile cut by the edge of C runs the same kernel on a full-size copy, so edge elements
// are computed exactly like interior ones.
void runTile(const Geometry& g, int64_t kc, const float* Ap, const float* Bp, float* C, int64_t ldc, int64_t m,
             int64_t n, float alpha, float beta) {
  if (m == g.mr && n == g.nr) {
    g.kernel(kc, Ap, Bp, C, ldc, alpha, beta);
    return;
  }
  alignas(64) float t[gemm_detail::kMaxTile];
  if (beta != 0.0f) {
    std::memset(t, 0, sizeof t);
    for (int64_t i = 0; i < m; ++i) std::memcpy(t + i * g.nr, C + i * ldc, sizeof(float) * n);
  }
  g.kernel(kc, Ap, Bp, t, g.nr, alpha, beta);
  for (int64_t i = 0; i < m; ++i) std::memcpy(C + i * ldc, t + i * g.nr, sizeof(float) * n);
}

// Rows [i0, i0 + mc) x columns [k0, k0 + kc) of op(A) into row panels [k][kMR], zero-padded.
template <int64_t kMR>
void packA(bool transA, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc, float* out) {
  for (int64_t p = 0; p < mc; p += kMR) {
    const int64_t m = std::min(kMR, mc - p);
    float* dst = out + p * kc;
    if (transA) {
      // Stored K x M: the kMR values of one k are adjacent.
      for (int64_t k = 0; k < kc; ++k) {
        const float* src = A + (k0 + k) * lda + i0 + p;
        for (int64_t i = 0; i < m; ++i) dst[k * kMR + i] = src[i];
        for (int64_t i = m; i < kMR; ++i) dst[k * kMR + i] = 0.0f;
      }
    } else {
      for (int64_t i = 0; i < m; ++i) {
        const float* src = A + (i0 + p + i) * lda + k0;
        for (int64_t k = 0; k < kc; ++k) dst[k * kMR + i] = src[k];
      }
      for (int64_t i = m; i < kMR; ++i)
        for (int64_t k = 0; k < kc; ++k) dst[k * kMR + i] = 0.0f;
    }
  }
}

// Column panels [p0, p1) of op(B) restricted to columns [j0, N) and rows [k0, k0 + kc):
// panel p lands at out + p * panelStride as [k][kNR], zero-padded past column N.
template <int64_t kNR>
void packBPanels(bool transB, const float* B, int64_t ldb, int64_t N, int64_t j0, int64_t k0, int64_t kc,
                 int64_t p0, int64_t p1, int64_t panelStride, float* out) {
  for (int64_t p = p0; p < p1; ++p) {
    const int64_t j = j0 + p * kNR;
    const int64_t n = std::min(kNR, N - j);
    float* dst = out + p * panelStride;
    if (transB) {
      // Stored N x K: each column of op(B) is a contiguous row.
      for (int64_t c = 0; c < n; ++c) {
        const float* src = B + (j + c) * ldb + k0;
        for (int64_t k = 0; k < kc; ++k) dst[k * kNR + c] = src[k];
      }
      for (int64_t c = n; c < kNR; ++c)
        for (int64_t k = 0; k < kc; ++k) dst[k * kNR + c] = 0.0f;
    } else {
      for (int64_t k = 0; k < kc; ++k) {
        const float* src = B + (k0 + k) * ldb + j;
        float* d = dst + k * kNR;
        for (int64_t c = 0; c < n; ++c) d[c] = src[c];
        for (int64_t c = n; c < kNR; ++c) d[c] = 0.0f;
      }
    }
  }
}

// One product over packed B: op(A) is M x K, B is given as panels (panel p, step k at
// Bp + p * panelStride + (k - bK0) * nr) covering columns [0, N) of C.
struct Work {
  const Geometry* g;
  bool transA;
  const float* A;
  int64_t lda;
  int64_t M, N;
  const float* Bp;
  int64_t panelStride, bK0;
  float alpha, beta;
  float* C;
  int64_t ldc;
};

// Row panels [r0, r1) x column panels [c0, c1) of C, over k in [kb, ke) (cut into blocks of
// kcStep counted from k = 0, so the blocks are the same whoever runs which part).
void computeRange(const Work& w, int64_t r0, int64_t r1, int64_t c0, int64_t c1, int64_t kb, int64_t ke,
                  int64_t kcStep) {
  const Geometry& g = *w.g;
  const int64_t mr = g.mr, nr = g.nr;
  float* Ap = threadAScratch(g.mc * g.kc);
  const int64_t rowBegin = r0 * mr, rowEnd = std::min(r1 * mr, w.M);
  // Equal row blocks (rounded to whole panels) so no thread ends on a sliver of a block.
  const int64_t rows = rowEnd - rowBegin;
  const int64_t nBlocks = (rows + g.mc - 1) / g.mc;
  const int64_t mcStep = ((rows + nBlocks - 1) / nBlocks + mr - 1) / mr * mr;
  for (int64_t k0 = kb; k0 < ke; k0 += kcStep) {
    const int64_t kc = std::min(kcStep, ke - k0);
    const float beta = k0 == 0 ? w.beta : 1.0f;
    for (int64_t i0 = rowBegin; i0 < rowEnd; i0 += mcStep) {
      const int64_t mc = std::min(mcStep, rowEnd - i0);
      g.packA(w.transA, w.A, w.lda, i0, mc, k0, kc, Ap);
      for (int64_t c = c0; c < c1; ++c) {
        const float* b = w.Bp + c * w.panelStride + (k0 - w.bK0) * nr;
        const int64_t n = std::min(nr, w.N - c * nr);
        for (int64_t p = 0; p < mc; p += mr) {
          runTile(g, kc, Ap + p * kc, b, w.C + (i0 + p) * w.ldc + c * nr, w.ldc, std::min(mr, mc - p), n, w.alpha,
                  beta);
        }
      }
    }
  }
}

// Splits C over threads along whichever of rows / columns divides more evenly (rows on a
// tie: column splits make every thread pack all of A). Either way the tiles, and so the
// results, are the same.
void computeParallel(const Work& w, int64_t kb, int64_t ke, int64_t kcStep) {
  const int64_t mp = (w.M + w.g->mr - 1) / w.g->mr, np = (w.N + w.g->nr - 1) / w.g->nr;
  const int64_t T = getNumThreads();
  if (T == 1 || w.M * w.N * (ke - kb) < kMinParallelWork || mp * np == 1) {
    computeRange(w, 0, mp, 0, np, kb, ke, kcStep);
    return;
  }
  auto balance = [&](int64_t n) {
    int64_t chunks = std::min(T, n);
    return static_cast<double>(n) / static_cast<double>(chunks * ((n + chunks - 1) / chunks));
  };
  if (balance(mp) >= balance(np)) {
    parallelFor(mp, 1, [&](int64_t b, int64_t e) { computeRange(w, b, e, 0, np, kb, ke, kcStep); });
  } else {
    parallelFor(np, 1, [&](int64_t b, int64_t e) { computeRange(w, 0, mp, b, e, kb, ke, kcStep); });
  }
}

template <int64_t kMR, int64_t kNR>
constexpr Geometry makeGeometry(int64_t kc, int64_t mc, int64_t nc, MicroKernel kernel) {
  return Geometry{kMR, kNR, kc, mc, nc, kernel, packA<kMR>, packBPanels<kNR>};
}

// Portable and AVX2 share the 6 x 16 layout. Blocks sized for 32 KiB L1d / 512 KiB L2: a
// 256 x 16 B panel is 16 KiB (half of L1), a 144 x 256 A block 144 KiB (a bit over a quarter
// of L2, leaving room for the B panels streaming through), a 256 x 4096 B block 4 MiB (in L3,
// shared by both threads).
constexpr Geometry kGeneric = makeGeometry<6, 16>(256, 144, 4096, microKernelGeneric<6, 16>);
// For a B packed 32 wide (at the AVX-512 level) multiplied after the level was capped lower.
constexpr Geometry kGeneric32 = makeGeometry<6, 32>(256, 144, 4096, microKernelGeneric<6, 32>);
#if defined(VIGIL_X86)
constexpr Geometry kAvx2 = makeGeometry<gemm_detail::kMR2, gemm_detail::kNR2>(256, 144, 4096,
                                                                              gemm_detail::microKernelAvx2);
// Zen4/5 (48 KiB L1d, 1 MiB L2): a 192 x 32 B panel is 24 KiB (half of L1) with the 14 x 192
// A panel (10.5 KiB) streaming past it; a 504 x 192 A block is 378 KiB (over a third of L2).
// Measured on a Zen5 EPYC at 2048^3: kc 192 beat 256, and mc 504 beat 168, 336 and 672.
constexpr Geometry kAvx512 = makeGeometry<gemm_detail::kMR512, gemm_detail::kNR512>(
    192, 504, 4096, gemm_detail::microKernelAvx512);
#endif

const Geometry& activeGeometry() {
#if defined(VIGIL_X86)
  if (useAvx512()) return kAvx512;
  if (useAvx2()) return kAvx2;
#endif
  return kGeneric;
}

// The active level's geometry when it matches how B was packed, else a portable one that
// reads B's layout (the result then differs from sgemm's in the last bits, but stays right).
const Geometry& packedGeometry(int64_t nr) {
  const Geometry& g = activeGeometry();
  if (g.nr == nr) return g;
  return nr == kGeneric.nr ? kGeneric : kGeneric32;
}

// C = beta * C for the products with nothing to add (K == 0 or alpha == 0), as in BLAS.
void scaleC(int64_t M, int64_t N, float beta, float* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    float* c = C + i * ldc;
    if (beta == 0.0f) {
      std::fill(c, c + N, 0.0f);
    } else {
      for (int64_t j = 0; j < N; ++j) c[j] *= beta;
    }
  }
}

}  // namespace

void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {
    scaleC(M, N, beta, C, ldc);
    return;
  }
  const Geometry& g = activeGeometry();
  const int64_t nr = g.nr;
  const int64_t kcStep = kBlockSize(g, K);
  const int64_t ncMax = std::min(g.nc, (N + nr - 1) / nr * nr);
  AlignedFloats Bp = allocFloats(ncMax * kcStep);
  for (int64_t j0 = 0; j0 < N; j0 += g.nc) {
    const int64_t nc = std::min(g.nc, N - j0);
    const int64_t np = (nc + nr - 1) / nr;
    for (int64_t k0 = 0; k0 < K; k0 += kcStep) {
      const int64_t kc = std::min(kcStep, K - k0);
      const int64_t packGrain = kc * nc * M < kMinParallelWork ? np : 4;
      float* bp = Bp.get();
      parallelFor(np, packGrain, [&](int64_t p0, int64_t p1) {
        g.packB(transB, B, ldb, N, j0, k0, kc, p0, p1, kc * nr, bp);
      });
      Work w{&g, transA, A, lda, M, nc, bp, kc * nr, k0, alpha, beta, C + j0, ldc};
      computeParallel(w, k0, k0 + kc, kcStep);
    }
  }
}

void packBInto(bool transB, int64_t K, int64_t N, const float* B, int64_t ldb, PackedB& p) {
  const Geometry& g = activeGeometry();
  const int64_t np = (N + g.nr - 1) / g.nr;
  const int64_t size = np * g.nr * K;
  if (!p.data || p.size != size) {
    AlignedFloats buf = allocFloats(size);
    p.data = std::shared_ptr<float>(buf.release(), [](float* q) { AlignedDelete()(q); });
  }
  p.K = K;
  p.N = N;
  p.nr = g.nr;
  p.size = size;
  // Whole-K panels: any k block of panel j is contiguous at j * K * nr + k0 * nr.
  if (K > 0 && N > 0) {
    float* out = p.data.get();
    parallelFor(np, K * N < kMinParallelWork ? np : 4, [&](int64_t p0, int64_t p1) {
      g.packB(transB, B, ldb, N, 0, 0, K, p0, p1, K * g.nr, out);
    });
  }
}

PackedB packB(bool transB, int64_t K, int64_t N, const float* B, int64_t ldb) {
  PackedB p;
  packBInto(transB, K, N, B, ldb, p);
  return p;
}

void sgemmPacked(bool transA, int64_t M, float alpha, const float* A, int64_t lda, const PackedB& B, float beta,
                 float* C, int64_t ldc) {
  if (M <= 0 || B.N <= 0) return;
  if (B.K <= 0 || alpha == 0.0f) {
    scaleC(M, B.N, beta, C, ldc);
    return;
  }
  const Geometry& g = packedGeometry(B.nr);
  Work w{&g, transA, A, lda, M, B.N, B.data.get(), B.K * g.nr, 0, alpha, beta, C, ldc};
  computeParallel(w, 0, B.K, kBlockSize(g, B.K));
}

}  // namespace vigil
