// The optimizer kernels' work (native/cuda/optimizer.cu), shared with their host emulation
// (host_grid_train.cc): cpu/optimizer.cc's element updates with its operations in its order, each
// rounded on its own (rn.h: no fused multiply-adds), and the step-dependent scalars from the same
// functions (cpu/optimizer.h's adamAlpha, nadamScalars). On x86-64, where the CPU loops are not
// contracted either, an update is the CPU kernel's bits. One thread per element.
#pragma once
#include <cstdint>

#include "cuda/hd.h"
#include "cuda/rn.h"

namespace vigil {
namespace cuda {
namespace optk {

constexpr int kThreads = 256;

struct Sgd {
  float lr, momentum;
  bool nesterov;
  float *p, *v;  // v: nullptr when momentum == 0
  const float* g;
};

VIGIL_HD void sgdElement(int64_t i, const Sgd& s) {
  const float g = s.g[i];
  if (s.momentum == 0.0f) {
    s.p[i] = subRn(s.p[i], mulRn(s.lr, g));
    return;
  }
  const float v = subRn(mulRn(s.momentum, s.v[i]), mulRn(s.lr, g));
  s.v[i] = v;
  s.p[i] = addRn(s.p[i], s.nesterov ? subRn(mulRn(s.momentum, v), mulRn(s.lr, g)) : v);
}

struct Adam {
  float alpha, a1, a2, eps;  // a1 = 1 - beta1, a2 = 1 - beta2
  float *p, *m, *v, *vHat;   // vHat: nullptr unless AMSGrad
  const float* g;
};

VIGIL_HD void adamElement(int64_t i, const Adam& s) {
  const float g = s.g[i];
  const float m = addRn(s.m[i], mulRn(subRn(g, s.m[i]), s.a1));
  float v = addRn(s.v[i], mulRn(subRn(mulRn(g, g), s.v[i]), s.a2));
  s.m[i] = m;
  s.v[i] = v;
  if (s.vHat != nullptr) v = s.vHat[i] = s.vHat[i] < v ? v : s.vHat[i];  // std::max(vHat, v)
  s.p[i] = subRn(s.p[i], mulRn(s.alpha, m) / addRn(sqrtf(v), s.eps));
}

struct Rmsprop {
  float lr, rho, a, momentum, eps;  // a = 1 - rho
  float *p, *v, *mom, *avg;         // mom: nullptr unless momentum > 0; avg: nullptr unless centered
  const float* g;
};

VIGIL_HD void rmspropElement(int64_t i, const Rmsprop& s) {
  const float g = s.g[i];
  const float v = addRn(mulRn(s.rho, s.v[i]), mulRn(mulRn(s.a, g), g));
  s.v[i] = v;
  float den;
  if (s.avg != nullptr) {
    const float avg = addRn(mulRn(s.rho, s.avg[i]), mulRn(s.a, g));
    s.avg[i] = avg;
    den = addRn(subRn(v, mulRn(avg, avg)), s.eps);
  } else {
    den = addRn(v, s.eps);
  }
  const float inc = mulRn(s.lr, g) / sqrtf(den);
  if (s.momentum > 0.0f) {
    const float m = addRn(mulRn(s.momentum, s.mom[i]), inc);
    s.mom[i] = m;
    s.p[i] = subRn(s.p[i], m);
  } else {
    s.p[i] = subRn(s.p[i], inc);
  }
}

struct Nadam {
  float lr, cM, cG, cV, a1, a2, eps;
  float *p, *m, *v;
  const float* g;
};

VIGIL_HD void nadamElement(int64_t i, const Nadam& s) {
  const float g = s.g[i];
  const float m = addRn(s.m[i], mulRn(subRn(g, s.m[i]), s.a1));
  const float v = addRn(s.v[i], mulRn(subRn(mulRn(g, g), s.v[i]), s.a2));
  s.m[i] = m;
  s.v[i] = v;
  const float mHat = addRn(mulRn(s.cM, m), mulRn(s.cG, g));
  s.p[i] = subRn(s.p[i], mulRn(s.lr, mHat) / addRn(sqrtf(mulRn(v, s.cV)), s.eps));
}

}  // namespace optk
}  // namespace cuda
}  // namespace vigil
