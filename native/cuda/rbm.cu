// RBM kernels (the CUDA twins of cpu/rbm.cc). The work of each grid is in rbm_elem.h, shared with
// the host emulation, and so is the order of the CD-k chain's grids (cdChain); this file holds the
// kernels' skeletons, the free energy's barriers and the device memory of one call.
#include <string>
#include <vector>

#include "cuda/rbm.h"
#include "cuda/rbm_elem.h"
#include "cuda/runtime.cuh"

namespace vigil {
namespace cuda {

namespace {

using namespace rbmk;

__device__ int64_t globalIndex() { return static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; }

__global__ void __launch_bounds__(kThreads) hiddenKernel(int64_t n, int64_t V, int64_t H, const float* x, const float* W,
                                                         const float* c, float* P) {
  const int64_t e = globalIndex();
  if (e < n) hiddenElement(e, V, H, x, W, c, P);
}

__global__ void __launch_bounds__(kThreads) visibleKernel(int64_t n, int64_t V, int64_t H, const float* h, const float* W,
                                                          const float* b, bool squash, float* X) {
  const int64_t e = globalIndex();
  if (e < n) visibleElement(e, V, H, h, W, b, squash, X);
}

__global__ void __launch_bounds__(kThreads) sampleKernel(int64_t n, uint64_t seed, uint64_t stream, uint64_t offset,
                                                         const float* p, float* out) {
  const int64_t i = globalIndex();
  if (i < n) sampleElement(i, seed, stream, offset, p, out);
}

__global__ void __launch_bounds__(kThreads) errorKernel(int64_t m, int64_t V, const float* v0, const float* vm,
                                                        double* err) {
  const int64_t r = globalIndex();
  if (r < m) errorRow(r, V, v0, vm, err);
}

__global__ void __launch_bounds__(kThreads) meanDifferenceKernel(int64_t m, int64_t width, const float* a, const float* b,
                                                                 double inv, float* out) {
  const int64_t i = globalIndex();
  if (i < width) meanDifference(i, m, width, a, b, inv, out);
}

__global__ void __launch_bounds__(kThreads) weightGradKernel(int64_t n, int64_t m, int64_t V, int64_t H, const float* p0,
                                                             const float* v0, const float* pk, const float* vk, float inv,
                                                             float* dW) {
  const int64_t e = globalIndex();
  if (e < n) weightGradElement(e, m, V, H, p0, v0, pk, vk, inv, dW);
}

// One block per row (blockIdx.x).
__global__ void __launch_bounds__(kReduceThreads) freeEnergyKernel(FreeEnergy p) {
  __shared__ double part[kReduceThreads];
  const int tid = static_cast<int>(threadIdx.x);
  const int64_t r = blockIdx.x;
  part[tid] = freeEnergyPartial(tid, p, r);
  __syncthreads();
  for (int stride = kReduceThreads / 2; stride > 0; stride /= 2) {
    reduceStep(tid, stride, part);
    __syncthreads();
  }
  freeEnergyStore(tid, p, r, part);
}

std::string sizes(const char* fn, int64_t N, int64_t V, int64_t H) {
  return std::string(fn) + " (N=" + std::to_string(N) + ", V=" + std::to_string(V) + ", H=" + std::to_string(H) + ")";
}

// One grid of the element-wise kernels on a stream, for cdChain and the single-grid entry points.
struct DeviceGrid {
  cudaStream_t st;
  const std::string& where;
  int64_t V, H;
  const float *W, *b, *c;
  uint64_t seed, stream;

