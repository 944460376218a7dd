// Activation kernels (the CUDA twins of cpu/activation.cc). The work is in activation_elem.h,
// shared with the host emulation; this file launches it, on the caller's stream (train.cuh) or
// around copies from and to host memory (activation.h).
#include <string>

#include "cuda/activation.h"
#include "cuda/activation_elem.h"
#include "cuda/launch.cuh"
#include "cuda/train.cuh"

namespace vigil {
namespace cuda {

namespace {

struct Forward {
  Activation kind;
  const float* x;
  float* y;
  __device__ void operator()(int64_t i) const { act::forwardElement(i, kind, x, y); }
};
VIGIL_EACH_KERNEL(forwardKernel, Forward)

struct Backward {
  Activation kind;
  const float *y, *dY;
  float* dX;
  __device__ void operator()(int64_t i) const { act::backwardElement(i, kind, y, dY, dX); }
};
VIGIL_EACH_KERNEL(backwardKernel, Backward)

struct SoftmaxRow {
  int64_t C;
  const float* x;
  float* y;
  __device__ void operator()(int64_t r) const { act::softmaxRow(r, C, x, y); }
};
VIGIL_EACH_KERNEL(softmaxKernel, SoftmaxRow)

struct SoftmaxBackwardRow {
  int64_t C;
  const float *y, *dY;
  float* dX;
  __device__ void operator()(int64_t r) const { act::softmaxBackwardRow(r, C, y, dY, dX); }
};
VIGIL_EACH_KERNEL(softmaxBackwardKernel, SoftmaxBackwardRow)


const char* nameOf(Activation kind) {
  switch (kind) {
    case Activation::Sigmoid: return "sigmoid";
    case Activation::Tanh: return "tanh";
    case Activation::Relu: break;
  }
  return "relu";
}

std::string elementwise(const char* fn, Activation kind, int64_t n) {
  return std::string(fn) + " (" + nameOf(kind) + ", n=" + std::to_string(n) + ")";
}
std::string rows(const char* fn, int64_t N, int64_t C) {
  return std::string(fn) + " (N=" + std::to_string(N) + ", C=" + std::to_string(C) + ")";
}

}  // namespace

namespace dev {

void activationForward(cudaStream_t s, const std::string& where, Activation kind, int64_t n, const float* x, float* y) {
  launchEach(forwardKernel, n, Forward{kind, x, y}, s, where, "activation forward kernel launch");
}
void activationBackward(cudaStream_t s, const std::string& where, Activation kind, int64_t n, const float* y,
                        const float* dY, float* dX) {
  launchEach(backwardKernel, n, Backward{kind, y, dY, dX}, s, where, "activation backward kernel launch");
}
void softmaxForward(cudaStream_t s, const std::string& where, int64_t N, int64_t C, const float* x, float* y) {
  launchEach(softmaxKernel, N, SoftmaxRow{C, x, y}, s, where, "softmax kernel launch");
}
void softmaxBackward(cudaStream_t s, const std::string& where, int64_t N, int64_t C, const float* y, const float* dY,
                     float* dX) {
  launchEach(softmaxBackwardKernel, N, SoftmaxBackwardRow{C, y, dY, dX}, s, where, "softmax backward kernel launch");
}

}  // namespace dev

void activationForward(Activation kind, int64_t n, const float* x, float* y) {
  const std::string where = elementwise("activationForward", kind, n);
  Stream s(where);
  auto dx = copyUp(x, n, s, where);
  auto dy = scratch<float>(n, s, where);
  dev::activationForward(s.get(), where, kind, n, dx.get(), dy.get());
  copyDown(y, dy, s, where);
  s.sync(where);
}

void activationBackward(Activation kind, int64_t n, const float* y, const float* dY, float* dX) {
  const std::string where = elementwise("activationBackward", kind, n);
  Stream s(where);
  auto dy = copyUp(y, n, s, where), dg = copyUp(dY, n, s, where);
  auto dx = scratch<float>(n, s, where);
  dev::activationBackward(s.get(), where, kind, n, dy.get(), dg.get(), dx.get());
  copyDown(dX, dx, s, where);
  s.sync(where);
}

void softmaxForward(int64_t N, int64_t C, const float* x, float* y) {
  const std::string where = rows("softmaxForward", N, C);
  Stream s(where);
  auto dx = copyUp(x, N * C, s, where);
  auto dy = scratch<float>(N * C, s, where);
  dev::softmaxForward(s.get(), where, N, C, dx.get(), dy.get());
  copyDown(y, dy, s, where);
  s.sync(where);
}

void softmaxBackward(int64_t N, int64_t C, const float* y, const float* dY, float* dX) {
  const std::string where = rows("softmaxBackward", N, C);
  Stream s(where);
  auto dy = copyUp(y, N * C, s, where), dg = copyUp(dY, N * C, s, where);
  auto dx = scratch<float>(N * C, s, where);
  dev::softmaxBackward(s.get(), where, N, C, dy.get(), dg.get(), dx.get());
  copyDown(dX, dx, s, where);
  s.sync(where);
}

}  // namespace cuda
}  // namespace vigil
