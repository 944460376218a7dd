// Dropout: seeds and streams are JS integers (exact up to 2^53 - 1).
#include <algorithm>
#include <cstdint>

#include "cpu/dropout.h"
#include "cuda/dropout.h"
#include "glue/common.h"
#include "glue/families.h"
#include "glue/paths.h"

namespace vigil {
namespace glue {
namespace {
constexpr int64_t kMaxSafe = (int64_t(1) << 53) - 1;
// Largest double below 1: rate must leave something to keep.
constexpr double kMaxRate = 0.99999999999999989;
}  // namespace

void register_dropout(Napi::Env env, Napi::Object exports) {
  // (n, rate in [0,1), seed, stream, x [n], y [n], mask [n] | null)
  definePaths(env, exports, "dropoutForward", [](Args& a, KernelPath path) -> std::function<void()> {
    int64_t n = a.dim(0, "n");
    double rate = a.number(1, "rate", 0.0, kMaxRate);
    uint64_t seed = a.integer(2, "seed", 0, kMaxSafe), stream = a.integer(3, "stream", 0, kMaxSafe);
    const float* x = a.f32(4, "x", n);
    float* y = a.f32(5, "y", n, false);
    float* mask = a.f32Opt(6, "mask", n, false);
    auto k = pick(path, &dropoutForward, &cuda::dropoutForward, &cuda::host::dropoutForward);
    return [=] { k(n, rate, seed, stream, x, y, mask); };
  });
  // (n, rate, seed, stream, dY [n], dX [n])
  definePaths(env, exports, "dropoutBackward", [](Args& a, KernelPath path) -> std::function<void()> {
    int64_t n = a.dim(0, "n");
    double rate = a.number(1, "rate", 0.0, kMaxRate);
    uint64_t seed = a.integer(2, "seed", 0, kMaxSafe), stream = a.integer(3, "stream", 0, kMaxSafe);
    const float* dY = a.f32(4, "dY", n);
    float* dX = a.f32(5, "dX", n, false);
    auto k = pick(path, &dropoutBackward, &cuda::dropoutBackward, &cuda::host::dropoutBackward);
    return [=] { k(n, rate, seed, stream, dY, dX); };
  });
  // (n, mask [n], dY [n], dX [n])
  definePaths(env, exports, "dropoutApplyMask", [](Args& a, KernelPath path) -> std::function<void()> {
    int64_t n = a.dim(0, "n");
    const float* mask = a.f32(1, "mask", n);
    const float* dY = a.f32(2, "dY", n);
    float* dX = a.f32(3, "dX", n, false);
    auto k = pick(path, &dropoutApplyMask, &cuda::dropoutApplyMask, &cuda::host::dropoutApplyMask);
    return [=] { k(n, mask, dY, dX); };
  });
  // (B, T, F, lengths [B] in [0, T], rate, seed, stream, x [B*T*F], y [B*T*F]): forward and backward alike.
  definePaths(env, exports, "dropoutSequences", [](Args& a, KernelPath path) -> std::function<void()> {
    int64_t B = a.dim(0, "batch"), T = a.dim(1, "time"), F = a.dim(2, "features");
    int64_t n = a.product({B, T, F}, "batch * time * features");
    const int32_t* lengths = a.i32(3, "lengths", B, 0, static_cast<int32_t>(std::min<int64_t>(T, INT32_MAX)));
    double rate = a.number(4, "rate", 0.0, kMaxRate);
    uint64_t seed = a.integer(5, "seed", 0, kMaxSafe), stream = a.integer(6, "stream", 0, kMaxSafe);
    const float* x = a.f32(7, "x", n);
    float* y = a.f32(8, "y", n, false);
    auto k = pick(path, &dropoutSequences, &cuda::dropoutSequences, &cuda::host::dropoutSequences);
    return [=] { k(B, T, F, lengths, rate, seed, stream, x, y); };
  });
}

}  // namespace glue
}  // namespace vigil