  unsigned blocks(int64_t n) const { return gridBlocks((n + kThreads - 1) / kThreads, 0x7fffffffu, where); }
  void hidden(int64_t n, const float* x, float* P) const {
    hiddenKernel<<<blocks(n * H), kThreads, 0, st>>>(n * H, V, H, x, W, c, P);
    checkLaunch(where, "rbm hiddenKernel launch");
  }
  void visible(int64_t n, const float* h, bool squash, float* X) const {
    visibleKernel<<<blocks(n * V), kThreads, 0, st>>>(n * V, V, H, h, W, b, squash, X);
    checkLaunch(where, "rbm visibleKernel launch");
  }
  void sample(int64_t n, uint64_t offset, const float* p, float* out) const {
    sampleKernel<<<blocks(n), kThreads, 0, st>>>(n, seed, stream, offset, p, out);
    checkLaunch(where, "rbm sampleKernel launch");
  }
  void errors(int64_t m, const float* v0, const float* vm, double* err) const {
    errorKernel<<<blocks(m), kThreads, 0, st>>>(m, V, v0, vm, err);
    checkLaunch(where, "rbm errorKernel launch");
  }
  void copy(float* dst, const float* src, int64_t n) const {
    check(cudaMemcpyAsync(dst, src, sizeof(float) * static_cast<size_t>(n), cudaMemcpyDeviceToDevice, st), where,
          "cudaMemcpyAsync (device to device)");
  }
  void meanDifference(int64_t m, int64_t width, const float* a, const float* bb, double inv, float* out) const {
    meanDifferenceKernel<<<blocks(width), kThreads, 0, st>>>(m, width, a, bb, inv, out);
    checkLaunch(where, "rbm meanDifferenceKernel launch");
  }
  void weightGrad(int64_t m, const float* p0, const float* v0, const float* pk, const float* vk, float inv,
                  float* dW) const {
    weightGradKernel<<<blocks(H * V), kThreads, 0, st>>>(H * V, m, V, H, p0, v0, pk, vk, inv, dW);
    checkLaunch(where, "rbm weightGradKernel launch");
  }
};

template <class T>
DeviceBuffer<T> alloc(int64_t n, const Stream& s, const std::string& where) {
  return DeviceBuffer<T>(static_cast<size_t>(n), s.get(), where);
}

template <class T>
DeviceBuffer<T> copyUp(const T* host, int64_t n, const Stream& s, const std::string& where) {
  DeviceBuffer<T> d = alloc<T>(n, s, where);
  upload(d.get(), host, d.bytes(), s.get(), where);
  return d;
}

}  // namespace

void rbmHiddenProbs(int64_t N, int64_t V, int64_t H, const float* x, const float* W, const float* c, float* P) {
  const std::string where = sizes("rbmHiddenProbs", N, V, H);
  Stream s(where);
  auto dx = copyUp(x, N * V, s, where), dW = copyUp(W, H * V, s, where), dc = copyUp(c, H, s, where);
  auto dP = alloc<float>(N * H, s, where);
  DeviceGrid{s.get(), where, V, H, dW.get(), nullptr, dc.get(), 0, 0}.hidden(N, dx.get(), dP.get());
  download(P, dP.get(), dP.bytes(), s.get(), where);
  s.sync(where);
}

void rbmVisibleMeans(RbmVisible vis, int64_t N, int64_t V, int64_t H, const float* h, const float* W, const float* b,
                     float* X) {
  const std::string where = sizes("rbmVisibleMeans", N, V, H);
  Stream s(where);
  auto dh = copyUp(h, N * H, s, where), dW = copyUp(W, H * V, s, where), db = copyUp(b, V, s, where);
  auto dX = alloc<float>(N * V, s, where);
  DeviceGrid{s.get(), where, V, H, dW.get(), db.get(), nullptr, 0, 0}.visible(N, dh.get(), vis == RbmVisible::Bernoulli,
                                                                               dX.get());
  download(X, dX.get(), dX.bytes(), s.get(), where);
  s.sync(where);
}

void rbmSampleBernoulli(int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, const float* p, float* out) {
  const std::string where = "rbmSampleBernoulli (n=" + std::to_string(n) + ")";
  Stream s(where);
  auto dp = copyUp(p, n, s, where);
  DeviceGrid{s.get(), where, 0, 0, nullptr, nullptr, nullptr, seed, stream}.sample(n, offset, dp.get(), dp.get());
  download(out, dp.get(), dp.bytes(), s.get(), where);
  s.sync(where);
}

void rbmFreeEnergy(RbmVisible vis, int64_t N, int64_t V, int64_t H, const float* x, const float* W, const float* b,
                   const float* c, float* F) {
  const std::string where = sizes("rbmFreeEnergy", N, V, H);
  const unsigned blocks = gridBlocks(N, 0x7fffffffu, where);
  Stream s(where);
  auto dx = copyUp(x, N * V, s, where), dW = copyUp(W, H * V, s, where);
  auto db = copyUp(b, V, s, where), dc = copyUp(c, H, s, where);
  auto dF = alloc<float>(N, s, where);
  const FreeEnergy p{vis == RbmVisible::Gaussian, V, H, dx.get(), dW.get(), db.get(), dc.get(), dF.get()};
  freeEnergyKernel<<<blocks, kReduceThreads, 0, s.get()>>>(p);
  checkLaunch(where, "rbm freeEnergyKernel launch");
  download(F, dF.get(), dF.bytes(), s.get(), where);
  s.sync(where);
}

double rbmCdGradient(const RbmChain& chain, int64_t m, int64_t V, int64_t H, const float* v0, const float* W,
                     const float* b, const float* c, float* persistentH, uint64_t seed, uint64_t stream, float* dW,
                     float* db, float* dc) {
  const std::string where = sizes("rbmCdGradient", m, V, H) + " k=" + std::to_string(chain.gibbsSteps) +
                            (chain.persistent ? " persistent" : "");
  Stream s(where);
  auto dv0 = copyUp(v0, m * V, s, where), dWt = copyUp(W, H * V, s, where);
  auto dbv = copyUp(b, V, s, where), dcv = copyUp(c, H, s, where);
  auto dchain = chain.persistent ? copyUp(persistentH, m * H, s, where) : DeviceBuffer<float>();
  auto p0 = alloc<float>(m * H, s, where), pk = alloc<float>(m * H, s, where), h = alloc<float>(m * H, s, where);
  auto vm = alloc<float>(m * V, s, where), vk = alloc<float>(m * V, s, where);
  auto err = alloc<double>(m, s, where);
  auto gW = alloc<float>(H * V, s, where), gb = alloc<float>(V, s, where), gc = alloc<float>(H, s, where);
  const Cd d{chain, m, V, H, seed, stream, dv0.get(), dWt.get(), dbv.get(), dcv.get(), p0.get(), pk.get(), h.get(),
             vm.get(), vk.get(), err.get(), dchain.get(), gW.get(), gb.get(), gc.get()};
  DeviceGrid g{s.get(), where, V, H, dWt.get(), dbv.get(), dcv.get(), seed, stream};
  cdChain(g, d);
  download(dW, gW.get(), gW.bytes(), s.get(), where);
  download(db, gb.get(), gb.bytes(), s.get(), where);
  download(dc, gc.get(), gc.bytes(), s.get(), where);
  if (chain.persistent) download(persistentH, dchain.get(), dchain.bytes(), s.get(), where);
  std::vector<double> rows(static_cast<size_t>(m));
  download(rows.data(), err.get(), err.bytes(), s.get(), where);
  s.sync(where);
  double total = 0.0;
  for (double e : rows) total += e;  // rows in order, as the CPU
  return total;
}

}  // namespace cuda
}  // namespace vigil
