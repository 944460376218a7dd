// In-place optimizer steps over flat parameter arrays, following Keras 3 (keras/src/optimizers,
// same rules as tf.keras 2.11+) exactly. g is the gradient, t the 1-based step count.
// Step-dependent scalars are formed in double, element updates run in float.
#pragma once
#include <cstdint>

namespace vigil {

// SGD. momentum == 0: p -= lr g.
// momentum > 0: v = momentum v - lr g; p += v, or with nesterov p += momentum v - lr g.
void sgdStep(int64_t n, float lr, float momentum, bool nesterov, float* p, const float* g, float* v);

// Adam with Keras' "epsilon hat": alpha = lr sqrt(1 - b2^t) / (1 - b1^t);
// m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); p -= alpha m / (sqrt(v) + eps).
// vHat non-null selects AMSGrad: vHat = max(vHat, v), used in place of v.
void adamStep(int64_t n, int64_t t, float lr, float beta1, float beta2, float eps, float* p, const float* g, float* m,
              float* v, float* vHat);

// RMSprop: v = rho v + (1 - rho) g^2; centered (avg non-null): avg = rho avg + (1 - rho) g,
// den = v - avg^2 + eps, else den = v + eps; inc = lr g / sqrt(den);
// momentum > 0: mom = momentum mom + inc, p -= mom; else p -= inc.
void rmspropStep(int64_t n, float lr, float rho, float momentum, float eps, float* p, const float* g, float* v,
                 float* mom, float* avg);

// Nadam (Dozat 2015, Keras' momentum-cache schedule): u_s = b1 (1 - 0.5 * 0.96^s),
// U_t = prod_{s<=t} u_s; m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2);
// mHat = u_{t+1} m / (1 - U_t u_{t+1}) + (1 - u_t) g / (1 - U_t); vHat = v / (1 - b2^t);
// p -= lr mHat / (sqrt(vHat) + eps). U_t is recomputed from t, so no extra state is kept.
void nadamStep(int64_t n, int64_t t, float lr, float beta1, float beta2, float eps, float* p, const float* g, float* m,
               float* v);

// U_t of nadamStep, in double.
double nadamMomentumCacheProduct(int64_t t, double beta1);

// The step-dependent scalars, formed in double and rounded once: the CPU steps and their CUDA
// twins (cuda/optimizer.cu) take them from here, so both sides update with the same floats.
// Adam's alpha = lr sqrt(1 - b2^t) / (1 - b1^t).
float adamAlpha(int64_t t, float lr, float beta1, float beta2);
// Nadam's mHat = cM m + cG g and vHat = cV v.
struct NadamScalars {
  float cM, cG, cV;
};
NadamScalars nadamScalars(int64_t t, float beta1, float beta2);

}  // namespace vigil
