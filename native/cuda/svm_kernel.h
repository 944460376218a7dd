// RBF SVM scoring on the GPU (svm_kernel.cu) and the same grid run as host loops (host_grid.cc):
// out[r] = Σ_j coef_j exp(-gamma |x_r - sv_j|²) - rho for x [m, d], sv [nSV, d], as
// cpu/svm_kernel.h's svmDecision with the rbf kernel. The other kernels run on the CPU only.
#pragma once
#include <cstdint>

namespace vigil {
namespace cuda {

void svmDecisionRbf(int64_t m, int64_t d, int64_t nSV, const float* x, const float* sv, const float* coef, double gamma,
                    double rho, float* out);

namespace host {
void svmDecisionRbf(int64_t m, int64_t d, int64_t nSV, const float* x, const float* sv, const float* coef, double gamma,
                    double rho, float* out);
}  // namespace host

}  // namespace cuda
}  // namespace vigil
