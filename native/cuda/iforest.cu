// Isolation-forest scoring kernel (the CUDA twin of cpu/iforest.cc's iforestScore). The work of
// each phase is in iforest_walk.h, shared with the host emulation; this file is the skeleton.
#include <string>

#include "cpu/iforest.h"
#include "cuda/iforest.h"
#include "cuda/iforest_walk.h"
#include "cuda/runtime.cuh"

namespace vigil {
namespace cuda {

class DeviceForest {
 public:
  int64_t trees = 0;
  int height = 0;
  DeviceBuffer<int32_t> feature;
  DeviceBuffer<float> threshold, leafValue;
};

namespace {

using namespace tile;

__global__ void __launch_bounds__(kRowsPerBlock) iforestKernel(IforestScore p, bool staged) {
  extern __shared__ float rows[];
  const int tid = static_cast<int>(threadIdx.x);
  const int64_t r0 = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock;
  if (staged) {
    iforestStage(tid, p, r0, rows);
    __syncthreads();
  }
  iforestWalk(tid, p, r0, staged ? rows : nullptr);
}

}  // namespace

std::shared_ptr<DeviceForest> iforestUpload(int64_t trees, int height, const int32_t* feature, const float* threshold,
                                            const float* leafValue) {
  const std::string where = "iforestUpload (trees=" + std::to_string(trees) + ", height=" + std::to_string(height) + ")";
  const size_t inner = (size_t(1) << height) - 1;
  auto f = std::make_shared<DeviceForest>();
  f->trees = trees;
  f->height = height;
  // Plain cudaMalloc (no stream): the forest outlives every call that uses it.
  f->feature = DeviceBuffer<int32_t>(static_cast<size_t>(trees) * inner, nullptr, where);
  f->threshold = DeviceBuffer<float>(static_cast<size_t>(trees) * inner, nullptr, where);
  f->leafValue = DeviceBuffer<float>(static_cast<size_t>(trees) * (inner + 1), nullptr, where);
  Stream stream(where);
  upload(f->feature.get(), feature, f->feature.bytes(), stream.get(), where);
  upload(f->threshold.get(), threshold, f->threshold.bytes(), stream.get(), where);
  upload(f->leafValue.get(), leafValue, f->leafValue.bytes(), stream.get(), where);
  stream.sync(where);
  return f;
}

void iforestScore(const DeviceForest& f, const float* x, int64_t rows, int64_t cols, int64_t maxSamples,
                  float* pathLength, float* score) {
  const std::string where = "iforestScore (rows=" + std::to_string(rows) + ", cols=" + std::to_string(cols) +
                            ", trees=" + std::to_string(f.trees) + ", height=" + std::to_string(f.height) + ")";
  const unsigned blocks = gridBlocks((rows + kRowsPerBlock - 1) / kRowsPerBlock, 0x7fffffffu, where);
  const bool staged = iforestStaged(cols);
  const size_t shared = staged ? sizeof(float) * kRowsPerBlock * static_cast<size_t>(iforestStride(cols)) : 0;
  Stream stream(where);
  DeviceBuffer<float> dx(static_cast<size_t>(rows * cols), stream.get(), where);
  DeviceBuffer<float> dPath(pathLength ? static_cast<size_t>(rows) : 0, stream.get(), where);
  DeviceBuffer<float> dScore(score ? static_cast<size_t>(rows) : 0, stream.get(), where);
  upload(dx.get(), x, dx.bytes(), stream.get(), where);
  const IforestScore p{{f.trees, f.height, f.feature.get(), f.threshold.get(), f.leafValue.get()}, dx.get(), rows, cols,
                       iforestAveragePathLength(maxSamples), dPath.get(), dScore.get()};
  iforestKernel<<<blocks, kRowsPerBlock, shared, stream.get()>>>(p, staged);
  checkLaunch(where, "iforestKernel launch");
  if (pathLength) download(pathLength, dPath.get(), dPath.bytes(), stream.get(), where);
  if (score) download(score, dScore.get(), dScore.bytes(), stream.get(), where);
  stream.sync(where);
}

}  // namespace cuda
}  // namespace vigil
