// Optimizer steps: hyper-parameters are range-checked here (defaults live in ts/bindings/optimizer.ts).
#include <limits>

#include "cpu/optimizer.h"
#include "glue/common.h"
#include "glue/families.h"

namespace vigil {
namespace glue {
namespace {
constexpr double kTiny = std::numeric_limits<double>::denorm_min();  // lr and eps must be > 0
constexpr double kBelowOne = 0.99999999999999989;                      // decay rates must be < 1
constexpr int64_t kMaxStep = int64_t(1) << 53;
float f(double d) { return static_cast<float>(d); }
}  // namespace

void register_optimizer(Napi::Env env, Napi::Object exports) {
  // (n, lr, momentum, nesterov, param [n], grad [n], velocity [n] | null (required if momentum > 0))
  define(env, exports, "sgdStep", [](Args& a) -> std::function<void()> {
    int64_t n = a.dim(0, "n");
    float lr = f(a.number(1, "lr", kTiny)), momentum = f(a.number(2, "momentum", 0.0, 1.0));
    bool nesterov = a.boolean(3, "nesterov");
    float* p = a.f32(4, "param", n);
    const float* g = a.f32(5, "grad", n);
    float* v = momentum > 0 ? a.f32(6, "velocity", n) : a.f32Opt(6, "velocity", n);
    return [=] { sgdStep(n, lr, momentum, nesterov, p, g, v); };
  });
  // (n, t, lr, beta1, beta2, eps, param, grad, m, v, vHat | null (AMSGrad))
  define(env, exports, "adamStep", [](Args& a) -> std::function<void()> {
    int64_t n = a.dim(0, "n"), t = a.integer(1, "t", 1, kMaxStep);
    float lr = f(a.number(2, "lr", kTiny)), b1 = f(a.number(3, "beta1", 0.0, kBelowOne));
    float b2 = f(a.number(4, "beta2", 0.0, kBelowOne)), eps = f(a.number(5, "epsilon", kTiny));
    float* p = a.f32(6, "param", n);
    const float* g = a.f32(7, "grad", n);
    float* m = a.f32(8, "m", n);
    float* v = a.f32(9, "v", n);
    float* vHat = a.f32Opt(10, "vHat", n);
    return [=] { adamStep(n, t, lr, b1, b2, eps, p, g, m, v, vHat); };
  });
  // (n, lr, rho, momentum, eps, centered, param, grad, v, mom | null (required if momentum > 0),
  //  avg | null (required if centered))
  define(env, exports, "rmspropStep", [](Args& a) -> std::function<void()> {
    int64_t n = a.dim(0, "n");
    float lr = f(a.number(1, "lr", kTiny)), rho = f(a.number(2, "rho", 0.0, kBelowOne));
    float momentum = f(a.number(3, "momentum", 0.0, 1.0)), eps = f(a.number(4, "epsilon", kTiny));
    bool centered = a.boolean(5, "centered");
    float* p = a.f32(6, "param", n);
    const float* g = a.f32(7, "grad", n);
    float* v = a.f32(8, "v", n);
    float* mom = momentum > 0 ? a.f32(9, "momentumBuffer", n) : a.f32Opt(9, "momentumBuffer", n);
    float* avg = centered ? a.f32(10, "averageGrad", n) : nullptr;
    return [=] { rmspropStep(n, lr, rho, momentum, eps, p, g, v, mom, avg); };
  });
  // (n, t, lr, beta1, beta2, eps, param, grad, m, v)
  define(env, exports, "nadamStep", [](Args& a) -> std::function<void()> {
    int64_t n = a.dim(0, "n"), t = a.integer(1, "t", 1, kMaxStep);
    float lr = f(a.number(2, "lr", kTiny)), b1 = f(a.number(3, "beta1", 0.0, kBelowOne));
    float b2 = f(a.number(4, "beta2", 0.0, kBelowOne)), eps = f(a.number(5, "epsilon", kTiny));
    float* p = a.f32(6, "param", n);
    const float* g = a.f32(7, "grad", n);
    float* m = a.f32(8, "m", n);
    float* v = a.f32(9, "v", n);
    return [=] { nadamStep(n, t, lr, b1, b2, eps, p, g, m, v); };
  });
}

}  // namespace glue
}  // namespace vigil
