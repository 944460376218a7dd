// Dropout on the GPU (dropout.cu) and the same grids run as host loops (host_grid_train.cc). Same
// contracts as cpu/dropout.h, from and to host memory: the same seed and stream give the CPU
// kernel's masks, bit for bit.
#pragma once
#include <cstdint>



namespace vigil {
namespace cuda {

// Throw CudaError (naming the kernel and the sizes) on any CUDA failure, std::runtime_error when
// the addon has no CUDA.
void dropoutForward(int64_t n, double rate, uint64_t seed, uint64_t stream, const float* x, float* y, float* mask);
void dropoutBackward(int64_t n, double rate, uint64_t seed, uint64_t stream, const float* dY, float* dX);
void dropoutApplyMask(int64_t n, const float* mask, const float* dY, float* dX);
void dropoutSequences(int64_t B, int64_t T, int64_t F, const int32_t* lengths, double rate, uint64_t seed,
                      uint64_t stream, const float* x, float* y);

namespace host {
void dropoutForward(int64_t n, double rate, uint64_t seed, uint64_t stream, const float* x, float* y, float* mask);
void dropoutBackward(int64_t n, double rate, uint64_t seed, uint64_t stream, const float* dY, float* dX);
void dropoutApplyMask(int64_t n, const float* mask, const float* dY, float* dX);
void dropoutSequences(int64_t B, int64_t T, int64_t F, const int32_t* lengths, double rate, uint64_t seed,
                      uint64_t stream, const float* x, float* y);
}  // namespace host

}  // namespace cuda
}  // namespace vigil
