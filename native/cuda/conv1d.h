// Conv1D forward and backward on the GPU (conv1d.cu) and the same grids run as host loops
// (host_grid.cc). Same contracts as cpu/conv1d.h's conv1dForward / conv1dBackward (shapes,
// nullable outputs, overwrite semantics, the fused ReLU), from and to host memory.
#pragma once
#include "cpu/conv1d.h"

namespace vigil {
namespace cuda {

// Throw CudaError (naming the kernel and the shape) on any CUDA failure, std::runtime_error when
// the addon has no CUDA.
void conv1dForward(const Conv1dShape& s, const float* x, const float* W, const float* b, float* y, Conv1dActivation act);
void conv1dBackward(const Conv1dShape& s, const float* x, const float* W, const float* dY, float* dX, float* dW,
                    float* db, const float* reluOut, float* dZ);

namespace host {
void conv1dForward(const Conv1dShape& s, const float* x, const float* W, const float* b, float* y, Conv1dActivation act);
void conv1dBackward(const Conv1dShape& s, const float* x, const float* W, const float* dY, float* dX, float* dW,
                    float* db, const float* reluOut, float* dZ);
}  // namespace host

}  // namespace cuda
}  // namespace vigil
