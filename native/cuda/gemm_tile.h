// The SGEMM kernel's tiles (native/cuda/gemm.cu), shared with its host emulation (host_grid.cc).
//
// C[M, N] = alpha op(A) op(B) + beta C, row-major, the conventions of cpu/gemm.h. A block of
// 16 x 16 threads computes a 64 x 64 tile of C; thread (tx, ty) owns rows ty + 16 i and columns
// tx + 16 j (i, j < 4), so a warp's reads of the B tile are 16 consecutive words (no bank
// conflicts) and of the A tile two broadcast words, and its writes of C are coalesced. K is walked
// in steps of 16: the block stages op(A)'s 64 x 16 and op(B)'s 16 x 64 slices in shared memory
// (phase load), waits, multiplies them into its registers (phase multiply), waits, and so on; the
// epilogue writes alpha acc + beta C. Every element of C is one chain of fmaf in k order, so the
// host emulation computes exactly what the device does (fmaf is correctly rounded on both).
#pragma once
#include "cuda/hd.h"

namespace vigil {
namespace cuda {
namespace tile {

constexpr int kBM = 64;   // rows of C per block
constexpr int kBN = 64;   // columns of C per block
constexpr int kBK = 16;   // depth staged per step
constexpr int kTX = 16;   // threads per block along the columns
constexpr int kTY = 16;   // threads per block along the rows
constexpr int kThreads = kTX * kTY;
constexpr int kTM = kBM / kTY;  // rows per thread
constexpr int kTN = kBN / kTX;  // columns per thread
// Shared tiles are [depth][rows + 1]: a load whose threads walk the depth (an operand stored
// depth-contiguous) writes with a stride of 65 words, which hits 32 different banks.
constexpr int kPad = 1;

// Four consecutive floats at p, 16-byte aligned: one 128-bit load on the device.
VIGIL_HD void load4(const float* p, float v[4]) {
#if defined(__CUDA_ARCH__)
  const float4 q = *reinterpret_cast<const float4*>(p);
  v[0] = q.x;
  v[1] = q.y;
  v[2] = q.z;
  v[3] = q.w;
#else
  for (int i = 0; i < 4; ++i) v[i] = p[i];
#endif
}

// Whether an operand's rows can be read four floats at a time: 16-byte aligned base and leading
// dimension a multiple of 4, so every 4-float group a thread reads (tile offsets are multiples of
// 4) is aligned.
VIGIL_HD bool vec4Ok(const float* src, int64_t ld) {
  return reinterpret_cast<uintptr_t>(src) % 16 == 0 && ld % 4 == 0;
}

// Copies the kRows x kBK slice at (r0, k0) of an operand into dst[k][r], with 0 past its edges.
// The operand has `rows` x `depth` logical elements, stored row-major either as [rows, depth]
// (depthContiguous; leading dimension ld) or as [depth, rows]. Each thread copies four elements
// that are consecutive in memory (along the depth, or along the rows), with one 16-byte load when
// vec4 (vec4Ok) and all four lie inside; consecutive threads read consecutive groups.
// kLd is the tile's row length in shared memory (the TF32 kernel pads to a multiple of 4, as wmma
// wants, instead of kPad).
template <int kRows, int kLd = kRows + kPad>
VIGIL_HD void loadTile(int tid, const float* src, int64_t ld, bool depthContiguous, bool vec4, int64_t rows,
                       int64_t depth, int64_t r0, int64_t k0, float (*dst)[kLd]) {
  static_assert(kRows * kBK == 4 * kThreads, "a tile is one 4-float group per thread");
  float v[4];
  if (depthContiguous) {
    const int r = tid / (kBK / 4), k = (tid % (kBK / 4)) * 4;
    const int64_t gr = r0 + r, gk = k0 + k;
    if (gr < rows) {
      const float* p = src + gr * ld + gk;
      if (vec4 && gk + 3 < depth) load4(p, v);
      else
        for (int i = 0; i < 4; ++i) v[i] = gk + i < depth ? p[i] : 0.0f;
    } else {
      for (int i = 0; i < 4; ++i) v[i] = 0.0f;
    }
    for (int i = 0; i < 4; ++i) dst[k + i][r] = v[i];
  } else {
    const int k = tid / (kRows / 4), r = (tid % (kRows / 4)) * 4;
    const int64_t gr = r0 + r, gk = k0 + k;
    if (gk < depth) {
      const float* p = src + gk * ld + gr;
      if (vec4 && gr + 3 < rows) load4(p, v);
      else
        for (int i = 0; i < 4; ++i) v[i] = gr + i < rows ? p[i] : 0.0f;
    } else {
      for (int i = 0; i < 4; ++i) v[i] = 0.0f;
    }
    for (int i = 0; i < 4; ++i) dst[k][r + i] = v[i];
  }
}

struct Gemm {
  bool transA, transB;
  int64_t M, N, K;
  float alpha;
  const float* A;
  int64_t lda;
  const float* B;
  int64_t ldb;
  float beta;
  float* C;
  int64_t ldc;
  bool vecA, vecB;  // vec4Ok of A and B
};

struct GemmShared {
  float a[kBK][kBM + kPad];  // op(A)[m0 + m][k0 + k] at a[k][m]
  float b[kBK][kBN + kPad];  // op(B)[k0 + k][n0 + n] at b[k][n]
};

// One thread's 4 x 4 block of C, in registers on the device.
struct Acc {
  float v[kTM][kTN];
};

// Phase load: this thread's share of both slices at depth k0 for the block at (m0, n0).
VIGIL_HD void gemmLoad(int tid, const Gemm& p, GemmShared& s, int64_t m0, int64_t n0, int64_t k0) {
  loadTile<kBM>(tid, p.A, p.lda, !p.transA, p.vecA, p.M, p.K, m0, k0, s.a);
  loadTile<kBN>(tid, p.B, p.ldb, p.transB, p.vecB, p.N, p.K, n0, k0, s.b);
}

// Phase multiply: acc += the staged slices' product, k in order.
VIGIL_HD void gemmMultiply(int tx, int ty, const GemmShared& s, Acc& acc) {
  for (int k = 0; k < kBK; ++k) {
    float a[kTM], b[kTN];
    for (int i = 0; i < kTM; ++i) a[i] = s.a[k][ty + kTY * i];
    for (int j = 0; j < kTN; ++j) b[j] = s.b[k][tx + kTX * j];
    for (int i = 0; i < kTM; ++i)
      for (int j = 0; j < kTN; ++j) acc.v[i][j] = fmaf(a[i], b[j], acc.v[i][j]);
  }
}

// The epilogue of one element: alpha acc + beta c, where beta == 0 never reads c (it may hold
// NaN, as in BLAS).
VIGIL_HD float gemmEpilogue(float acc, float alpha, float beta, const float* c) {
  return beta == 0.0f ? alpha * acc : fmaf(beta, *c, alpha * acc);
}

// Phase store: this thread's elements of C that lie inside it.
VIGIL_HD void gemmStore(int tx, int ty, const Gemm& p, int64_t m0, int64_t n0, const Acc& acc) {
  for (int i = 0; i < kTM; ++i) {
    const int64_t m = m0 + ty + kTY * i;
    if (m >= p.M) continue;
    for (int j = 0; j < kTN; ++j) {
      const int64_t n = n0 + tx + kTX * j;
      if (n < p.N) {
        float* c = p.C + m * p.ldc + n;
        *c = gemmEpilogue(acc.v[i][j], p.alpha, p.beta, c);
      }
    }
  }
}

}  // namespace tile
}  // namespace cuda
}  // namespace vigil
