#include <algorithm>
#include <cstdint>
#include <cstring>
#include <mutex>

#include "cuda/device.h"
#include "cuda/runtime.cuh"

namespace vigil {
namespace cuda {

namespace {
// The errors after which, as the CUDA runtime documents them, the context is unusable until the
// process ends: faults inside a kernel. (No driver or no device also persist, but are not news.)
bool corruptsContext(cudaError_t err) {
  switch (err) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorAssert:
    case cudaErrorLaunchTimeout:
      return true;
    default:
      return false;
  }
}
}  // namespace

void fail(cudaError_t err, const std::string& where, const char* call) {
  // Resets the error when it is not sticky, so the next call starts clean.
  cudaGetLastError();
  const bool sticky = corruptsContext(err);
  std::string msg = where + ": " + call + " failed: " + cudaGetErrorName(err) + ": " + cudaGetErrorString(err);
  if (sticky) msg += " (the CUDA context is lost for this process: restart it to use the GPU again)";
  throw CudaError(msg);
}

void keepPoolMemory() {
  static std::once_flag once;
  std::call_once(once, [] {
    int dev = 0;
    cudaMemPool_t pool;
    // Best effort: without pools (some virtualised GPUs) DeviceBuffer falls back to cudaMalloc.
    if (cudaGetDevice(&dev) == cudaSuccess && cudaDeviceGetDefaultMemPool(&pool, dev) == cudaSuccess) {
      // Up to 1 GiB stays mapped between calls: the working set of repeated calls, without holding
      // a peak's worth of memory away from other processes for good.
      uint64_t keep = uint64_t(1) << 30;
      cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep);
    }
    cudaGetLastError();
  });
}

namespace {

// Two pinned chunks per thread, allocated on first use and kept: pinning memory costs about as much
// as copying it, so it is paid once per worker thread, not per call. 2 x 4 MiB per thread.
constexpr size_t kChunk = size_t(4) << 20;

struct Staging {
  void* buf[2] = {nullptr, nullptr};
  cudaEvent_t done[2] = {nullptr, nullptr};  // the last DMA that used buf[i]
  bool ready = false;

  void init(const std::string& where) {
    if (ready) return;
    for (int i = 0; i < 2; ++i) {
      if (buf[i] == nullptr) check(cudaMallocHost(&buf[i], kChunk), where, "allocating pinned staging memory");
      if (done[i] == nullptr) check(cudaEventCreateWithFlags(&done[i], cudaEventDisableTiming), where, "cudaEventCreate");
    }
    ready = true;
  }
  ~Staging() {
    // At thread exit; errors (a context already torn down at process exit) are of no use here.
    for (int i = 0; i < 2; ++i) {
      if (done[i] != nullptr) cudaEventDestroy(done[i]);
      if (buf[i] != nullptr) cudaFreeHost(buf[i]);
    }
  }
};

Staging& staging(const std::string& where) {
  thread_local Staging s;
  s.init(where);
  return s;
}

}  // namespace

void upload(void* device, const void* host, size_t bytes, cudaStream_t stream, const std::string& where) {
  if (bytes == 0) return;
  Staging& st = staging(where);
  char* dst = static_cast<char*>(device);
  const char* src = static_cast<const char*>(host);
  int b = 0;
  for (size_t off = 0; off < bytes; off += kChunk, b ^= 1) {
    const size_t n = std::min(kChunk, bytes - off);
    check(cudaEventSynchronize(st.done[b]), where, "cudaEventSynchronize (staging)");  // its last DMA is done
    std::memcpy(st.buf[b], src + off, n);
    check(cudaMemcpyAsync(dst + off, st.buf[b], n, cudaMemcpyHostToDevice, stream), where, "cudaMemcpyAsync (upload)");
    check(cudaEventRecord(st.done[b], stream), where, "cudaEventRecord (staging)");
  }
  // The staging buffers are reused by the next call on this thread: wait for both DMAs.
  check(cudaEventSynchronize(st.done[0]), where, "cudaEventSynchronize (staging)");
  check(cudaEventSynchronize(st.done[1]), where, "cudaEventSynchronize (staging)");
}

void download(void* host, const void* device, size_t bytes, cudaStream_t stream, const std::string& where) {
  if (bytes == 0) return;
  Staging& st = staging(where);
  char* dst = static_cast<char*>(host);
  const char* src = static_cast<const char*>(device);
  const size_t chunks = (bytes + kChunk - 1) / kChunk;
  auto part = [&](size_t c) { return std::min(kChunk, bytes - c * kChunk); };
  // Chunk c goes to buf[c % 2]; its DMA is queued before chunk c - 1 is copied out, and chunk c + 1
  // reuses buf[(c + 1) % 2] only after chunk c - 1 has left it.
  for (size_t c = 0; c <= chunks; ++c) {
    if (c < chunks) {
      check(cudaMemcpyAsync(st.buf[c % 2], src + c * kChunk, part(c), cudaMemcpyDeviceToHost, stream), where,
            "cudaMemcpyAsync (download)");
      check(cudaEventRecord(st.done[c % 2], stream), where, "cudaEventRecord (staging)");
    }
    if (c > 0) {
      const size_t p = c - 1;
      check(cudaEventSynchronize(st.done[p % 2]), where, "cudaEventSynchronize (download)");
      std::memcpy(dst + p * kChunk, st.buf[p % 2], part(p));
    }
  }
}

void probeAlloc(double bytes) {
  const std::string where = "probeAlloc (bytes=" + std::to_string(static_cast<uint64_t>(bytes)) + ")";
  Stream stream(where);
  DeviceBuffer<char> buf(static_cast<size_t>(bytes), stream.get(), where);
  stream.sync(where);
}

unsigned gridBlocks(int64_t blocks, unsigned limit, const std::string& where) {
  if (blocks < 1 || blocks > static_cast<int64_t>(limit))
    throw CudaError(where + ": needs " + std::to_string(blocks) + " blocks along a grid dimension, the limit is " +
                    std::to_string(limit));
  return static_cast<unsigned>(blocks);
}

}  // namespace cuda
}  // namespace vigil
