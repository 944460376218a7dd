// firstOutside(x, lo, hi): the glue's SIMD range scan for the TypeScript layer, which checks whole
// tables (detector inputs: finite, or in [0, 1] for Bernoulli RBMs) before any kernel runs and
// names the offending row and column. Synchronous: it reads at memory speed (a 100,000 x 64 table
// in a few milliseconds), where the JavaScript loop it replaces took ~3 ns per value.
#include <limits>

#include "glue/common.h"
#include "glue/families.h"

namespace vigil {
namespace glue {

void register_scan(Napi::Env env, Napi::Object exports) {
  exports.Set("firstOutside", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    Args a(info, "firstOutside");
    int64_t len = 0;
    const float* p = a.f32Any(0, "x", &len, false);
    const float big = std::numeric_limits<float>::max();
    const float lo = static_cast<float>(a.number(1, "lo", -big, big));
    const float hi = static_cast<float>(a.number(2, "hi", -big, big));
    return Napi::Number::New(info.Env(), static_cast<double>(firstOutside(p, len, lo, hi)));
  }, "firstOutside"));
}

}  // namespace glue
}  // namespace vigil
