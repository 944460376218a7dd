// Gradient clipping kernels (the CUDA twins of ts/models/optimizers.ts's clip). The work is in
// clip_elem.h, shared with the host emulation; this file is the skeleton: the two reduction grids'
// barriers and the device memory of one call.
#include <string>
#include <vector>

#include "cuda/clip.h"
#include "cuda/clip_elem.h"
#include "cuda/launch.cuh"
#include "cuda/train.cuh"

namespace vigil {
namespace cuda {

namespace {

using namespace clipk;

__device__ void blockReduce(int tid, double* part) {
  __syncthreads();
  for (int stride = kReduceThreads / 2; stride > 0; stride /= 2) {
    reduceStep(tid, stride, part);
    __syncthreads();
  }
}

// Grid 1: one partial per block (blockIdx.x).
__global__ void __launch_bounds__(kReduceThreads) squaresKernel(int64_t n, int64_t blocks, const float* g,
                                                                double* partials) {
  __shared__ double part[kReduceThreads];
  const int tid = static_cast<int>(threadIdx.x);
  part[tid] = squaresPartial(blockIdx.x, tid, blocks, n, g);
  blockReduce(tid, part);
  if (tid == 0) partials[blockIdx.x] = part[0];
}

// Grid 2: one block over the partials.
__global__ void __launch_bounds__(kReduceThreads) partialsKernel(int64_t blocks, const double* partials, double* sum) {
  __shared__ double part[kReduceThreads];
  const int tid = static_cast<int>(threadIdx.x);
  part[tid] = partialsPartial(tid, blocks, partials);
  blockReduce(tid, part);
  if (tid == 0) *sum = part[0];
}

struct Scale {
  double c;
  const double* sums;
  int64_t count;
  bool global;
  const float* g;
  float* out;
  __device__ void operator()(int64_t i) const { scaleElement(i, scaleOf(c, sums, count, global), g, out); }
};
VIGIL_EACH_KERNEL(scaleKernel, Scale)

struct Value {
  double c;
  const float* g;
  float* out;
  __device__ void operator()(int64_t i) const { valueElement(i, c, g, out); }
};
VIGIL_EACH_KERNEL(valueKernel, Value)


// *sum (device) = Σ g² in double; partials is device scratch of blocksFor(n) doubles.
void sumSquares(cudaStream_t s, const std::string& where, int64_t n, const float* g, double* partials, double* sum) {
  const int64_t blocks = blocksFor(n);
  squaresKernel<<<static_cast<unsigned>(blocks), kReduceThreads, 0, s>>>(n, blocks, g, partials);
  checkLaunch(where, "clip squaresKernel launch");
  partialsKernel<<<1, kReduceThreads, 0, s>>>(blocks, partials, sum);
  checkLaunch(where, "clip partialsKernel launch");
}

}  // namespace

namespace dev {

void clipGradients(cudaStream_t s, const std::string& where, ClipMode mode, double c, int64_t count,
                   const int64_t* sizes, const float* g, float* out) {
  int64_t total = 0, most = 1;
  for (int64_t j = 0; j < count; ++j) {
    total += sizes[j];
    most = blocksFor(sizes[j]) > most ? blocksFor(sizes[j]) : most;
  }
  if (mode == ClipMode::Value) {
    launchEach(valueKernel, total, Value{c, g, out}, s, where, "clip value kernel launch");
    return;
  }
  DeviceBuffer<double> partials(static_cast<size_t>(most), s, where), sums(static_cast<size_t>(count), s, where);
  int64_t at = 0;
  for (int64_t j = 0; j < count; at += sizes[j], ++j) sumSquares(s, where, sizes[j], g + at, partials.get(), sums.get() + j);
  const bool global = mode == ClipMode::GlobalNorm;
  at = 0;
  for (int64_t j = 0; j < count; at += sizes[j], ++j) {
    launchEach(scaleKernel, sizes[j], Scale{c, global ? sums.get() : sums.get() + j, global ? count : 1, global, g + at, out + at},
               s, where, "clip scale kernel launch");
  }
}

}  // namespace dev

void clipGradients(ClipMode mode, double c, int64_t count, const int64_t* sizes, const float* g, float* out) {
  int64_t total = 0;
  for (int64_t j = 0; j < count; ++j) total += sizes[j];
  const char* names[] = {"clipvalue", "clipnorm", "globalClipnorm"};
  const std::string where = std::string("clipGradients (") + names[static_cast<int>(mode)] + ", " + std::to_string(count) +
                            " tensors, " + std::to_string(total) + " elements)";
  Stream s(where);
  auto dg = copyUp(g, total, s, where);
  auto dout = scratch<float>(total, s, where);
  dev::clipGradients(s.get(), where, mode, c, count, sizes, dg.get(), dout.get());
  copyDown(out, dout, s, where);
  s.sync(where);
}

}  // namespace cuda
}  // namespace vigil
