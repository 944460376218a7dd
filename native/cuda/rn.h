// Float arithmetic that nvcc may not fuse. Device code contracts a * b + c into one fmaf by
// default, which rounds once where the CPU kernels (compiled without -mfma on x86-64, so never
// contracted) round twice: the optimizer twins use these so an update is the CPU loop's bits.
// On the host they are the plain operators (host_grid.cc, built without -mfma like cpu/).
#pragma once
#include "cuda/hd.h"

namespace vigil {
namespace cuda {

VIGIL_HD float mulRn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
VIGIL_HD float addRn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}
VIGIL_HD float subRn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}

}  // namespace cuda
}  // namespace vigil
