// Activations: kind is an integer here (0 sigmoid, 1 tanh, 2 relu); ts/bindings/activation.ts
// maps and validates the names.
#include "cpu/activation.h"
#include "cuda/activation.h"
#include "glue/common.h"
#include "glue/families.h"
#include "glue/paths.h"

namespace vigil {
namespace glue {

void register_activation(Napi::Env env, Napi::Object exports) {
  // (kind, n, x [n], y [n])
  definePaths(env, exports, "activationForward", [](Args& a, KernelPath path) -> std::function<void()> {
    auto kind = static_cast<Activation>(a.integer(0, "kind", 0, 2));
    int64_t n = a.dim(1, "n");
    const float* x = a.f32(2, "x", n);
    float* y = a.f32(3, "y", n, false);
    auto k = pick(path, &activationForward, &cuda::activationForward, &cuda::host::activationForward);
    return [=] { k(kind, n, x, y); };
  });
  // (kind, n, y [n], dY [n], dX [n]): y is the forward output.
  definePaths(env, exports, "activationBackward", [](Args& a, KernelPath path) -> std::function<void()> {
    auto kind = static_cast<Activation>(a.integer(0, "kind", 0, 2));
    int64_t n = a.dim(1, "n");
    const float* y = a.f32(2, "y", n);
    const float* dY = a.f32(3, "dY", n);
    float* dX = a.f32(4, "dX", n, false);
    auto k = pick(path, &activationBackward, &cuda::activationBackward, &cuda::host::activationBackward);
    return [=] { k(kind, n, y, dY, dX); };
  });
  // (N, C, x [N,C], y [N,C])
  definePaths(env, exports, "softmaxForward", [](Args& a, KernelPath path) -> std::function<void()> {
    int64_t N = a.dim(0, "N"), C = a.dim(1, "C");
    int64_t len = a.product({N, C}, "N * C");
    const float* x = a.f32(2, "x", len);
    float* y = a.f32(3, "y", len, false);
    auto k = pick(path, &softmaxForward, &cuda::softmaxForward, &cuda::host::softmaxForward);
    return [=] { k(N, C, x, y); };
  });
  // (N, C, y [N,C], dY [N,C], dX [N,C])
  definePaths(env, exports, "softmaxBackward", [](Args& a, KernelPath path) -> std::function<void()> {
    int64_t N = a.dim(0, "N"), C = a.dim(1, "C");
    int64_t len = a.product({N, C}, "N * C");
    const float* y = a.f32(2, "y", len);
    const float* dY = a.f32(3, "dY", len);
    float* dX = a.f32(4, "dX", len, false);
    auto k = pick(path, &softmaxBackward, &cuda::softmaxBackward, &cuda::host::softmaxBackward);
    return [=] { k(N, C, y, dY, dX); };
  });
}

}  // namespace glue
}  // namespace vigil
