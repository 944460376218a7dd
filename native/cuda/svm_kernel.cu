// RBF SVM scoring kernel (the CUDA twin of cpu/svm_kernel.cc's svmDecision for rbf). The work of
// each phase is in svm_tile.h, shared with the host emulation; this file is the skeleton.
#include <string>

#include "cuda/runtime.cuh"
#include "cuda/svm_kernel.h"
#include "cuda/svm_tile.h"

namespace vigil {
namespace cuda {

namespace {

using namespace tile;

__global__ void __launch_bounds__(kThreads) svmRbfKernel(SvmRbf p) {
  __shared__ SvmShared s;
  const int tx = static_cast<int>(threadIdx.x), ty = static_cast<int>(threadIdx.y), tid = ty * kTX + tx;
  const int64_t r0 = static_cast<int64_t>(blockIdx.x) * kBM;
  float part[kTM] = {};
  for (int64_t j0 = 0; j0 < p.nSV; j0 += kBN) {
    Acc d2 = {};
    for (int64_t k0 = 0; k0 < p.d; k0 += kBK) {
      svmLoad(tid, p, s, r0, j0, k0);
      __syncthreads();
      svmDistance(tx, ty, s, d2);
      __syncthreads();
    }
    svmAccumulate(tx, p, j0, d2, part);
  }
  svmPartials(tx, ty, s, part);
  __syncthreads();
  svmFinish(tid, p, s, r0);
}

}  // namespace

void svmDecisionRbf(int64_t m, int64_t d, int64_t nSV, const float* x, const float* sv, const float* coef, double gamma,
                    double rho, float* out) {
  const std::string where = "svmDecisionRbf (m=" + std::to_string(m) + ", d=" + std::to_string(d) +
                            ", nSV=" + std::to_string(nSV) + ")";
  const unsigned blocks = gridBlocks((m + kBM - 1) / kBM, 0x7fffffffu, where);
  Stream stream(where);
  DeviceBuffer<float> dx(static_cast<size_t>(m * d), stream.get(), where);
  DeviceBuffer<float> dsv(static_cast<size_t>(nSV * d), stream.get(), where);
  DeviceBuffer<float> dcoef(static_cast<size_t>(nSV), stream.get(), where);
  DeviceBuffer<float> dout(static_cast<size_t>(m), stream.get(), where);
  upload(dx.get(), x, dx.bytes(), stream.get(), where);
  upload(dsv.get(), sv, dsv.bytes(), stream.get(), where);
  upload(dcoef.get(), coef, dcoef.bytes(), stream.get(), where);
  const SvmRbf p{m, d, nSV, dx.get(), dsv.get(), dcoef.get(), static_cast<float>(gamma), rho, dout.get(),
                 vec4Ok(dx.get(), d), vec4Ok(dsv.get(), d)};
  svmRbfKernel<<<blocks, dim3(kTX, kTY), 0, stream.get()>>>(p);
  checkLaunch(where, "svmRbfKernel launch");
  download(out, dout.get(), dout.bytes(), stream.get(), where);
  stream.sync(where);
}

}  // namespace cuda
}  // namespace vigil
