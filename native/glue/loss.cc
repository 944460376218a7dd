// Losses: the value goes to a 1-element Float32Array `out` (the async form resolves to
// undefined, so both forms report it the same way); ts/bindings/loss.ts returns it as a number.
#include <sstream>

#include "cpu/loss.h"
#include "cuda/loss.h"
#include "glue/common.h"
#include "glue/families.h"
#include "glue/paths.h"

namespace vigil {
namespace glue {
namespace {

using Kernel = double (*)(int64_t, int64_t, const float*, const float*, const float*, float*);

// Targets of binary cross-entropy are probabilities.
void checkUnitInterval(Args& a, const float* t, int64_t len, const char* name) {
  for (int64_t k = 0; k < len; ++k) {
    if (t[k] < 0.0f || t[k] > 1.0f) {
      std::ostringstream s;
      s << name << " values must be in [0, 1], got " << t[k] << " at index " << k;
      a.rangeError(s.str());
    }
  }
}

// (N, C, pred [N,C], target [N,C], weights [N] | null, grad [N,C] | null, out [1])
// kernels: the CPU kernel, its CUDA twin, the CUDA twin's grids as host loops.
void defineDense(Napi::Env env, Napi::Object exports, const char* name, Kernel cpu, Kernel gpu, Kernel host,
                 bool unitTargets) {
  definePaths(env, exports, name, [=](Args& a, KernelPath path) -> std::function<void()> {
    Kernel kernel = pick(path, cpu, gpu, host);
    int64_t N = a.dim(0, "N"), C = a.dim(1, "C");
    int64_t len = a.product({N, C}, "N * C");
    const float* p = a.f32(2, "pred", len);
    const float* t = a.f32(3, "target", len);
    if (unitTargets) checkUnitInterval(a, t, len, "target");
    const float* w = a.f32Opt(4, "weights", N);
    float* grad = a.f32Opt(5, "grad", len, false);
    float* out = a.f32(6, "out", 1, false);
    return [=] { out[0] = static_cast<float>(kernel(N, C, p, t, w, grad)); };
  });
}

}  // namespace

void register_loss(Napi::Env env, Napi::Object exports) {
  defineDense(env, exports, "binaryCrossentropyLogits", binaryCrossentropyLogits, cuda::binaryCrossentropyLogits,
              cuda::host::binaryCrossentropyLogits, true);
  defineDense(env, exports, "categoricalCrossentropyLogits", categoricalCrossentropyLogits,
              cuda::categoricalCrossentropyLogits, cuda::host::categoricalCrossentropyLogits, false);
  defineDense(env, exports, "meanSquaredError", meanSquaredError, cuda::meanSquaredError, cuda::host::meanSquaredError,
              false);
  defineDense(env, exports, "meanAbsoluteError", meanAbsoluteError, cuda::meanAbsoluteError,
              cuda::host::meanAbsoluteError, false);
  // (N, C, logits [N,C], labels Int32[N] in [0,C), weights [N] | null, grad [N,C] | null, out [1])
  definePaths(env, exports, "sparseCategoricalCrossentropyLogits", [](Args& a, KernelPath path) -> std::function<void()> {
    int64_t N = a.dim(0, "N"), C = a.integer(1, "C", 1, 0x7fffffff);
    int64_t len = a.product({N, C}, "N * C");
    const float* z = a.f32(2, "logits", len);
    const int32_t* labels = a.i32(3, "labels", N, 0, static_cast<int32_t>(C - 1), true);
    const float* w = a.f32Opt(4, "weights", N);
    float* grad = a.f32Opt(5, "grad", len, false);
    float* out = a.f32(6, "out", 1, false);
    auto k = pick(path, &sparseCategoricalCrossentropyLogits, &cuda::sparseCategoricalCrossentropyLogits,
                  &cuda::host::sparseCategoricalCrossentropyLogits);
    return [=] { out[0] = static_cast<float>(k(N, C, z, labels, w, grad)); };
  });
}

}  // namespace glue
}  // namespace vigil
