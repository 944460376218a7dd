// Device discovery: what CUDA devices this process can use. Compiled from device.cu when the
// addon is built with CUDA, from none.cc otherwise; both answer without throwing.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vigil {
namespace cuda {

struct DeviceInfo {
  std::string name;
  size_t memoryBytes;
  int major;  // compute capability
  int minor;
};

// True when this addon was compiled with the CUDA kernels.
bool compiled();
// The usable devices; empty when the addon has no CUDA, or there is no driver or GPU.
// `why` gets a one-line reason when the list is empty.
std::vector<DeviceInfo> devices(std::string* why);

// Test-only: takes `bytes` of device memory on a stream and gives it back, so that the tests can
// provoke an out-of-memory failure and check that it is an exception and that the next call works.
void probeAlloc(double bytes);

// Bench-only: the device's ceilings (ceilings.cu), timed with CUDA events on data resident on the
// device, without the host transfers that every binding call pays: seconds per device-to-device
// copy of `bytes`, and per n x n x n call of the SGEMM kernel (gemm.cu); the mean of `repeats`
// after one untimed call.
double copySeconds(double bytes, int repeats);
double sgemmKernelSeconds(int64_t n, int repeats);

}  // namespace cuda
}  // namespace vigil
