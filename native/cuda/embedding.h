// Embedding gather and its gradient on the GPU (embedding.cu) and the same grids run as host loops
// (host_grid_train.cc). Same contracts as cpu/embedding.h, from and to host memory; the gradient
// is deterministic (no atomics: embedding_elem.h).
#pragma once
#include <cstdint>



namespace vigil {
namespace cuda {

// Throw CudaError (naming the kernel and the sizes) on any CUDA failure, std::runtime_error when
// the addon has no CUDA.
void embeddingForward(int64_t V, int64_t E, int64_t N, const int32_t* ids, const float* table, float* out);
void embeddingBackward(int64_t V, int64_t E, int64_t N, const int32_t* ids, const float* dOut, float* dTable);

namespace host {
void embeddingForward(int64_t V, int64_t E, int64_t N, const int32_t* ids, const float* table, float* out);
void embeddingBackward(int64_t V, int64_t E, int64_t N, const int32_t* ids, const float* dOut, float* dTable);
}  // namespace host

}  // namespace cuda
}  // namespace vigil
