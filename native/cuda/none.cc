// Built instead of the .cu files when the addon is compiled without CUDA: discovery answers
// "none", and the device entry points throw (the TypeScript layer never calls them then, since
// backend().cuda is false; the message is for a caller that does anyway).
#include <atomic>
#include <stdexcept>

#include "cuda/activation.h"
#include "cuda/clip.h"
#include "cuda/conv1d.h"
#include "cuda/dense.h"
#include "cuda/device.h"
#include "cuda/dropout.h"
#include "cuda/embedding.h"
#include "cuda/gemm.h"
#include "cuda/iforest.h"
#include "cuda/loss.h"
#include "cuda/optimizer.h"
#include "cuda/lstm.h"
#include "cuda/rbm.h"
#include "cuda/session.h"
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
double copySeconds(double, int) { noCuda(); }
double sgemmKernelSeconds(int64_t, int) { noCuda(); }

class DeviceForest {};

void sgemm(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t, float, float*,
           int64_t, bool) {
  noCuda();
}
std::shared_ptr<DeviceForest> iforestUpload(int64_t, int, const int32_t*, const float*, const float*) { noCuda(); }
void iforestScore(const DeviceForest&, const float*, int64_t, int64_t, int64_t, float*, float*) { noCuda(); }
void svmDecisionRbf(int64_t, int64_t, int64_t, const float*, const float*, const float*, double, double, float*) {
  noCuda();
}
void conv1dForward(const Conv1dShape&, const float*, const float*, const float*, float*, Conv1dActivation) { noCuda(); }
void conv1dBackward(const Conv1dShape&, const float*, const float*, const float*, float*, float*, float*, const float*,
                    float*) {
  noCuda();
}
void rbmHiddenProbs(int64_t, int64_t, int64_t, const float*, const float*, const float*, float*) { noCuda(); }
void rbmVisibleMeans(RbmVisible, int64_t, int64_t, int64_t, const float*, const float*, const float*, float*) { noCuda(); }
void rbmSampleBernoulli(int64_t, uint64_t, uint64_t, uint64_t, const float*, float*) { noCuda(); }
void rbmFreeEnergy(RbmVisible, int64_t, int64_t, int64_t, const float*, const float*, const float*, const float*, float*) {
  noCuda();
}
double rbmCdGradient(const RbmChain&, int64_t, int64_t, int64_t, const float*, const float*, const float*, const float*,
                     float*, uint64_t, uint64_t, float*, float*, float*) {
  noCuda();
}


void activationForward(Activation, int64_t, const float*, float*) { noCuda(); }
void activationBackward(Activation, int64_t, const float*, const float*, float*) { noCuda(); }
void softmaxForward(int64_t, int64_t, const float*, float*) { noCuda(); }
void softmaxBackward(int64_t, int64_t, const float*, const float*, float*) { noCuda(); }
double binaryCrossentropyLogits(int64_t, int64_t, const float*, const float*, const float*, float*) { noCuda(); }
double sparseCategoricalCrossentropyLogits(int64_t, int64_t, const float*, const int32_t*, const float*, float*) { noCuda(); }
double categoricalCrossentropyLogits(int64_t, int64_t, const float*, const float*, const float*, float*) { noCuda(); }
double meanSquaredError(int64_t, int64_t, const float*, const float*, const float*, float*) { noCuda(); }
double meanAbsoluteError(int64_t, int64_t, const float*, const float*, const float*, float*) { noCuda(); }
void denseForward(int64_t, int64_t, int64_t, const float*, const float*, const float*, float*) { noCuda(); }
void denseBackward(int64_t, int64_t, int64_t, const float*, const float*, const float*, float*, float*, float*) { noCuda(); }
void embeddingForward(int64_t, int64_t, int64_t, const int32_t*, const float*, float*) { noCuda(); }
void embeddingBackward(int64_t, int64_t, int64_t, const int32_t*, const float*, float*) { noCuda(); }
void dropoutForward(int64_t, double, uint64_t, uint64_t, const float*, float*, float*) { noCuda(); }
void dropoutBackward(int64_t, double, uint64_t, uint64_t, const float*, float*) { noCuda(); }
void dropoutApplyMask(int64_t, const float*, const float*, float*) { noCuda(); }
void dropoutSequences(int64_t, int64_t, int64_t, const int32_t*, double, uint64_t, uint64_t, const float*, float*) { noCuda(); }
void sgdStep(int64_t, float, float, bool, float*, const float*, float*) { noCuda(); }
void adamStep(int64_t, int64_t, float, float, float, float, float*, const float*, float*, float*, float*) { noCuda(); }
void rmspropStep(int64_t, float, float, float, float, float*, const float*, float*, float*, float*) { noCuda(); }
void nadamStep(int64_t, int64_t, float, float, float, float, float*, const float*, float*, float*) { noCuda(); }
void clipGradients(ClipMode, double, int64_t, const int64_t*, const float*, float*) { noCuda(); }
void lstmForward(const RecurrentArgs&, float*, float*, float*, float*, float*) { noCuda(); }
void lstmBackward(const RecurrentArgs&, float*, const RecurrentGrads&) { noCuda(); }
void rnnForward(const RecurrentArgs&, float*, float*, float*, float*, float*) { noCuda(); }
void rnnBackward(const RecurrentArgs&, float*, const RecurrentGrads&) { noCuda(); }
// Kept, so the test-only switch reads back what it was given; nothing runs on a device.
namespace {
std::atomic<int> path{0};
}
RecurrentPath setRecurrentPath(RecurrentPath p) { return static_cast<RecurrentPath>(path.exchange(static_cast<int>(p))); }
RecurrentPath recurrentPath() { return static_cast<RecurrentPath>(path.load()); }
RecurrentPath lastRecurrentPath(bool) { return RecurrentPath::Auto; }

std::unique_ptr<session::Session> session::makeCudaSession(const Spec&) { noCuda(); }

}  // namespace cuda
}  // namespace vigil
