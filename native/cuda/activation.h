// Activations and the row softmax on the GPU (activation.cu) and the same grids run as host loops
// (host_grid_train.cc). Same contracts as cpu/activation.h, from and to host memory; the device
// entry points a GPU fit composes are in train.cuh.
#pragma once
#include <cstdint>

#include "cpu/activation.h"

namespace vigil {
namespace cuda {

// Throw CudaError (naming the kernel and the sizes) on any CUDA failure, std::runtime_error when
// the addon has no CUDA.
void activationForward(Activation kind, int64_t n, const float* x, float* y);
void activationBackward(Activation kind, int64_t n, const float* y, const float* dY, float* dX);
void softmaxForward(int64_t N, int64_t C, const float* x, float* y);
void softmaxBackward(int64_t N, int64_t C, const float* y, const float* dY, float* dX);

namespace host {
void activationForward(Activation kind, int64_t n, const float* x, float* y);
void activationBackward(Activation kind, int64_t n, const float* y, const float* dY, float* dX);
void softmaxForward(int64_t N, int64_t C, const float* x, float* y);
void softmaxBackward(int64_t N, int64_t C, const float* y, const float* dY, float* dX);
}  // namespace host

}  // namespace cuda
}  // namespace vigil
