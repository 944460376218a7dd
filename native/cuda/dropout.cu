// Dropout kernels (the CUDA twins of cpu/dropout.cc). The work is in dropout_elem.h, shared with
// the host emulation; the keep threshold and scale come from the CPU's own functions, so the masks
// are the CPU kernel's.
#include <string>

#include "cpu/dropout.h"
#include "cuda/dropout.h"
#include "cuda/dropout_elem.h"
#include "cuda/launch.cuh"
#include "cuda/train.cuh"

namespace vigil {
namespace cuda {

namespace {

using dropk::Mask;

struct Forward {
  int64_t n;
  Mask m;
  const float* x;
  float* y;
  float* mask;
  __device__ void operator()(int64_t q) const { dropk::forwardGroup(q, n, m, x, y, mask); }
};
VIGIL_EACH_KERNEL(forwardKernel, Forward)

struct Sequences {
  int64_t T, F, n;
  const int32_t* lengths;
  Mask m;
  const float* x;
  float* y;
  __device__ void operator()(int64_t q) const { dropk::sequenceGroup(q, T, F, n, lengths, m, x, y); }
};
VIGIL_EACH_KERNEL(sequencesKernel, Sequences)

struct ApplyMask {
  const float *mask, *dY;
  float* dX;
  __device__ void operator()(int64_t i) const { dropk::applyMaskElement(i, mask, dY, dX); }
};
VIGIL_EACH_KERNEL(applyMaskKernel, ApplyMask)


Mask maskOf(double rate, uint64_t seed, uint64_t stream) {
  return Mask{dropout::keepThreshold(rate), static_cast<float>(1.0 / (1.0 - rate)), seed, stream};
}
int64_t groups(int64_t n) { return (n + 3) / 4; }

std::string sizes(const char* fn, int64_t n, double rate) {
  return std::string(fn) + " (n=" + std::to_string(n) + ", rate=" + std::to_string(rate) + ")";
}

}  // namespace

namespace dev {

void dropoutForward(cudaStream_t s, const std::string& where, int64_t n, const Mask& m, const float* x, float* y,
                    float* mask) {
  launchEach(forwardKernel, groups(n), Forward{n, m, x, y, mask}, s, where, "dropout kernel launch");
}
void dropoutSequences(cudaStream_t s, const std::string& where, int64_t B, int64_t T, int64_t F, const int32_t* lengths,
                      const Mask& m, const float* x, float* y) {
  const int64_t n = B * T * F;
  launchEach(sequencesKernel, groups(n), Sequences{T, F, n, lengths, m, x, y}, s, where, "dropout sequences kernel launch");
}
void dropoutApplyMask(cudaStream_t s, const std::string& where, int64_t n, const float* mask, const float* dY, float* dX) {
  launchEach(applyMaskKernel, n, ApplyMask{mask, dY, dX}, s, where, "dropout mask kernel launch");
}

}  // namespace dev

void dropoutForward(int64_t n, double rate, uint64_t seed, uint64_t stream, const float* x, float* y, float* mask) {
  const std::string where = sizes("dropoutForward", n, rate);
  Stream s(where);
  auto dx = copyUp(x, n, s, where);
  auto dm = scratch<float>(n, s, where, mask != nullptr);
  // y overwrites x's copy: each element reads only itself.
  dev::dropoutForward(s.get(), where, n, maskOf(rate, seed, stream), dx.get(), dx.get(), dm.get());
  copyDown(y, dx, s, where);
  copyDown(mask, dm, s, where);
  s.sync(where);
}

void dropoutBackward(int64_t n, double rate, uint64_t seed, uint64_t stream, const float* dY, float* dX) {
  dropoutForward(n, rate, seed, stream, dY, dX, nullptr);
}

void dropoutApplyMask(int64_t n, const float* mask, const float* dY, float* dX) {
  const std::string where = "dropoutApplyMask (n=" + std::to_string(n) + ")";
  Stream s(where);
  auto dm = copyUp(mask, n, s, where), dg = copyUp(dY, n, s, where);
  dev::dropoutApplyMask(s.get(), where, n, dm.get(), dg.get(), dg.get());
  copyDown(dX, dg, s, where);
  s.sync(where);
}

void dropoutSequences(int64_t B, int64_t T, int64_t F, const int32_t* lengths, double rate, uint64_t seed,
                      uint64_t stream, const float* x, float* y) {
  const int64_t n = B * T * F;
  const std::string where = "dropoutSequences (B=" + std::to_string(B) + ", T=" + std::to_string(T) +
                            ", F=" + std::to_string(F) + ", rate=" + std::to_string(rate) + ")";
  Stream s(where);
  auto dl = copyUp(lengths, B, s, where);
  auto dx = copyUp(x, n, s, where);
  dev::dropoutSequences(s.get(), where, B, T, F, dl.get(), maskOf(rate, seed, stream), dx.get(), dx.get());
  copyDown(y, dx, s, where);
  s.sync(where);
}

}  // namespace cuda
}  // namespace vigil
