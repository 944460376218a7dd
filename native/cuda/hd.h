// Functions marked VIGIL_HD run in two places: inside the CUDA kernels (native/cuda/*.cu) and in
// host_grid.cc, which runs the same kernels' grids as plain host loops. nvcc compiles them for both
// sides; a plain C++ compiler (builds without CUDA) sees ordinary inline functions. So the work a
// kernel does per element, per tile and per thread is tested by `npm test` on machines without a
// GPU; only the kernels' skeletons (the loop over tiles and the barriers between phases) are not.
#pragma once
#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define VIGIL_HD __host__ __device__ inline
#else
#define VIGIL_HD inline
#endif

namespace vigil {
namespace cuda {

// cpu/activation_math.h's sigmoidScalar, for the recurrent gates and the RBM's conditionals. expf
// differs between host and device libraries in the last bits, so results agree to ~1 ulp, not bit
// for bit.
VIGIL_HD float sigmoidOf(float z) { return 1.0f / (1.0f + expf(-z)); }

}  // namespace cuda
}  // namespace vigil
