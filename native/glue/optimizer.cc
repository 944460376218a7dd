// Optimizer steps: hyper-parameters are range-checked here (defaults live in ts/bindings/optimizer.ts).
#include <limits>
#include <vector>

#include "cpu/optimizer.h"
#include "cuda/clip.h"
#include "cuda/optimizer.h"
#include "glue/common.h"
#include "glue/families.h"
#include "glue/paths.h"

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
  definePaths(env, exports, "sgdStep", [](Args& a, KernelPath path) -> std::function<void()> {
    int64_t n = a.dim(0, "n");
    float lr = f(a.number(1, "lr", kTiny)), momentum = f(a.number(2, "momentum", 0.0, 1.0));
    bool nesterov = a.boolean(3, "nesterov");
    float* p = a.f32(4, "param", n);
    const float* g = a.f32(5, "grad", n);
    float* v = momentum > 0 ? a.f32(6, "velocity", n) : a.f32Opt(6, "velocity", n);
    auto k = pick(path, &sgdStep, &cuda::sgdStep, &cuda::host::sgdStep);
    return [=] { k(n, lr, momentum, nesterov, p, g, v); };
  });
  // (n, t, lr, beta1, beta2, eps, param, grad, m, v, vHat | null (AMSGrad))
  definePaths(env, exports, "adamStep", [](Args& a, KernelPath path) -> std::function<void()> {
    int64_t n = a.dim(0, "n"), t = a.integer(1, "t", 1, kMaxStep);
    float lr = f(a.number(2, "lr", kTiny)), b1 = f(a.number(3, "beta1", 0.0, kBelowOne));
    float b2 = f(a.number(4, "beta2", 0.0, kBelowOne)), eps = f(a.number(5, "epsilon", kTiny));
    float* p = a.f32(6, "param", n);
    const float* g = a.f32(7, "grad", n);
    float* m = a.f32(8, "m", n);
    float* v = a.f32(9, "v", n);
    float* vHat = a.f32Opt(10, "vHat", n);
    auto k = pick(path, &adamStep, &cuda::adamStep, &cuda::host::adamStep);
    return [=] { k(n, t, lr, b1, b2, eps, p, g, m, v, vHat); };
  });
  // (n, lr, rho, momentum, eps, centered, param, grad, v, mom | null (required if momentum > 0),
  //  avg | null (required if centered))
  definePaths(env, exports, "rmspropStep", [](Args& a, KernelPath path) -> std::function<void()> {
    int64_t n = a.dim(0, "n");
    float lr = f(a.number(1, "lr", kTiny)), rho = f(a.number(2, "rho", 0.0, kBelowOne));
    float momentum = f(a.number(3, "momentum", 0.0, 1.0)), eps = f(a.number(4, "epsilon", kTiny));
    bool centered = a.boolean(5, "centered");
    float* p = a.f32(6, "param", n);
    const float* g = a.f32(7, "grad", n);
    float* v = a.f32(8, "v", n);
    float* mom = momentum > 0 ? a.f32(9, "momentumBuffer", n) : a.f32Opt(9, "momentumBuffer", n);
    float* avg = centered ? a.f32(10, "averageGrad", n) : nullptr;
    auto k = pick(path, &rmspropStep, &cuda::rmspropStep, &cuda::host::rmspropStep);
    return [=] { k(n, lr, rho, momentum, eps, p, g, v, mom, avg); };
  });
  // (n, t, lr, beta1, beta2, eps, param, grad, m, v)
  definePaths(env, exports, "nadamStep", [](Args& a, KernelPath path) -> std::function<void()> {
    int64_t n = a.dim(0, "n"), t = a.integer(1, "t", 1, kMaxStep);
    float lr = f(a.number(2, "lr", kTiny)), b1 = f(a.number(3, "beta1", 0.0, kBelowOne));
    float b2 = f(a.number(4, "beta2", 0.0, kBelowOne)), eps = f(a.number(5, "epsilon", kTiny));
    float* p = a.f32(6, "param", n);
    const float* g = a.f32(7, "grad", n);
    float* m = a.f32(8, "m", n);
    float* v = a.f32(9, "v", n);
    auto k = pick(path, &nadamStep, &cuda::nadamStep, &cuda::host::nadamStep);
    return [=] { k(n, t, lr, b1, b2, eps, p, g, m, v); };
  });
  // Keras' gradient clipping on the GPU (cuda/clip.cu); on the CPU it is TypeScript
  // (ts/models/optimizers.ts), so there is no CPU binding. (mode 'value' | 'norm' | 'globalNorm', c,
  // count, sizes Int32[count], g [Σ sizes], out [Σ sizes]): the tensors one after another. g may hold
  // NaN or Infinity (clipping passes them on, as Keras does).
  auto clip = [](Args& a, bool host) -> std::function<void()> {
    auto mode = static_cast<cuda::ClipMode>(a.oneOf(0, "mode", {"value", "norm", "globalNorm"}));
    const double c = a.number(1, "c", kTiny);
    const int64_t count = a.dim(2, "count");
    const int32_t* sz = a.i32(3, "sizes", count, 1, std::numeric_limits<int32_t>::max());
    std::vector<int64_t> sizes(sz, sz + count);
    int64_t total = 0;
    for (int64_t s : sizes) total += s;
    if (total > kMaxElements) a.rangeError("the sizes add up to more than " + std::to_string(kMaxElements) + " elements");
    const float* g = a.f32(4, "g", total, false);
    float* out = a.f32(5, "out", total, false);
    distinct(a, {{out, total, "out"}}, {{g, total, "g"}});
    if (host) return [=] { cuda::host::clipGradients(mode, c, count, sizes.data(), g, out); };
    return [=] { cuda::clipGradients(mode, c, count, sizes.data(), g, out); };
  };
  define(env, exports, "clipGradientsCuda", [clip](Args& a) { return clip(a, false); });
  define(env, exports, "_cudaHostEmulateClipGradients", [clip](Args& a) { return clip(a, true); });
}

}  // namespace glue
}  // namespace vigil
