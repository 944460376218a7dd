// What the training-step kernels (activation, loss, dense, embedding, dropout, optimizer, clip .cu)
// share: one grid of one thread per index running an operation object whose call operator is a
// VIGIL_HD function from the family's *_elem.h (the host emulation runs the same object in a loop),
// and the host-memory wrappers' copies. CUDA translation units only.
#pragma once
#include <cstdint>
#include <string>

#include "cuda/runtime.cuh"

namespace vigil {
namespace cuda {

constexpr int kEachThreads = 256;

// Defines `name`, a kernel of kEachThreads-thread blocks calling op(i) for every i below n. A macro,
// not a template: nvcc 13's -Werror=missing-launch-bounds does not see the bounds of a template
// kernel's instances, wherever they are written.
#define VIGIL_EACH_KERNEL(name, Op)                                                         \
  __global__ void __launch_bounds__(::vigil::cuda::kEachThreads) name(int64_t n, Op op) {  \
    const int64_t i = static_cast<int64_t>(blockIdx.x) * ::vigil::cuda::kEachThreads + threadIdx.x; \
    if (i < n) op(i);                                                                       \
  }

// kernel(n, op) over [0, n) on `stream`, a VIGIL_EACH_KERNEL; nothing when n == 0.
template <class Op>
void launchEach(void (*kernel)(int64_t, Op), int64_t n, const Op& op, cudaStream_t stream, const std::string& where,
                const char* name) {
  if (n <= 0) return;
  const unsigned blocks = gridBlocks((n + kEachThreads - 1) / kEachThreads, 0x7fffffffu, where);
  kernel<<<blocks, kEachThreads, 0, stream>>>(n, op);
  checkLaunch(where, name);
}

// n elements of device memory on s, filled from host memory (nothing copied when host is null:
// an absent optional argument gives an empty buffer, whose get() is null).
template <class T>
DeviceBuffer<T> copyUp(const T* host, int64_t n, const Stream& s, const std::string& where) {
  DeviceBuffer<T> d(host != nullptr ? static_cast<size_t>(n) : 0, s.get(), where);
  if (host != nullptr) upload(d.get(), host, d.bytes(), s.get(), where);
  return d;
}

// n elements of device memory on s when `want`, else an empty buffer.
template <class T>
DeviceBuffer<T> scratch(int64_t n, const Stream& s, const std::string& where, bool want = true) {
  return DeviceBuffer<T>(want ? static_cast<size_t>(n) : 0, s.get(), where);
}

// Host memory from a device buffer (nothing when host is null).
template <class T>
void copyDown(T* host, const DeviceBuffer<T>& d, const Stream& s, const std::string& where) {
  if (host != nullptr) download(host, d.get(), d.bytes(), s.get(), where);
}

}  // namespace cuda
}  // namespace vigil
