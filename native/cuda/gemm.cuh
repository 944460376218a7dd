// The SGEMM kernel on operands already in device memory, for kernels that chain it with their own
// grids (lstm.cu). CUDA translation units only.
#pragma once
#include <string>

#include "cuda/gemm_tile.h"
#include "cuda/runtime.cuh"

namespace vigil {
namespace cuda {

// Queues C = alpha op(A) op(B) + beta C (p's pointers are device memory) on `stream`; a launch
// failure is a CudaError naming `where`.
void sgemmLaunch(const tile::Gemm& p, cudaStream_t stream, const std::string& where);

}  // namespace cuda
}  // namespace vigil
