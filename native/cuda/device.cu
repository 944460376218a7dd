#include <cuda_runtime.h>

#include "cuda/device.h"

namespace vigil {
namespace cuda {

bool compiled() { return true; }

std::vector<DeviceInfo> devices(std::string* why) {
  std::vector<DeviceInfo> out;
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    // No driver, or no device: the CPU path is used. Clear the sticky error state.
    if (why) *why = cudaGetErrorString(err);
    cudaGetLastError();
    return out;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp p;
    if (cudaGetDeviceProperties(&p, i) != cudaSuccess) continue;
    out.push_back(DeviceInfo{p.name, p.totalGlobalMem, p.major, p.minor});
  }
  if (out.empty() && why) *why = "no CUDA device found";
  return out;
}

}  // namespace cuda
}  // namespace vigil
