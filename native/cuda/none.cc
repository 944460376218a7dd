// Built instead of the .cu files when the addon is compiled without CUDA: discovery answers
// "none", and the device entry points throw (the TypeScript layer never calls them then, since
// backend().cuda is false; the message is for a caller that does anyway).
#include <stdexcept>

#include "cuda/device.h"
#include "cuda/gemm.h"
#include "cuda/iforest.h"
#include "cuda/svm_kernel.h"

namespace vigil {
namespace cuda {

namespace {
constexpr const char* kNoCuda = "vigil was built without CUDA (nvcc was not found at build time, or VIGIL_CUDA=OFF)";
[[noreturn]] void noCuda() { throw std::runtime_error(kNoCuda); }
}  // namespace

bool compiled() { return false; }

std::vector<DeviceInfo> devices(std::string* why) {
  if (why) *why = kNoCuda;
  return {};
}

void probeAlloc(double) { noCuda(); }

class DeviceForest {};

void sgemm(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t, float, float*,
           int64_t) {
  noCuda();
}
std::shared_ptr<DeviceForest> iforestUpload(int64_t, int, const int32_t*, const float*, const float*) { noCuda(); }
void iforestScore(const DeviceForest&, const float*, int64_t, int64_t, int64_t, float*, float*) { noCuda(); }
void svmDecisionRbf(int64_t, int64_t, int64_t, const float*, const float*, const float*, double, double, float*) {
  noCuda();
}

}  // namespace cuda
}  // namespace vigil
