// Conv1D kernels (the CUDA twins of cpu/conv1d.cc). The work of each phase is in conv1d_elem.h,
// shared with the host emulation; this file is the skeleton: the grids, the reduction's barriers
// and the device memory of one call.
#include <string>

#include "cuda/conv1d.h"
#include "cuda/conv1d_elem.h"
#include "cuda/runtime.cuh"

namespace vigil {
namespace cuda {

namespace {

using namespace conv;

__device__ int64_t globalIndex() { return static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; }

__global__ void __launch_bounds__(kThreads) forwardKernel(Conv s, const float* x, const float* W, const float* b,
                                                          bool relu, float* y, int64_t n) {
  const int64_t e = globalIndex();
  if (e < n) forwardElement(e, s, x, W, b, relu, y);
}

__global__ void __launch_bounds__(kThreads) reluMaskKernel(const float* out, const float* dY, float* dZ, int64_t n) {
  const int64_t i = globalIndex();
  if (i < n) reluMaskElement(i, out, dY, dZ);
}

__global__ void __launch_bounds__(kThreads) inputGradKernel(Conv s, const float* W, const float* dZ, float* dX,
                                                            int64_t n) {
  const int64_t e = globalIndex();
  if (e < n) inputGradElement(e, s, W, dZ, dX);
}

// One block per gradient element (blockIdx.x).
__global__ void __launch_bounds__(kReduceThreads) gradKernel(Grads p) {
  __shared__ float part[kReduceThreads];
  const int tid = static_cast<int>(threadIdx.x);
  const int64_t g = blockIdx.x;
  part[tid] = gradPartial(tid, p, g);
  __syncthreads();
  for (int stride = kReduceThreads / 2; stride > 0; stride /= 2) {
    reduceStep(tid, stride, part);
    __syncthreads();
  }
  gradStore(tid, p, g, part);
}

std::string describe(const char* fn, const Conv1dShape& s) {
  return std::string(fn) + " (B=" + std::to_string(s.batch) + ", T=" + std::to_string(s.time) +
         ", Cin=" + std::to_string(s.inChannels) + ", Cout=" + std::to_string(s.outChannels) +
         ", K=" + std::to_string(s.kernelSize) + ", dilation=" + std::to_string(s.dilation) + ")";
}

unsigned blocksFor(int64_t n, const std::string& where) { return gridBlocks((n + kThreads - 1) / kThreads, 0x7fffffffu, where); }

}  // namespace

void conv1dForward(const Conv1dShape& shape, const float* x, const float* W, const float* b, float* y,
                   Conv1dActivation act) {
  const std::string where = describe("conv1dForward", shape);
  const Conv s = convOf(shape);
  const int64_t nx = s.B * s.T * s.Cin, nw = s.Cout * s.Cin * s.K, ny = s.B * s.Tout * s.Cout;
  const unsigned blocks = blocksFor(ny, where);
  Stream stream(where);
  DeviceBuffer<float> dx(static_cast<size_t>(nx), stream.get(), where), dw(static_cast<size_t>(nw), stream.get(), where);
  DeviceBuffer<float> db(b ? static_cast<size_t>(s.Cout) : 0, stream.get(), where), dy(static_cast<size_t>(ny), stream.get(), where);
  upload(dx.get(), x, dx.bytes(), stream.get(), where);
  upload(dw.get(), W, dw.bytes(), stream.get(), where);
  if (b) upload(db.get(), b, db.bytes(), stream.get(), where);
  forwardKernel<<<blocks, kThreads, 0, stream.get()>>>(s, dx.get(), dw.get(), b ? db.get() : nullptr,
                                                       act == Conv1dActivation::Relu, dy.get(), ny);
  checkLaunch(where, "conv1d forwardKernel launch");
  download(y, dy.get(), dy.bytes(), stream.get(), where);
  stream.sync(where);
}

void conv1dBackward(const Conv1dShape& shape, const float* x, const float* W, const float* dY, float* dX, float* dW,
                    float* db, const float* reluOut, float* dZ) {
  const std::string where = describe("conv1dBackward", shape);
  const Conv s = convOf(shape);
  const int64_t nx = s.B * s.T * s.Cin, nw = s.Cout * s.Cin * s.K, ny = s.B * s.Tout * s.Cout;
  Stream stream(where);
  DeviceBuffer<float> dgy(static_cast<size_t>(ny), stream.get(), where);
  upload(dgy.get(), dY, dgy.bytes(), stream.get(), where);
  if (reluOut) {
    // dZ overwrites dY's copy in place: each element reads only itself.
    DeviceBuffer<float> dout(static_cast<size_t>(ny), stream.get(), where);
    upload(dout.get(), reluOut, dout.bytes(), stream.get(), where);
    reluMaskKernel<<<blocksFor(ny, where), kThreads, 0, stream.get()>>>(dout.get(), dgy.get(), dgy.get(), ny);
    checkLaunch(where, "conv1d reluMaskKernel launch");
    download(dZ, dgy.get(), dgy.bytes(), stream.get(), where);
  }
  DeviceBuffer<float> dw(dX ? static_cast<size_t>(nw) : 0, stream.get(), where);
  DeviceBuffer<float> dx(dW ? static_cast<size_t>(nx) : 0, stream.get(), where);
  if (dX) {
    upload(dw.get(), W, dw.bytes(), stream.get(), where);
    DeviceBuffer<float> ddx(static_cast<size_t>(nx), stream.get(), where);
    inputGradKernel<<<blocksFor(nx, where), kThreads, 0, stream.get()>>>(s, dw.get(), dgy.get(), ddx.get(), nx);
    checkLaunch(where, "conv1d inputGradKernel launch");
    download(dX, ddx.get(), ddx.bytes(), stream.get(), where);
  }
  if (dW || db) {
    if (dW) upload(dx.get(), x, dx.bytes(), stream.get(), where);
    DeviceBuffer<float> ddw(dW ? static_cast<size_t>(nw) : 0, stream.get(), where);
    DeviceBuffer<float> ddb(db ? static_cast<size_t>(s.Cout) : 0, stream.get(), where);
    const Grads p{s, dx.get(), dgy.get(), dW ? ddw.get() : nullptr, db ? ddb.get() : nullptr};
    gradKernel<<<gridBlocks(p.count(), 0x7fffffffu, where), kReduceThreads, 0, stream.get()>>>(p);
    checkLaunch(where, "conv1d gradKernel launch");
    if (dW) download(dW, ddw.get(), ddw.bytes(), stream.get(), where);
    if (db) download(db, ddb.get(), ddb.bytes(), stream.get(), where);
  }
  stream.sync(where);
}

}  // namespace cuda
}  // namespace vigil
