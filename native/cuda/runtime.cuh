// The device model every CUDA entry point uses (runtime.cu): failures as exceptions that name the
// kernel and its sizes, one stream per call, device memory and pinned staging owned by RAII
// objects, so an exception on any line frees what the call had taken. CUDA translation units only.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

namespace vigil {
namespace cuda {

// Any CUDA failure. `what()` reads "<where>: <call> failed: <CUDA error name>: <description>",
// where `where` names the kernel and its sizes, e.g. "sgemm (M=4096, N=4096, K=4096)". The glue
// turns it into a JS Error; nothing aborts the process.
class CudaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws CudaError for err. Errors that leave the context usable (out of memory, a bad launch
// configuration) are cleared first, so the next call works; errors CUDA keeps for the rest of the
// process (an illegal address in a kernel) say so in the message.
[[noreturn]] void fail(cudaError_t err, const std::string& where, const char* call);
inline void check(cudaError_t err, const std::string& where, const char* call) {
  if (err != cudaSuccess) fail(err, where, call);
}
// After a kernel launch: a bad configuration shows here, a fault in the kernel at the next sync.
inline void checkLaunch(const std::string& where, const char* kernel) { check(cudaGetLastError(), where, kernel); }

// A non-blocking stream for one call: concurrent calls (from libuv workers) do not serialise on
// the legacy default stream. Destroying it does not wait; pending work still completes.
class Stream {
 public:
  explicit Stream(const std::string& where) { check(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking), where, "cudaStreamCreate"); }
  ~Stream() { cudaStreamDestroy(s_); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return s_; }
  void sync(const std::string& where) const { check(cudaStreamSynchronize(s_), where, "cudaStreamSynchronize"); }

 private:
  cudaStream_t s_ = nullptr;
};

// Lets the current device's default memory pool keep up to 1 GiB of what calls free (it hands memory
// back to the driver at every synchronisation otherwise: each per-call buffer would cost a cudaMalloc).
void keepPoolMemory();

// n elements of device memory: stream-ordered (cudaMallocAsync, from the device's pool: cheap per
// call) when a stream is given, else plain cudaMalloc (long-lived data such as a resident forest).
// The stream must outlive the buffer: declare the Stream first.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(size_t n, cudaStream_t stream, const std::string& where) : n_(n), stream_(stream) {
    if (n == 0) return;
    void* p = nullptr;
    const size_t bytes = n * sizeof(T);
    if (stream != nullptr) {
      keepPoolMemory();
      cudaError_t err = cudaMallocAsync(&p, bytes, stream);
      if (err == cudaErrorNotSupported) {  // no memory pools (some virtualised GPUs)
        cudaGetLastError();
        stream_ = nullptr;
        err = cudaMalloc(&p, bytes);
      }
      check(err, where, ("allocating " + std::to_string(bytes) + " bytes of device memory").c_str());
    } else {
      check(cudaMalloc(&p, bytes), where, ("allocating " + std::to_string(bytes) + " bytes of device memory").c_str());
    }
    p_ = static_cast<T*>(p);
  }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(DeviceBuffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(o.n_), stream_(o.stream_) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      release();
      p_ = std::exchange(o.p_, nullptr);
      n_ = o.n_;
      stream_ = o.stream_;
    }
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  T* get() const { return p_; }
  size_t size() const { return n_; }
  size_t bytes() const { return n_ * sizeof(T); }

 private:
  void release() {
    if (p_ == nullptr) return;
    if (stream_ != nullptr) cudaFreeAsync(p_, stream_);
    else cudaFree(p_);
    p_ = nullptr;
  }
  T* p_ = nullptr;
  size_t n_ = 0;
  cudaStream_t stream_ = nullptr;
};

// Host <-> device copies of caller memory (JS buffers, pageable) through this thread's pinned
// staging buffers, in chunks: the copy into one pinned chunk overlaps the DMA of the other. Both
// return once the caller's memory may be reused (upload) or holds the data (download).
void upload(void* device, const void* host, size_t bytes, cudaStream_t stream, const std::string& where);
void download(void* host, const void* device, size_t bytes, cudaStream_t stream, const std::string& where);

// Grid dimensions as CUDA takes them, or a CudaError naming the kernel when the problem needs more
// blocks than a grid dimension holds.
unsigned gridBlocks(int64_t blocks, unsigned limit, const std::string& where);

}  // namespace cuda
}  // namespace vigil
