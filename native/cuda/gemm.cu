// SGEMM kernel (the CUDA twin of cpu/gemm.cc). The work of each phase is in gemm_tile.h, shared
// with the host emulation; this file is the skeleton: the loop over K and the barriers.
#include <string>

#include "cuda/gemm.cuh"
#include "cuda/gemm.h"
#include "cuda/gemm_tile.h"
#include "cuda/runtime.cuh"

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

}  // namespace

void sgemmLaunch(const Gemm& p, cudaStream_t stream, const std::string& where) {
  const dim3 grid(gridBlocks((p.M + kBM - 1) / kBM, 0x7fffffffu, where), gridBlocks((p.N + kBN - 1) / kBN, 65535u, where));
  sgemmKernel<<<grid, dim3(kTX, kTY), 0, stream>>>(p);
  checkLaunch(where, "sgemmKernel launch");
}

void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  const std::string where =
      "sgemm (M=" + std::to_string(M) + ", N=" + std::to_string(N) + ", K=" + std::to_string(K) + ")";
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
  const Gemm p{transA, transB, M, N, K, alpha, dA.get(), lda, dB.get(), ldb, beta, dC.get(), ldc,
               vec4Ok(dA.get(), lda), vec4Ok(dB.get(), ldb)};
  sgemmLaunch(p, stream.get(), where);
  download(C, dC.get(), dC.bytes(), stream.get(), where);
  stream.sync(where);
}

}  // namespace cuda
}  // namespace vigil
