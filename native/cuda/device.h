// Device discovery: what CUDA devices this process can use. Compiled from device.cu when the
// addon is built with CUDA, from none.cc otherwise; both answer without throwing.
#pragma once
#include <cstddef>
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

}  // namespace cuda
}  // namespace vigil
