#include "cpu/random.h"
#include "glue/common.h"
#include "glue/families.h"

namespace vigil {
namespace glue {

// Seeds and streams arrive as non-negative integers below 2^53 (exact in a JS number).
constexpr int64_t kMaxSeed = (int64_t(1) << 53) - 1;

void register_random(Napi::Env env, Napi::Object exports) {
  define(env, exports, "randomUniform", [](Args& a) -> std::function<void()> {
    int64_t seed = a.integer(0, "seed", 0, kMaxSeed), stream = a.integer(1, "stream", 0, kMaxSeed);
    float lo = static_cast<float>(a.number(2, "lo")), hi = static_cast<float>(a.number(3, "hi"));
    if (!(hi >= lo)) a.rangeError("hi must be >= lo");
    int64_t n;
    float* out = a.f32Any(4, "out", &n, false);
    return [=] { randomUniform(seed, stream, n, lo, hi, out); };
  });
  define(env, exports, "randomNormal", [](Args& a) -> std::function<void()> {
    int64_t seed = a.integer(0, "seed", 0, kMaxSeed), stream = a.integer(1, "stream", 0, kMaxSeed);
    float mean = static_cast<float>(a.number(2, "mean")), std = static_cast<float>(a.number(3, "std", 0));
    int64_t n;
    float* out = a.f32Any(4, "out", &n, false);
    return [=] { randomNormal(seed, stream, n, mean, std, out); };
  });
}

}  // namespace glue
}  // namespace vigil
