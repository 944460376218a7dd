#include <cuda_runtime.h>

#include <string>

#include "cuda/device.h"

namespace vigil {
namespace cuda {

bool compiled() { return true; }

namespace {

std::vector<DeviceInfo> discover(std::string* why) {
  std::vector<DeviceInfo> out;
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    // No driver, or no device: the CPU path is used. Clear the sticky error state.
    if (why) {
      // The runtime says "insufficient driver" when there is no driver at all: say both.
      *why = err == cudaErrorInsufficientDriver
                 ? "no NVIDIA driver, or one older than the CUDA " + std::to_string(CUDART_VERSION / 1000) + "." +
                       std::to_string(CUDART_VERSION % 1000 / 10) + " runtime vigil was built with"
                 : std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err);
    }
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

}  // namespace

// The devices a process sees do not change while it runs, and asking the driver costs a context
// query: discovered once (thread-safe static), answered from memory after that.
std::vector<DeviceInfo> devices(std::string* why) {
  struct Found {
    std::vector<DeviceInfo> list;
    std::string why;
  };
  static const Found found = [] {
    Found f;
    f.list = discover(&f.why);
    return f;
  }();
  if (why) *why = found.why;
  return found.list;
}

}  // namespace cuda
}  // namespace vigil
