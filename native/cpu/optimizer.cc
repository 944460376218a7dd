#include "cpu/optimizer.h"

#include <algorithm>
#include <cmath>

#include "cpu/threadpool.h"

namespace vigil {
namespace {
// Element updates are independent: chunk boundaries cannot change any result.
constexpr int64_t kGrain = 1 << 15;

template <typename F>
void forRange(int64_t n, F f) {
  parallelFor(n, kGrain, [&](int64_t b, int64_t e) { f(b, e); });
}

double nadamU(int64_t s, double beta1) { return beta1 * (1.0 - 0.5 * std::pow(0.96, static_cast<double>(s))); }
}  // namespace

void sgdStep(int64_t n, float lr, float momentum, bool nesterov, float* p, const float* g, float* v) {
  if (momentum == 0.0f) {
    forRange(n, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) p[i] -= lr * g[i];
    });
    return;
  }
  forRange(n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      float vi = momentum * v[i] - lr * g[i];
      v[i] = vi;
      p[i] += nesterov ? momentum * vi - lr * g[i] : vi;
    }
  });
}

void adamStep(int64_t n, int64_t t, float lr, float beta1, float beta2, float eps, float* p, const float* g, float* m,
              float* v, float* vHat) {
  const float alpha = adamAlpha(t, lr, beta1, beta2);
  float a1 = 1.0f - beta1, a2 = 1.0f - beta2;
  forRange(n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      float gi = g[i];
      float mi = m[i] + (gi - m[i]) * a1;
      float vi = v[i] + (gi * gi - v[i]) * a2;
      m[i] = mi;
      v[i] = vi;
      if (vHat != nullptr) vi = vHat[i] = std::max(vHat[i], vi);
      p[i] -= alpha * mi / (std::sqrt(vi) + eps);
    }
  });
}

void rmspropStep(int64_t n, float lr, float rho, float momentum, float eps, float* p, const float* g, float* v,
                 float* mom, float* avg) {
  float a = 1.0f - rho;
  forRange(n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      float gi = g[i];
      float vi = rho * v[i] + a * gi * gi;
      v[i] = vi;
      float den;
      if (avg != nullptr) {
        float ai = rho * avg[i] + a * gi;
        avg[i] = ai;
        den = vi - ai * ai + eps;
      } else {
        den = vi + eps;
      }
      float inc = lr * gi / std::sqrt(den);
      if (momentum > 0.0f) {
        float mi = momentum * mom[i] + inc;
        mom[i] = mi;
        p[i] -= mi;
      } else {
        p[i] -= inc;
      }
    }
  });
}

double nadamMomentumCacheProduct(int64_t t, double beta1) {
  // Past s ~ 1000, 0.96^s is below double resolution of 1 and u_s == beta1 exactly: the rest of
  // the product is a power.
  constexpr int64_t kExact = 1200;
  double prod = 1.0;
  for (int64_t s = 1; s <= std::min(t, kExact); ++s) prod *= nadamU(s, beta1);
  if (t > kExact) prod *= std::pow(beta1, static_cast<double>(t - kExact));
  return prod;
}

float adamAlpha(int64_t t, float lr, float beta1, float beta2) {
  double td = static_cast<double>(t);
  return static_cast<float>(lr * std::sqrt(1.0 - std::pow(beta2, td)) / (1.0 - std::pow(beta1, td)));
}

NadamScalars nadamScalars(int64_t t, float beta1, float beta2) {
  double uT = nadamU(t, beta1), uNext = nadamU(t + 1, beta1);
  double prodT = nadamMomentumCacheProduct(t, beta1);
  return {static_cast<float>(uNext / (1.0 - prodT * uNext)), static_cast<float>((1.0 - uT) / (1.0 - prodT)),
          static_cast<float>(1.0 / (1.0 - std::pow(static_cast<double>(beta2), static_cast<double>(t))))};
}

void nadamStep(int64_t n, int64_t t, float lr, float beta1, float beta2, float eps, float* p, const float* g, float* m,
               float* v) {
  const NadamScalars sc = nadamScalars(t, beta1, beta2);
  const float cM = sc.cM, cG = sc.cG, cV = sc.cV;
  float a1 = 1.0f - beta1, a2 = 1.0f - beta2;
  forRange(n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      float gi = g[i];
      float mi = m[i] + (gi - m[i]) * a1;
      float vi = v[i] + (gi * gi - v[i]) * a2;
      m[i] = mi;
      v[i] = vi;
      float mHat = cM * mi + cG * gi;
      p[i] -= lr * mHat / (std::sqrt(vi * cV) + eps);
    }
  });
}

}  // namespace vigil
