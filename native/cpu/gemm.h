// SGEMM: the matrix product every dense, recurrent and convolutional kernel is built on.
#pragma once
#include <cstdint>
#include <memory>

namespace vigil {

// C[M,N] = alpha * op(A) * op(B) + beta * C, all row-major.
// op(A) is M x K: A is stored M x K (lda >= K), or K x M when transA (lda >= M).
// op(B) is K x N: B is stored K x N (ldb >= N), or N x K when transB (ldb >= K).
// beta == 0 means C is not read (it may hold NaN), as in BLAS.
// Multi-threaded over blocks of C (never over K), with K blocked the same way whatever the
// thread count: every element of C sums its products in the same order, so the result is
// bit-identical for any number of threads. Called inside a parallel region it runs inline.
void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// A right-hand side packed once for many products (the LSTM multiplies by the same W_hh at
// every time step). Opaque layout owned by the GEMM implementation: the panel width depends
// on the SIMD level active when it was packed.
struct PackedB {
  int64_t K = 0, N = 0;
  int64_t nr = 0;               // panel width (columns) of the layout
  std::shared_ptr<float> data;  // layout private to gemm*.cc
  int64_t size = 0;
};
PackedB packB(bool transB, int64_t K, int64_t N, const float* B, int64_t ldb);
// packB into p, reusing p's buffer when it has the size needed (a loop that repacks the same
// shape allocates once). p must not share its buffer with a PackedB still in use.
void packBInto(bool transB, int64_t K, int64_t N, const float* B, int64_t ldb, PackedB& p);
// C[M,N] = alpha * op(A) * packed + beta * C (same conventions as sgemm). Gives the same bits
// as sgemm at the SIMD level that packed B.
void sgemmPacked(bool transA, int64_t M, float alpha, const float* A, int64_t lda, const PackedB& B, float beta,
                 float* C, int64_t ldc);

// Internals shared by gemm.cc and the SIMD kernel files (not for kernel callers).
namespace gemm_detail {
// Register tiles: packed A is [k][mr] per row panel, packed B [k][nr] per column panel, both
// zero-padded to a whole panel.
// AVX2: 6 rows x 16 columns = 12 ymm accumulators, leaving 4 of the 16 registers for two B
// vectors and the A broadcast.
constexpr int64_t kMR2 = 6;
constexpr int64_t kNR2 = 16;
// AVX-512: 14 rows x 32 columns = 28 zmm accumulators, two B vectors, and the A values
// broadcast straight from memory by the FMAs (31 of the 32 registers). 28 FMAs per k need
// 16 loads, within what two load ports sustain next to two FMA pipes.
constexpr int64_t kMR512 = 14;
constexpr int64_t kNR512 = 32;
constexpr int64_t kMaxTile = kMR512 * kNR512;
// One full tile: C = alpha * (Ap . Bp) + beta * C over kc steps; beta == 0 never reads C.
// Each element is one chain of multiply-adds in k order, so results do not depend on
// where the tile sits or which thread runs it.
using MicroKernel = void (*)(int64_t kc, const float* Ap, const float* Bp, float* C, int64_t ldc, float alpha,
                             float beta);
void microKernelAvx2(int64_t kc, const float* Ap, const float* Bp, float* C, int64_t ldc, float alpha, float beta);
void microKernelAvx512(int64_t kc, const float* Ap, const float* Bp, float* C, int64_t ldc, float alpha,
                       float beta);
}  // namespace gemm_detail

}  // namespace vigil
