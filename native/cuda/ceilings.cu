// The device's ceilings for the bench (cuda/device.h): what a device-to-device copy and the SGEMM
// kernel reach on data already on the device, timed with CUDA events. The bench prints them beside
// the kernels' whole-call timings, which include the host transfers.
#include <string>

#include "cuda/device.h"
#include "cuda/gemm.cuh"
#include "cuda/runtime.cuh"

namespace vigil {
namespace cuda {

namespace {

// Events on one stream around `repeats` calls of f (after one untimed call): mean seconds per call.
template <class F>
double eventSeconds(const Stream& s, const std::string& where, int repeats, F&& f) {
  cudaEvent_t start = nullptr, stop = nullptr;
  check(cudaEventCreate(&start), where, "cudaEventCreate");
  struct Events {
    cudaEvent_t& a;
    cudaEvent_t& b;
    ~Events() {
      if (a) cudaEventDestroy(a);
      if (b) cudaEventDestroy(b);
    }
  } owned{start, stop};
  check(cudaEventCreate(&stop), where, "cudaEventCreate");
  f();
  check(cudaEventRecord(start, s.get()), where, "cudaEventRecord");
  for (int i = 0; i < repeats; ++i) f();
  check(cudaEventRecord(stop, s.get()), where, "cudaEventRecord");
  check(cudaEventSynchronize(stop), where, "cudaEventSynchronize");
  float ms = 0.0f;
  check(cudaEventElapsedTime(&ms, start, stop), where, "cudaEventElapsedTime");
  return static_cast<double>(ms) * 1e-3 / repeats;
}

}  // namespace

double copySeconds(double bytes, int repeats) {
  const std::string where = "copySeconds (bytes=" + std::to_string(static_cast<uint64_t>(bytes)) + ")";
  const size_t n = static_cast<size_t>(bytes);
  Stream s(where);
  DeviceBuffer<char> a(n, s.get(), where), b(n, s.get(), where);
  check(cudaMemsetAsync(a.get(), 1, n, s.get()), where, "cudaMemsetAsync");
  return eventSeconds(s, where, repeats, [&] {
    check(cudaMemcpyAsync(b.get(), a.get(), n, cudaMemcpyDeviceToDevice, s.get()), where, "cudaMemcpyAsync");
  });
}

double sgemmKernelSeconds(int64_t n, int repeats) {
  const std::string where = "sgemmKernelSeconds (n=" + std::to_string(n) + ")";
  const size_t len = static_cast<size_t>(n * n);
  Stream s(where);
  DeviceBuffer<float> A(len, s.get(), where), B(len, s.get(), where), C(len, s.get(), where);
  // Any finite operands do: the kernel's time does not depend on the values.
  check(cudaMemsetAsync(A.get(), 0, A.bytes(), s.get()), where, "cudaMemsetAsync");
  check(cudaMemsetAsync(B.get(), 0, B.bytes(), s.get()), where, "cudaMemsetAsync");
  const tile::Gemm p{false, false, n, n, n, 1.0f, A.get(), n, B.get(), n, 0.0f, C.get(), n,
                     tile::vec4Ok(A.get(), n), tile::vec4Ok(B.get(), n)};
  return eventSeconds(s, where, repeats, [&] { sgemmLaunch(p, s.get(), where); });
}

}  // namespace cuda
}  // namespace vigil
