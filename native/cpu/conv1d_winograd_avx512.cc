// The Winograd transforms (conv1d_winograd_kernels.h) on 16-float zmm vectors. Compiled with
// AVX-512 enabled; called only when useAvx512() is true.
#if defined(VIGIL_X86)
#include "cpu/conv1d_winograd_kernels.h"

namespace vigil {
namespace conv1d_detail {

typedef float Vec16 __attribute__((vector_size(64)));
WinogradTransforms winogradAvx512() { return winograd::transformsFor<Vec16, winograd::F43>(); }

}  // namespace conv1d_detail
}  // namespace vigil
#endif
