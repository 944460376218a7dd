// Built instead of the .cu files when the addon is compiled without CUDA.
#include "cuda/device.h"

namespace vigil {
namespace cuda {

bool compiled() { return false; }

std::vector<DeviceInfo> devices(std::string* why) {
  if (why) *why = "vigil was built without CUDA (nvcc was not found at install time)";
  return {};
}

}  // namespace cuda
}  // namespace vigil
