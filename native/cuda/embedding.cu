// Embedding kernels (the CUDA twins of cpu/embedding.cc). The work is in embedding_elem.h, shared
// with the host emulation; this file launches it.
#include <string>

#include "cuda/embedding.h"
#include "cuda/embedding_elem.h"
#include "cuda/launch.cuh"
#include "cuda/train.cuh"

namespace vigil {
namespace cuda {

namespace {

struct Gather {
  int64_t E;
  const int32_t* ids;
  const float* table;
  float* out;
  __device__ void operator()(int64_t e) const { embk::gatherElement(e, E, ids, table, out); }
};
VIGIL_EACH_KERNEL(gatherKernel, Gather)

struct Scatter {
  int64_t E, N;
  const int32_t* ids;
  const float* dOut;
  float* dTable;
  __device__ void operator()(int64_t e) const { embk::scatterElement(e, E, N, ids, dOut, dTable); }
};
VIGIL_EACH_KERNEL(scatterKernel, Scatter)


std::string sizes(const char* fn, int64_t V, int64_t E, int64_t N) {
  return std::string(fn) + " (V=" + std::to_string(V) + ", E=" + std::to_string(E) + ", N=" + std::to_string(N) + ")";
}

}  // namespace

namespace dev {

void embeddingGather(cudaStream_t s, const std::string& where, int64_t E, int64_t N, const int32_t* ids,
                     const float* table, float* out) {
  launchEach(gatherKernel, N * E, Gather{E, ids, table, out}, s, where, "embedding gather kernel launch");
}
void embeddingScatter(cudaStream_t s, const std::string& where, int64_t V, int64_t E, int64_t N, const int32_t* ids,
                      const float* dOut, float* dTable) {
  launchEach(scatterKernel, V * E, Scatter{E, N, ids, dOut, dTable}, s, where, "embedding scatter kernel launch");
}

}  // namespace dev

void embeddingForward(int64_t V, int64_t E, int64_t N, const int32_t* ids, const float* table, float* out) {
  const std::string where = sizes("embeddingForward", V, E, N);
  Stream s(where);
  auto di = copyUp(ids, N, s, where);
  auto dt = copyUp(table, V * E, s, where);
  auto dout = scratch<float>(N * E, s, where);
  dev::embeddingGather(s.get(), where, E, N, di.get(), dt.get(), dout.get());
  copyDown(out, dout, s, where);
  s.sync(where);
}

void embeddingBackward(int64_t V, int64_t E, int64_t N, const int32_t* ids, const float* dOut, float* dTable) {
  const std::string where = sizes("embeddingBackward", V, E, N);
  Stream s(where);
  auto di = copyUp(ids, N, s, where);
  auto dg = copyUp(dOut, N * E, s, where);
  auto dt = scratch<float>(V * E, s, where);
  dev::embeddingScatter(s.get(), where, V, E, N, di.get(), dg.get(), dt.get());
  copyDown(dTable, dt, s, where);
  s.sync(where);
}

}  // namespace cuda
}  // namespace vigil
