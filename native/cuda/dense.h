// The dense layer on the GPU (dense.cu: the SGEMM kernel, the bias add, the bias gradient's column
// sums) and the same grids run as host loops (host_grid_train.cc). Same contracts as cpu/dense.h,
// from and to host memory.
#pragma once
#include <cstdint>



namespace vigil {
namespace cuda {

// Throw CudaError (naming the kernel and the sizes) on any CUDA failure, std::runtime_error when
// the addon has no CUDA.
void denseForward(int64_t N, int64_t in, int64_t out, const float* x, const float* W, const float* b, float* y);
void denseBackward(int64_t N, int64_t in, int64_t out, const float* x, const float* W, const float* dY, float* dX,
                   float* dW, float* db);

namespace host {
void denseForward(int64_t N, int64_t in, int64_t out, const float* x, const float* W, const float* b, float* y);
void denseBackward(int64_t N, int64_t in, int64_t out, const float* x, const float* W, const float* dY, float* dX,
                   float* dW, float* db);
}  // namespace host

}  // namespace cuda
}  // namespace vigil
