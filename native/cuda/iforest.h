// Isolation-forest scoring on the GPU (iforest.cu) and the same grid run as host loops
// (host_grid.cc). Layout and outputs as cpu/iforest.h's iforestScore.
#pragma once
#include <cstdint>
#include <memory>

namespace vigil {
namespace cuda {

// A forest copied to device 0 once and kept there (freed with the object).
class DeviceForest;

// Copies a forest (the flat layout of cpu/iforest.h) to the device. Throws CudaError on failure.
std::shared_ptr<DeviceForest> iforestUpload(int64_t trees, int height, const int32_t* feature, const float* threshold,
                                            const float* leafValue);

// Scores x [rows, cols] (every feature of the forest < cols) with a forest on the device:
// pathLength[r] = E[h(x_r)], score[r] = 2^(-E[h]/c(maxSamples)); either output may be nullptr.
void iforestScore(const DeviceForest& forest, const float* x, int64_t rows, int64_t cols, int64_t maxSamples,
                  float* pathLength, float* score);

namespace host {
void iforestScore(int64_t trees, int height, const int32_t* feature, const float* threshold, const float* leafValue,
                  const float* x, int64_t rows, int64_t cols, int64_t maxSamples, float* pathLength, float* score);
}  // namespace host

}  // namespace cuda
}  // namespace vigil
