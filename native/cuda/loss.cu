// Loss kernels (the CUDA twins of cpu/loss.cc). The work is in loss_elem.h, shared with the host
// emulation; this file is the skeleton: the per-sample grid, the one-block sum with its barriers,
// and the device memory of one call.
#include <string>

#include "cuda/launch.cuh"
#include "cuda/loss.h"
#include "cuda/loss_elem.h"
#include "cuda/train.cuh"

namespace vigil {
namespace cuda {

namespace {

using namespace lossk;

struct Row {
  Rows p;
  __device__ void operator()(int64_t i) const { rowElement(i, p); }
};
VIGIL_EACH_KERNEL(rowKernel, Row)


__global__ void __launch_bounds__(kReduceThreads) sumKernel(int64_t N, const double* weighted, double* out) {
  __shared__ double part[kReduceThreads];
  const int tid = static_cast<int>(threadIdx.x);
  part[tid] = sumPartial(tid, N, weighted);
  __syncthreads();
  for (int stride = kReduceThreads / 2; stride > 0; stride /= 2) {
    reduceStep(tid, stride, part);
    __syncthreads();
  }
  sumStore(tid, N, part, out);
}

const char* nameOf(Kind k) {
  switch (k) {
    case Kind::BinaryCrossentropy: return "binaryCrossentropyLogits";
    case Kind::CategoricalCrossentropy: return "categoricalCrossentropyLogits";
    case Kind::SparseCategoricalCrossentropy: return "sparseCategoricalCrossentropyLogits";
    case Kind::MeanSquared: return "meanSquaredError";
    case Kind::MeanAbsolute: break;
  }
  return "meanAbsoluteError";
}

// One loss from and to host memory.
double run(Kind kind, int64_t N, int64_t C, const float* z, const float* t, const int32_t* labels, const float* w,
           float* grad) {
  const std::string where = std::string(nameOf(kind)) + " (N=" + std::to_string(N) + ", C=" + std::to_string(C) + ")";
  Stream s(where);
  auto dz = copyUp(z, N * C, s, where), dt = copyUp(t, N * C, s, where), dw = copyUp(w, N, s, where);
  auto dl = copyUp(labels, N, s, where);
  auto dg = scratch<float>(N * C, s, where, grad != nullptr);
  auto weighted = scratch<double>(N, s, where), out = scratch<double>(1, s, where);
  const Rows p{kind, N, C, dz.get(), dt.get(), dl.get(), dw.get(), dg.get(), weighted.get()};
  dev::loss(s.get(), where, p, out.get());
  copyDown(grad, dg, s, where);
  double value = 0.0;
  copyDown(&value, out, s, where);
  s.sync(where);
  return value;
}

}  // namespace

namespace dev {

void loss(cudaStream_t s, const std::string& where, const Rows& rows, double* out) {
  launchEach(rowKernel, rows.N, Row{rows}, s, where, "loss rows kernel launch");
  sumKernel<<<1, kReduceThreads, 0, s>>>(rows.N, rows.weighted, out);
  checkLaunch(where, "loss sumKernel launch");
}

}  // namespace dev

double binaryCrossentropyLogits(int64_t N, int64_t C, const float* z, const float* y, const float* w, float* grad) {
  return run(Kind::BinaryCrossentropy, N, C, z, y, nullptr, w, grad);
}
double sparseCategoricalCrossentropyLogits(int64_t N, int64_t C, const float* z, const int32_t* labels, const float* w,
                                           float* grad) {
  return run(Kind::SparseCategoricalCrossentropy, N, C, z, nullptr, labels, w, grad);
}
double categoricalCrossentropyLogits(int64_t N, int64_t C, const float* z, const float* t, const float* w, float* grad) {
  return run(Kind::CategoricalCrossentropy, N, C, z, t, nullptr, w, grad);
}
double meanSquaredError(int64_t N, int64_t C, const float* p, const float* t, const float* w, float* grad) {
  return run(Kind::MeanSquared, N, C, p, t, nullptr, w, grad);
}
double meanAbsoluteError(int64_t N, int64_t C, const float* p, const float* t, const float* w, float* grad) {
  return run(Kind::MeanAbsolute, N, C, p, t, nullptr, w, grad);
}

}  // namespace cuda
}  // namespace vigil
