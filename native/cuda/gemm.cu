// SGEMM kernels (the CUDA twin of cpu/gemm.cc). The work of each phase is in gemm_tile.h, shared
// with the host emulation; this file is the skeleton: the loop over K and the barriers. Beside the
// float32 kernel, an opt-in TF32 tensor-core kernel (sm_80+), described at sgemmTf32Kernel.
#include <mma.h>

#include <string>

#include "cuda/device.h"
#include "cuda/gemm.cuh"
#include "cuda/gemm.h"
#include "cuda/gemm_tile.h"
#include "cuda/runtime.cuh"
#include "cuda/train.cuh"

namespace vigil {
namespace cuda {

namespace {

using namespace tile;

__global__ void __launch_bounds__(kThreads) sgemmKernel(Gemm p) {
  __shared__ GemmShared s;
  const int tx = static_cast<int>(threadIdx.x), ty = static_cast<int>(threadIdx.y), tid = ty * kTX + tx;
  const int64_t m0 = static_cast<int64_t>(blockIdx.x) * kBM, n0 = static_cast<int64_t>(blockIdx.y) * kBN;
  Acc acc = {};
  for (int64_t k0 = 0; k0 < p.K; k0 += kBK) {
    gemmLoad(tid, p, s, m0, n0, k0);
    __syncthreads();
    gemmMultiply(tx, ty, s, acc);
    __syncthreads();  // before the next load overwrites the slices
  }
  gemmStore(tx, ty, p, m0, n0, acc);
}

// TF32 (NOT VERIFIED ON HARDWARE: compiled only; no GPU has run it). The same 64 x 64 block tile,
// 16-deep slices staged by the float32 kernel's loadTile (rows padded to 68 floats: wmma wants a
// leading dimension that is a multiple of 4 and 32-byte aligned fragments), multiplied by the tensor
// cores in 16 x 16 x 8 TF32 fragments (operands rounded to TF32's 10-bit mantissa, products summed
// in float32, in the hardware's order); the block's 8 warps own 2 of the tile's 16 fragments each.
// The epilogue stages the accumulators in shared memory and writes alpha acc + beta C as gemmStore.
// Expect ~1e-3 relative error against float32 (TF32 rounding of the operands), not 1e-6.
constexpr int kTfLd = kBM + 4;
static_assert(kBM == kBN, "one padded row length for both tiles");
struct Tf32Shared {
  alignas(32) float a[kBK][kTfLd];  // op(A)[m0 + m][k0 + k] at a[k][m]: column-major A, ld kTfLd
  alignas(32) float b[kBK][kTfLd];  // op(B)[k0 + k][n0 + n] at b[k][n]: row-major B, ld kTfLd
};

__global__ void __launch_bounds__(kThreads) sgemmTf32Kernel(Gemm p) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  namespace wmma = nvcuda::wmma;
  __shared__ Tf32Shared s;
  __shared__ __align__(32) float c[kBM][kTfLd];
  const int tid = static_cast<int>(threadIdx.y) * kTX + static_cast<int>(threadIdx.x);
  const int warp = tid / 32;
  const int fm = warp / 2, fn0 = (warp % 2) * 2;  // fragment row, first of two fragment columns
  const int64_t m0 = static_cast<int64_t>(blockIdx.x) * kBM, n0 = static_cast<int64_t>(blockIdx.y) * kBN;
  wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[2];
  wmma::fill_fragment(acc[0], 0.0f);
  wmma::fill_fragment(acc[1], 0.0f);
  for (int64_t k0 = 0; k0 < p.K; k0 += kBK) {
    loadTile<kBM, kTfLd>(tid, p.A, p.lda, !p.transA, p.vecA, p.M, p.K, m0, k0, s.a);
    loadTile<kBN, kTfLd>(tid, p.B, p.ldb, p.transB, p.vecB, p.N, p.K, n0, k0, s.b);
    __syncthreads();
    for (int k = 0; k < kBK; k += 8) {
      wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::col_major> fa;
      wmma::load_matrix_sync(fa, &s.a[k][fm * 16], kTfLd);
      for (int i = 0; i < fa.num_elements; ++i) fa.x[i] = wmma::__float_to_tf32(fa.x[i]);
      for (int j = 0; j < 2; ++j) {
        wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> fb;
        wmma::load_matrix_sync(fb, &s.b[k][(fn0 + j) * 16], kTfLd);
        for (int i = 0; i < fb.num_elements; ++i) fb.x[i] = wmma::__float_to_tf32(fb.x[i]);
        wmma::mma_sync(acc[j], fa, fb, acc[j]);
      }
    }
    __syncthreads();
  }
  for (int j = 0; j < 2; ++j) wmma::store_matrix_sync(&c[fm * 16][(fn0 + j) * 16], acc[j], kTfLd, wmma::mem_row_major);
  __syncthreads();
  for (int e = tid; e < kBM * kBN; e += kThreads) {
    const int64_t m = m0 + e / kBN, n = n0 + e % kBN;
    if (m < p.M && n < p.N) {
      float* out = p.C + m * p.ldc + n;
      *out = gemmEpilogue(c[e / kBN][e % kBN], p.alpha, p.beta, out);
    }
  }
#endif
}

// Whether device 0 has TF32 tensor cores (compute capability 8.0 or later).
bool hasTf32() {
  const auto list = devices(nullptr);
  return !list.empty() && list[0].major >= 8;
}

}  // namespace

void sgemmLaunch(const Gemm& p, cudaStream_t stream, const std::string& where) {
  const dim3 grid(gridBlocks((p.M + kBM - 1) / kBM, 0x7fffffffu, where), gridBlocks((p.N + kBN - 1) / kBN, 65535u, where));
  sgemmKernel<<<grid, dim3(kTX, kTY), 0, stream>>>(p);
  checkLaunch(where, "sgemmKernel launch");
}

namespace dev {

void sgemm(cudaStream_t s, const std::string& where, bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
           const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc, bool tf32) {
  const Gemm p{transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, vec4Ok(A, lda), vec4Ok(B, ldb)};
  if (!tf32 || !hasTf32()) return sgemmLaunch(p, s, where);
  const dim3 grid(gridBlocks((M + kBM - 1) / kBM, 0x7fffffffu, where), gridBlocks((N + kBN - 1) / kBN, 65535u, where));
  sgemmTf32Kernel<<<grid, dim3(kTX, kTY), 0, s>>>(p);
  checkLaunch(where, "sgemmTf32Kernel launch");
}

}  // namespace dev

void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc, bool tf32) {
  const std::string where = std::string(tf32 ? "sgemm tf32" : "sgemm") + " (M=" + std::to_string(M) +
                            ", N=" + std::to_string(N) + ", K=" + std::to_string(K) + ")";
  // Before any allocation: a shape the grid cannot hold fails here, cheaply.
  gridBlocks((M + kBM - 1) / kBM, 0x7fffffffu, where);
  gridBlocks((N + kBN - 1) / kBN, 65535u, where);
  // The spans the operands cover: (rows - 1) * ld + the row length.
  const size_t lenA = static_cast<size_t>(transA ? (K - 1) * lda + M : (M - 1) * lda + K);
  const size_t lenB = static_cast<size_t>(transB ? (N - 1) * ldb + K : (K - 1) * ldb + N);
  const size_t lenC = static_cast<size_t>((M - 1) * ldc + N);
  Stream stream(where);
  DeviceBuffer<float> dA(lenA, stream.get(), where), dB(lenB, stream.get(), where), dC(lenC, stream.get(), where);
  upload(dA.get(), A, dA.bytes(), stream.get(), where);
  upload(dB.get(), B, dB.bytes(), stream.get(), where);
  // C comes back whole: when beta == 0 it is only written, unless gaps between its rows (ldc > N)
  // must come back as they were.
  if (beta != 0.0f || ldc != N) upload(dC.get(), C, dC.bytes(), stream.get(), where);
  dev::sgemm(stream.get(), where, transA, transB, M, N, K, alpha, dA.get(), lda, dB.get(), ldb, beta, dC.get(), ldc, tf32);
  download(C, dC.get(), dC.bytes(), stream.get(), where);
  stream.sync(where);
}

}  // namespace cuda
}  // namespace vigil
