// Losses with their gradients on the GPU (loss.cu) and the same grids run as host loops
// (host_grid_train.cc). Same contracts as cpu/loss.h, from and to host memory; the sum over
// samples is a fixed-order tree (loss_elem.h), the same value on every run.
#pragma once
#include <cstdint>



namespace vigil {
namespace cuda {

// Throw CudaError (naming the kernel and the sizes) on any CUDA failure, std::runtime_error when
// the addon has no CUDA.
double binaryCrossentropyLogits(int64_t N, int64_t C, const float* z, const float* y, const float* w, float* grad);
double sparseCategoricalCrossentropyLogits(int64_t N, int64_t C, const float* z, const int32_t* labels, const float* w,
                                           float* grad);
double categoricalCrossentropyLogits(int64_t N, int64_t C, const float* z, const float* t, const float* w, float* grad);
double meanSquaredError(int64_t N, int64_t C, const float* p, const float* t, const float* w, float* grad);
double meanAbsoluteError(int64_t N, int64_t C, const float* p, const float* t, const float* w, float* grad);

namespace host {
double binaryCrossentropyLogits(int64_t N, int64_t C, const float* z, const float* y, const float* w, float* grad);
double sparseCategoricalCrossentropyLogits(int64_t N, int64_t C, const float* z, const int32_t* labels, const float* w,
                                           float* grad);
double categoricalCrossentropyLogits(int64_t N, int64_t C, const float* z, const float* t, const float* w, float* grad);
double meanSquaredError(int64_t N, int64_t C, const float* p, const float* t, const float* w, float* grad);
double meanAbsoluteError(int64_t N, int64_t C, const float* p, const float* t, const float* w, float* grad);
}  // namespace host

}  // namespace cuda
}  // namespace vigil
