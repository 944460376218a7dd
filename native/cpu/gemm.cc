// Blocked SGEMM in the GotoBLAS/BLIS style: op(B) is packed into kNR-column panels and op(A)
// into kMR-row panels (transposes are absorbed by the packing), then a register-tile
// micro-kernel sweeps the panels. Loop nest per thread:
//   k block (kc <= kKC)  ->  row block (mc <= kMC, packed A, L2)  ->  column panel (B, L1)
//   ->  row panel (micro-kernel).
// Block sizes target Zen3 (32 KiB L1d, 512 KiB L2, 32 MiB L3): a kKC x kNR B panel is 16 KiB
// (half of L1), a kMC x kKC A block 144 KiB (a bit over a quarter of L2, leaving room for
// the B panels streaming through), a kKC x kNC B block 4 MiB (well inside L3, shared by
// both threads).
#include "cpu/gemm.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "cpu/cpu_features.h"
#include "cpu/threadpool.h"

namespace vigil {

using gemm_detail::kMR;
using gemm_detail::kNR;
using gemm_detail::MicroKernel;

namespace {

constexpr int64_t kKC = 256;
constexpr int64_t kMC = 144;  // multiple of kMR
constexpr int64_t kNC = 4096;  // multiple of kNR
// Below this many multiply-adds a product runs on the calling thread: waking the pool
// would cost more than it saves.
constexpr int64_t kMinParallelWork = int64_t(1) << 17;

// 64-byte aligned float storage: panels start on cache lines and the AVX2 kernel uses
// aligned loads on packed B.
struct AlignedDelete {
  void operator()(float* p) const { ::operator delete[](p, std::align_val_t(64)); }
};
using AlignedFloats = std::unique_ptr<float[], AlignedDelete>;
AlignedFloats allocFloats(int64_t n) {
  return AlignedFloats(static_cast<float*>(::operator new[](sizeof(float) * std::max<int64_t>(n, 1),
                                                            std::align_val_t(64))));
}

// Packed A for one row block, reused across calls on the same thread (it is at most
// kMC x kKC floats, so keeping it costs little and saves an allocation per call).
float* threadAScratch() {
  thread_local AlignedFloats buf = allocFloats(kMC * kKC);
  return buf.get();
}

// The K split depends on K alone (never on the thread count), which is what makes every
// element of C sum its products in the same order for any number of threads. Blocks are
// made equal so a K just over kKC does not leave a tiny, inefficient last block.
int64_t kBlockSize(int64_t K) {
  int64_t blocks = (K + kKC - 1) / kKC;
  return (K + blocks - 1) / blocks;
}

// Portable register tile, computed as four 3 x 8 quarters: 6 accumulators of 4 floats plus
// the B and A values fit the 16 SSE registers once the compiler vectorises the j loop (a
// 6 x 16 or 6 x 8 block spills to the stack and runs slower despite fewer loads).
void microKernelGeneric(int64_t kc, const float* Ap, const float* Bp, float* C, int64_t ldc, float alpha,
                        float beta) {
  constexpr int64_t R = 3, W = 8;
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
void runTile(MicroKernel kernel, int64_t kc, const float* Ap, const float* Bp, float* C, int64_t ldc, int64_t m,
             int64_t n, float alpha, float beta) {
  if (m == kMR && n == kNR) {
    kernel(kc, Ap, Bp, C, ldc, alpha, beta);
    return;
  }
  alignas(64) float t[kMR * kNR];
  if (beta != 0.0f) {
    std::memset(t, 0, sizeof t);
    for (int64_t i = 0; i < m; ++i) std::memcpy(t + i * kNR, C + i * ldc, sizeof(float) * n);
  }
  kernel(kc, Ap, Bp, t, kNR, alpha, beta);
  for (int64_t i = 0; i < m; ++i) std::memcpy(C + i * ldc, t + i * kNR, sizeof(float) * n);
}

// Rows [i0, i0 + mc) x columns [k0, k0 + kc) of op(A) into row panels [k][kMR], zero-padded.
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
// Bp + p * panelStride + (k - bK0) * kNR) covering columns [0, N) of C.
struct Work {
  MicroKernel kernel;
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
  float* Ap = threadAScratch();
  const int64_t rowBegin = r0 * kMR, rowEnd = std::min(r1 * kMR, w.M);
  // Equal row blocks (rounded to whole panels) so no thread ends on a sliver of a block.
  const int64_t rows = rowEnd - rowBegin;
  const int64_t nBlocks = (rows + kMC - 1) / kMC;
  const int64_t mcStep = ((rows + nBlocks - 1) / nBlocks + kMR - 1) / kMR * kMR;
  for (int64_t k0 = kb; k0 < ke; k0 += kcStep) {
    const int64_t kc = std::min(kcStep, ke - k0);
    const float beta = k0 == 0 ? w.beta : 1.0f;
    for (int64_t i0 = rowBegin; i0 < rowEnd; i0 += mcStep) {
      const int64_t mc = std::min(mcStep, rowEnd - i0);
      packA(w.transA, w.A, w.lda, i0, mc, k0, kc, Ap);
      for (int64_t c = c0; c < c1; ++c) {
        const float* b = w.Bp + c * w.panelStride + (k0 - w.bK0) * kNR;
        const int64_t n = std::min(kNR, w.N - c * kNR);
        for (int64_t p = 0; p < mc; p += kMR) {
          runTile(w.kernel, kc, Ap + p * kc, b, w.C + (i0 + p) * w.ldc + c * kNR, w.ldc, std::min(kMR, mc - p), n,
                  w.alpha, beta);
        }
      }
    }
  }
}

// Splits C over threads along whichever of rows / columns divides more evenly (rows on a
// tie: column splits make every thread pack all of A). Either way the tiles, and so the
// results, are the same.
void computeParallel(const Work& w, int64_t kb, int64_t ke, int64_t kcStep) {
  const int64_t mp = (w.M + kMR - 1) / kMR, np = (w.N + kNR - 1) / kNR;
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

MicroKernel pickKernel() {
#if defined(VIGIL_X86)
  if (useAvx2()) return gemm_detail::microKernelAvx2;
#endif
  return microKernelGeneric;
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
  const MicroKernel kernel = pickKernel();
  const int64_t kcStep = kBlockSize(K);
  const int64_t ncMax = std::min(kNC, (N + kNR - 1) / kNR * kNR);
  AlignedFloats Bp = allocFloats(ncMax * kcStep);
  for (int64_t j0 = 0; j0 < N; j0 += kNC) {
    const int64_t nc = std::min(kNC, N - j0);
    const int64_t np = (nc + kNR - 1) / kNR;
    for (int64_t k0 = 0; k0 < K; k0 += kcStep) {
      const int64_t kc = std::min(kcStep, K - k0);
      const int64_t packGrain = kc * nc * M < kMinParallelWork ? np : 4;
      float* bp = Bp.get();
      parallelFor(np, packGrain, [&](int64_t p0, int64_t p1) {
        packBPanels(transB, B, ldb, N, j0, k0, kc, p0, p1, kc * kNR, bp);
      });
      Work w{kernel, transA, A, lda, M, nc, bp, kc * kNR, k0, alpha, beta, C + j0, ldc};
      computeParallel(w, k0, k0 + kc, kcStep);
    }
  }
}

PackedB packB(bool transB, int64_t K, int64_t N, const float* B, int64_t ldb) {
  PackedB p;
  p.K = K;
  p.N = N;
  const int64_t np = (N + kNR - 1) / kNR;
  p.size = np * kNR * K;
  AlignedFloats buf = allocFloats(p.size);
  // Whole-K panels: any k block of panel j is contiguous at j * K * kNR + k0 * kNR.
  if (K > 0 && N > 0) {
    float* out = buf.get();
    parallelFor(np, K * N < kMinParallelWork ? np : 4, [&](int64_t p0, int64_t p1) {
      packBPanels(transB, B, ldb, N, 0, 0, K, p0, p1, K * kNR, out);
    });
  }
  p.data = std::shared_ptr<float>(buf.release(), [](float* q) { AlignedDelete()(q); });
  return p;
}

void sgemmPacked(bool transA, int64_t M, float alpha, const float* A, int64_t lda, const PackedB& B, float beta,
                 float* C, int64_t ldc) {
  if (M <= 0 || B.N <= 0) return;
  if (B.K <= 0 || alpha == 0.0f) {
    scaleC(M, B.N, beta, C, ldc);
    return;
  }
  Work w{pickKernel(), transA, A, lda, M, B.N, B.data.get(), B.K * kNR, 0, alpha, beta, C, ldc};
  computeParallel(w, 0, B.K, kBlockSize(B.K));
}

}  // namespace vigil
