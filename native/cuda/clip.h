// Keras' gradient clipping on the GPU (clip.cu) and the same grids run as host loops
// (host_grid_train.cc). The CPU's clipping is TypeScript (ts/models/optimizers.ts): these follow
// its formulas (clip_elem.h). Gradients are laid out one after another in one array, as a GPU fit
// keeps them (one arena, tensor i at the sum of the sizes before it); out has the same layout.
#pragma once
#include <cstdint>

namespace vigil {
namespace cuda {

// clipvalue, clipnorm (per tensor), globalClipnorm (all tensors by one factor).
enum class ClipMode : int { Value = 0, Norm = 1, GlobalNorm = 2 };

// Throw CudaError (naming the kernel and the sizes) on any CUDA failure, std::runtime_error when
// the addon has no CUDA.
void clipGradients(ClipMode mode, double c, int64_t count, const int64_t* sizes, const float* g, float* out);

namespace host {
void clipGradients(ClipMode mode, double c, int64_t count, const int64_t* sizes, const float* g, float* out);
}  // namespace host

}  // namespace cuda
}  // namespace vigil
