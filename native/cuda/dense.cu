// The dense layer on the GPU (the CUDA twin of cpu/dense.cc): the products are the SGEMM kernel
// (gemm.cu), the bias add and the bias gradient are dense_elem.h's, shared with the host emulation.
#include <string>

#include "cuda/dense.h"
#include "cuda/dense_elem.h"
#include "cuda/launch.cuh"
#include "cuda/train.cuh"

namespace vigil {
namespace cuda {

namespace {

struct BiasAdd {
  int64_t out;
  const float* b;
  float* y;
  __device__ void operator()(int64_t e) const { densek::biasAddElement(e, out, b, y); }
};
VIGIL_EACH_KERNEL(biasAddKernel, BiasAdd)

struct BiasGrad {
  int64_t N, out;
  const float* dY;
  float* db;
  __device__ void operator()(int64_t c) const { densek::biasGradColumn(c, N, out, dY, db); }
};
VIGIL_EACH_KERNEL(biasGradKernel, BiasGrad)


std::string sizes(const char* fn, int64_t N, int64_t in, int64_t out) {
  return std::string(fn) + " (N=" + std::to_string(N) + ", in=" + std::to_string(in) + ", out=" + std::to_string(out) + ")";
}

}  // namespace

namespace dev {

void biasAdd(cudaStream_t s, const std::string& where, int64_t N, int64_t out, const float* b, float* y) {
  launchEach(biasAddKernel, N * out, BiasAdd{out, b, y}, s, where, "dense bias add kernel launch");
}
void biasGrad(cudaStream_t s, const std::string& where, int64_t N, int64_t out, const float* dY, float* db) {
  launchEach(biasGradKernel, out, BiasGrad{N, out, dY, db}, s, where, "dense bias gradient kernel launch");
}

}  // namespace dev

void denseForward(int64_t N, int64_t in, int64_t out, const float* x, const float* W, const float* b, float* y) {
  const std::string where = sizes("denseForward", N, in, out);
  Stream s(where);
  auto dx = copyUp(x, N * in, s, where), dW = copyUp(W, out * in, s, where), db = copyUp(b, out, s, where);
  auto dy = scratch<float>(N * out, s, where);
  dev::sgemm(s.get(), where, false, true, N, out, in, 1.0f, dx.get(), in, dW.get(), in, 0.0f, dy.get(), out);
  if (b != nullptr) dev::biasAdd(s.get(), where, N, out, db.get(), dy.get());
  copyDown(y, dy, s, where);
  s.sync(where);
}

void denseBackward(int64_t N, int64_t in, int64_t out, const float* x, const float* W, const float* dY, float* dX,
                   float* dW, float* db) {
  const std::string where = sizes("denseBackward", N, in, out);
  Stream s(where);
  auto dg = copyUp(dY, N * out, s, where);
  auto dx = copyUp(dW != nullptr ? x : nullptr, N * in, s, where);
  auto dw = copyUp(dX != nullptr ? W : nullptr, out * in, s, where);
  auto gx = scratch<float>(N * in, s, where, dX != nullptr), gw = scratch<float>(out * in, s, where, dW != nullptr);
  auto gb = scratch<float>(out, s, where, db != nullptr);
  if (dX != nullptr) dev::sgemm(s.get(), where, false, false, N, in, out, 1.0f, dg.get(), out, dw.get(), in, 0.0f, gx.get(), in);
  if (dW != nullptr) dev::sgemm(s.get(), where, true, false, out, in, N, 1.0f, dg.get(), out, dx.get(), in, 0.0f, gw.get(), in);
  if (db != nullptr) dev::biasGrad(s.get(), where, N, out, dg.get(), gb.get());
  copyDown(dX, gx, s, where);
  copyDown(dW, gw, s, where);
  copyDown(db, gb, s, where);
  s.sync(where);
}

}  // namespace cuda
}  // namespace vigil
