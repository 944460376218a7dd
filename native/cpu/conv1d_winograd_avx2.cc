// The Winograd transforms (conv1d_winograd_kernels.h) on 8-float ymm vectors. Compiled with
// -mavx2 -mfma; called only when useAvx2() is true.
#if defined(VIGIL_X86)
#include "cpu/conv1d_winograd_kernels.h"

namespace vigil {
namespace conv1d_detail {

typedef float Vec8 __attribute__((vector_size(32)));
WinogradTransforms winogradAvx2() { return winograd::transformsFor<Vec8, winograd::F43>(); }

}  // namespace conv1d_detail
}  // namespace vigil
#endif
