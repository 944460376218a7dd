// RBM kernels on the GPU (rbm.cu) and the same grids run as host loops (host_grid.cc). Same
// contracts as cpu/rbm.h (layouts, draw offsets, the CD-k chain), from and to host memory.
#pragma once
#include <cstdint>

#include "cpu/rbm.h"

namespace vigil {
namespace cuda {

// Throw CudaError (naming the kernel and the sizes) on any CUDA failure, std::runtime_error when
// the addon has no CUDA.
void rbmHiddenProbs(int64_t N, int64_t V, int64_t H, const float* x, const float* W, const float* c, float* P);
void rbmVisibleMeans(RbmVisible vis, int64_t N, int64_t V, int64_t H, const float* h, const float* W, const float* b,
                     float* X);
void rbmSampleBernoulli(int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, const float* p, float* out);
void rbmFreeEnergy(RbmVisible vis, int64_t N, int64_t V, int64_t H, const float* x, const float* W, const float* b,
                   const float* c, float* F);
double rbmCdGradient(const RbmChain& chain, int64_t m, int64_t V, int64_t H, const float* v0, const float* W,
                     const float* b, const float* c, float* persistentH, uint64_t seed, uint64_t stream, float* dW,
                     float* db, float* dc);

namespace host {
void rbmHiddenProbs(int64_t N, int64_t V, int64_t H, const float* x, const float* W, const float* c, float* P);
void rbmVisibleMeans(RbmVisible vis, int64_t N, int64_t V, int64_t H, const float* h, const float* W, const float* b,
                     float* X);
void rbmSampleBernoulli(int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, const float* p, float* out);
void rbmFreeEnergy(RbmVisible vis, int64_t N, int64_t V, int64_t H, const float* x, const float* W, const float* b,
                   const float* c, float* F);
double rbmCdGradient(const RbmChain& chain, int64_t m, int64_t V, int64_t H, const float* v0, const float* W,
                     const float* b, const float* c, float* persistentH, uint64_t seed, uint64_t stream, float* dW,
                     float* db, float* dc);
}  // namespace host

}  // namespace cuda
}  // namespace vigil
