// SGEMM on the GPU (gemm.cu) and the same grid run as host loops (host_grid.cc). Same contract as
// cpu/gemm.h's sgemm: C[M,N] = alpha op(A) op(B) + beta C, row-major, beta == 0 never reads C.
#pragma once
#include <cstdint>

namespace vigil {
namespace cuda {

// On device 0, from and to host memory: the operands go up through pinned staging buffers on a
// stream of its own, C comes back the same way. Throws CudaError (naming the kernel and sizes)
// on any CUDA failure, std::runtime_error when the addon has no CUDA.
// tf32: TF32 tensor cores (sm_80+; float32 on older GPUs), ~1e-3 relative: opt-in, never the
// default, and not yet run on hardware.
void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc, bool tf32 = false);

namespace host {
// The kernel's grid as plain loops, block by block, phase by phase, thread by thread, through
// the same functions (gemm_tile.h): what the device computes, to the bit.
void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc);
}  // namespace host

}  // namespace cuda
}  // namespace vigil
