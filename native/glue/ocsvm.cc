// ocsvmFit / ocsvmDecision: the one-class SVM (cpu/ocsvm.h, cpu/svm_kernel.h).
#include <cmath>
#include <limits>
#include <vector>

#include "cpu/ocsvm.h"
#include "cpu/svm_kernel.h"
#include "cuda/svm_kernel.h"
#include "glue/common.h"
#include "glue/families.h"

namespace vigil {
namespace glue {

namespace {

// Arguments (kernel, gamma, degree, coef0) starting at i; gamma must be > 0 (linear ignores it
// but, as scikit-learn, still checks it).
SvmKernel readKernel(Args& a, size_t i) {
  SvmKernel k;
  k.type = static_cast<SvmKernelType>(a.oneOf(i, "kernel", {"linear", "poly", "rbf", "sigmoid"}));
  k.gamma = a.number(i + 1, "gamma", 0, std::numeric_limits<float>::max());
  if (!(k.gamma > 0)) a.rangeError("gamma must be > 0, got 0");
  k.degree = static_cast<int>(a.integer(i + 2, "degree", 0, 1 << 20));
  k.coef0 = a.number(i + 3, "coef0", -std::numeric_limits<float>::max(), std::numeric_limits<float>::max());
  return k;
}

// A double as two floats whose sum restores it to ~48 bits (float32 outputs carry it to JS).
void splitDouble(double v, float* hi, float* lo) {
  *hi = static_cast<float>(v);
  *lo = std::isfinite(*hi) ? static_cast<float>(v - static_cast<double>(*hi)) : 0.0f;
}

enum class Path { Cpu, Cuda, CudaHost };

// (m, d, nSV, x [m,d], sv [nSV,d], coef [nSV], kernel, gamma, degree, coef0, rho, out [m])
std::function<void()> decision(Args& a, Path path) {
  const int64_t m = a.dim(0, "m"), d = a.dim(1, "d"), nSV = a.dim(2, "nSV");
  const float* x = a.f32(3, "x", a.product({m, d}, "m * d"));
  const float* sv = a.f32(4, "sv", a.product({nSV, d}, "nSV * d"));
  const float* coef = a.f32(5, "coef", nSV);
  const SvmKernel k = readKernel(a, 6);
  const double rho = a.number(10, "rho");
  float* out = a.f32(11, "out", m, false);
  if (path != Path::Cpu && k.type != SvmKernelType::Rbf) a.rangeError("kernel must be 'rbf' on CUDA (the others run on the CPU)");
  switch (path) {
    case Path::Cuda:
      return [=] { cuda::svmDecisionRbf(m, d, nSV, x, sv, coef, k.gamma, rho, out); };
    case Path::CudaHost:
      return [=] { cuda::host::svmDecisionRbf(m, d, nSV, x, sv, coef, k.gamma, rho, out); };
    case Path::Cpu:
      break;
  }
  return [=] { svmDecision(k, m, d, nSV, x, sv, coef, rho, out); };
}

}  // namespace

void register_ocsvm(Napi::Env env, Napi::Object exports) {
  // (n, d, x [n,d], kernel, gamma, degree, coef0, nu, tol, cacheMB, maxIter, shrinking,
  //  alpha [n] out, stats [4] out, ctrl Int32Array [4] in/out)
  // stats = rho (hi, lo), objective (hi, lo); ctrl = [stop request (in), iterations (out, updated
  // while the fit runs), status (out: 0 converged, 1 maxIter, 2 aborted), support vectors (out)].
  define(env, exports, "ocsvmFit", [](Args& a) -> std::function<void()> {
    const int64_t n = a.dim(0, "n"), d = a.dim(1, "d");
    const int64_t len = a.product({n, d}, "n * d");
    const float* x = a.f32(2, "x", len);
    OcsvmOptions o;
    o.kernel = readKernel(a, 3);
    o.nu = a.number(7, "nu", 0, 1);
    if (!(o.nu > 0)) a.rangeError("nu must lie in (0, 1], got 0");
    o.tol = a.number(8, "tol", 0, 1e300);
    if (!(o.tol > 0)) a.rangeError("tol must be > 0, got 0");
    o.cacheMB = a.number(9, "cacheMB", 0, 1 << 30);
    if (!(o.cacheMB > 0)) a.rangeError("cacheMB must be > 0, got 0");
    o.maxIter = a.integer(10, "maxIter", -1, (int64_t(1) << 53) - 1);
    o.shrinking = a.boolean(11, "shrinking");
    float* alpha = a.f32(12, "alpha", n, false);
    float* stats = a.f32(13, "stats", 4, false);
    int32_t* ctrl = a.i32(14, "ctrl", 4, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
    return [=] {
      std::vector<double> al(static_cast<size_t>(n));
      const OcsvmResult r = ocsvmFit(n, d, x, o, al.data(), ctrl);
      int32_t nSV = 0;
      for (int64_t i = 0; i < n; ++i) {
        alpha[i] = static_cast<float>(al[i]);
        if (alpha[i] != 0) ++nSV;
      }
      splitDouble(r.rho, stats, stats + 1);
      splitDouble(r.objective, stats + 2, stats + 3);
      __atomic_store_n(ctrl + 2, static_cast<int32_t>(r.status), __ATOMIC_RELAXED);
      __atomic_store_n(ctrl + 3, nSV, __ATOMIC_RELAXED);
    };
  });

  // (m, d, nSV, x [m,d], sv [nSV,d], coef [nSV], kernel, gamma, degree, coef0, rho, out [m]):
  // out = Σ_j coef_j K(sv_j, x) - rho (scikit-learn's decision_function sign).
  define(env, exports, "ocsvmDecision", [](Args& a) { return decision(a, Path::Cpu); });
  // The same on the GPU (cuda/svm_kernel.cu), rbf only; a JS Error when the addon has no CUDA or
  // the call fails.
  define(env, exports, "ocsvmDecisionCuda", [](Args& a) { return decision(a, Path::Cuda); });
  // Test-only: the CUDA kernel's grid run as host loops (cuda/host_grid.cc), in every build.
  define(env, exports, "_cudaHostEmulateSvmDecision", [](Args& a) { return decision(a, Path::CudaHost); });
}

}  // namespace glue
}  // namespace vigil
