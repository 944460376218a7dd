// The implementations one kernel binding can run, for the families whose CUDA twins share the CPU
// kernel's signature (activation, loss, dense, embedding, dropout, optimizer): the CPU kernel, the
// CUDA kernel (from and to host memory), or, test-only, the CUDA kernel's grids run as host loops
// (cuda/host_grid_train.cc, in every build). Arguments are read and checked once, the same way for all three.
#pragma once
#include <cctype>
#include <string>

#include "glue/common.h"

namespace vigil {
namespace glue {

enum class KernelPath { Cpu, Cuda, CudaHost };

// The function of one path; all three have the same type.
template <class F>
F pick(KernelPath p, F cpu, F cuda, F cudaHost) {
  return p == KernelPath::Cpu ? cpu : p == KernelPath::Cuda ? cuda : cudaHost;
}

using PathBinding = std::function<std::function<void()>(Args&, KernelPath)>;

// Registers `name` (CPU), `name + "Cuda"` and `"_cudaHostEmulate" + Name`, each with its Async form.
inline void definePaths(Napi::Env env, Napi::Object exports, const char* name, PathBinding body) {
  std::string host = std::string("_cudaHostEmulate") + name;
  host[16] = static_cast<char>(std::toupper(static_cast<unsigned char>(host[16])));
  define(env, exports, name, [body](Args& a) { return body(a, KernelPath::Cpu); });
  define(env, exports, (std::string(name) + "Cuda").c_str(), [body](Args& a) { return body(a, KernelPath::Cuda); });
  define(env, exports, host.c_str(), [body](Args& a) { return body(a, KernelPath::CudaHost); });
}

}  // namespace glue
}  // namespace vigil
