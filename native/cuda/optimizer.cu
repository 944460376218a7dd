// Optimizer kernels (the CUDA twins of cpu/optimizer.cc). The work is in optimizer_elem.h, shared
// with the host emulation; the step-dependent scalars come from cpu/optimizer.h's functions.
#include <string>

#include "cpu/optimizer.h"
#include "cuda/launch.cuh"
#include "cuda/optimizer.h"
#include "cuda/optimizer_elem.h"
#include "cuda/train.cuh"

namespace vigil {
namespace cuda {

namespace {

using namespace optk;

struct SgdOp {
  Sgd o;
  __device__ void operator()(int64_t i) const { sgdElement(i, o); }
};
VIGIL_EACH_KERNEL(sgdKernel, SgdOp)

struct AdamOp {
  Adam o;
  __device__ void operator()(int64_t i) const { adamElement(i, o); }
};
VIGIL_EACH_KERNEL(adamKernel, AdamOp)

struct RmspropOp {
  Rmsprop o;
  __device__ void operator()(int64_t i) const { rmspropElement(i, o); }
};
VIGIL_EACH_KERNEL(rmspropKernel, RmspropOp)

struct NadamOp {
  Nadam o;
  __device__ void operator()(int64_t i) const { nadamElement(i, o); }
};
VIGIL_EACH_KERNEL(nadamKernel, NadamOp)


std::string sizes(const char* fn, int64_t n) { return std::string(fn) + " (n=" + std::to_string(n) + ")"; }

// The state arrays of one in-place step: uploaded, updated on the device, downloaded.
struct InPlace {
  const Stream& s;
  const std::string& where;
  int64_t n;
  DeviceBuffer<float> up(const float* host) const { return copyUp(host, n, s, where); }
  void down(float* host, const DeviceBuffer<float>& d) const { copyDown(host, d, s, where); }
};

}  // namespace

namespace dev {

void sgdStep(cudaStream_t s, const std::string& where, int64_t n, const Sgd& o) {
  launchEach(sgdKernel, n, SgdOp{o}, s, where, "sgd kernel launch");
}
void adamStep(cudaStream_t s, const std::string& where, int64_t n, const Adam& o) {
  launchEach(adamKernel, n, AdamOp{o}, s, where, "adam kernel launch");
}
void rmspropStep(cudaStream_t s, const std::string& where, int64_t n, const Rmsprop& o) {
  launchEach(rmspropKernel, n, RmspropOp{o}, s, where, "rmsprop kernel launch");
}
void nadamStep(cudaStream_t s, const std::string& where, int64_t n, const Nadam& o) {
  launchEach(nadamKernel, n, NadamOp{o}, s, where, "nadam kernel launch");
}

}  // namespace dev

void sgdStep(int64_t n, float lr, float momentum, bool nesterov, float* p, const float* g, float* v) {
  const std::string where = sizes("sgdStep", n);
  Stream s(where);
  const InPlace io{s, where, n};
  auto dp = io.up(p), dg = io.up(g), dv = io.up(momentum != 0.0f ? v : nullptr);
  dev::sgdStep(s.get(), where, n, Sgd{lr, momentum, nesterov, dp.get(), dv.get(), dg.get()});
  io.down(p, dp);
  if (momentum != 0.0f) io.down(v, dv);
  s.sync(where);
}

void adamStep(int64_t n, int64_t t, float lr, float beta1, float beta2, float eps, float* p, const float* g, float* m,
              float* v, float* vHat) {
  const std::string where = sizes("adamStep", n) + " t=" + std::to_string(t);
  Stream s(where);
  const InPlace io{s, where, n};
  auto dp = io.up(p), dg = io.up(g), dm = io.up(m), dv = io.up(v), dh = io.up(vHat);
  const Adam o{adamAlpha(t, lr, beta1, beta2), 1.0f - beta1, 1.0f - beta2, eps, dp.get(), dm.get(), dv.get(), dh.get(), dg.get()};
  dev::adamStep(s.get(), where, n, o);
  io.down(p, dp);
  io.down(m, dm);
  io.down(v, dv);
  io.down(vHat, dh);
  s.sync(where);
}

void rmspropStep(int64_t n, float lr, float rho, float momentum, float eps, float* p, const float* g, float* v,
                 float* mom, float* avg) {
  const std::string where = sizes("rmspropStep", n);
  Stream s(where);
  const InPlace io{s, where, n};
  auto dp = io.up(p), dg = io.up(g), dv = io.up(v), dmom = io.up(momentum > 0.0f ? mom : nullptr), da = io.up(avg);
  const Rmsprop o{lr, rho, 1.0f - rho, momentum, eps, dp.get(), dv.get(), dmom.get(), da.get(), dg.get()};
  dev::rmspropStep(s.get(), where, n, o);
  io.down(p, dp);
  io.down(v, dv);
  if (momentum > 0.0f) io.down(mom, dmom);
  io.down(avg, da);
  s.sync(where);
}

void nadamStep(int64_t n, int64_t t, float lr, float beta1, float beta2, float eps, float* p, const float* g, float* m,
               float* v) {
  const std::string where = sizes("nadamStep", n) + " t=" + std::to_string(t);
  Stream s(where);
  const InPlace io{s, where, n};
  auto dp = io.up(p), dg = io.up(g), dm = io.up(m), dv = io.up(v);
  const NadamScalars c = nadamScalars(t, beta1, beta2);
  const Nadam o{lr, c.cM, c.cG, c.cV, 1.0f - beta1, 1.0f - beta2, eps, dp.get(), dm.get(), dv.get(), dg.get()};
  dev::nadamStep(s.get(), where, n, o);
  io.down(p, dp);
  io.down(m, dm);
  io.down(v, dv);
  s.sync(where);
}

}  // namespace cuda
}  // namespace vigil
