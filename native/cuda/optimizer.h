// Optimizer steps on the GPU (optimizer.cu) and the same grids run as host loops
// (host_grid_train.cc). Same contracts as cpu/optimizer.h (in place), from and to host memory.
#pragma once
#include <cstdint>



namespace vigil {
namespace cuda {

// Throw CudaError (naming the kernel and the sizes) on any CUDA failure, std::runtime_error when
// the addon has no CUDA.
void sgdStep(int64_t n, float lr, float momentum, bool nesterov, float* p, const float* g, float* v);
void adamStep(int64_t n, int64_t t, float lr, float beta1, float beta2, float eps, float* p, const float* g, float* m,
              float* v, float* vHat);
void rmspropStep(int64_t n, float lr, float rho, float momentum, float eps, float* p, const float* g, float* v,
                 float* mom, float* avg);
void nadamStep(int64_t n, int64_t t, float lr, float beta1, float beta2, float eps, float* p, const float* g, float* m,
               float* v);

namespace host {
void sgdStep(int64_t n, float lr, float momentum, bool nesterov, float* p, const float* g, float* v);
void adamStep(int64_t n, int64_t t, float lr, float beta1, float beta2, float eps, float* p, const float* g, float* m,
              float* v, float* vHat);
void rmspropStep(int64_t n, float lr, float rho, float momentum, float eps, float* p, const float* g, float* v,
                 float* mom, float* avg);
void nadamStep(int64_t n, int64_t t, float lr, float beta1, float beta2, float eps, float* p, const float* g, float* m,
               float* v);
}  // namespace host

}  // namespace cuda
}  // namespace vigil
