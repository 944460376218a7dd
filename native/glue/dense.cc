// denseForward / denseBackward (PyTorch Linear layout: W [out, in]).
#include "cpu/dense.h"
#include "cuda/dense.h"
#include "glue/common.h"
#include "glue/families.h"
#include "glue/paths.h"

namespace vigil {
namespace glue {

void register_dense(Napi::Env env, Napi::Object exports) {
  // (N, in, out, x [N,in], W [out,in], b [out] | null, y [N,out])
  definePaths(env, exports, "denseForward", [](Args& a, KernelPath path) -> std::function<void()> {
    int64_t N = a.dim(0, "N"), in = a.dim(1, "in"), out = a.dim(2, "out");
    int64_t xLen = a.product({N, in}, "N * in"), wLen = a.product({out, in}, "out * in"), yLen = a.product({N, out}, "N * out");
    const float* x = a.f32(3, "x", xLen);
    const float* W = a.f32(4, "W", wLen);
    const float* b = a.f32Opt(5, "b", out);
    float* y = a.f32(6, "y", yLen, false);
    auto k = pick(path, &denseForward, &cuda::denseForward, &cuda::host::denseForward);
    return [=] { k(N, in, out, x, W, b, y); };
  });
  // (N, in, out, x [N,in], W [out,in], dY [N,out], dX [N,in] | null, dW [out,in] | null, db [out] | null)
  definePaths(env, exports, "denseBackward", [](Args& a, KernelPath path) -> std::function<void()> {
    int64_t N = a.dim(0, "N"), in = a.dim(1, "in"), out = a.dim(2, "out");
    int64_t xLen = a.product({N, in}, "N * in"), wLen = a.product({out, in}, "out * in"), yLen = a.product({N, out}, "N * out");
    const float* x = a.f32(3, "x", xLen);
    const float* W = a.f32(4, "W", wLen);
    const float* dY = a.f32(5, "dY", yLen);
    float* dX = a.f32Opt(6, "dX", xLen, false);
    float* dW = a.f32Opt(7, "dW", wLen, false);
    float* db = a.f32Opt(8, "db", out, false);
    auto k = pick(path, &denseBackward, &cuda::denseBackward, &cuda::host::denseBackward);
    return [=] { k(N, in, out, x, W, dY, dX, dW, db); };
  });
}

}  // namespace glue
}  // namespace vigil
