// firstOutside(x, lo, hi) and firstOutsideI32(ids, min, max): the glue's range scans for the
// TypeScript layer, which checks whole inputs (detector tables: finite, or in [0, 1] for Bernoulli
// RBMs; a model's token ids against its Embedding) before any kernel runs and names the offending
// row and column or index. Synchronous: it reads at memory speed (a 100,000 x 64 table
// in a few milliseconds), where the JavaScript loop it replaces took ~3 ns per value.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "glue/common.h"
#include "glue/families.h"

namespace vigil {
namespace glue {

void register_scan(Napi::Env env, Napi::Object exports) {
  exports.Set("firstOutside", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    Args a(info, "firstOutside");
    int64_t len = 0;
    const float* p = a.f32Any(0, "x", &len, false);
    // Bounds may be infinite (an open side), never NaN.
    const auto bound = [&](size_t i, const char* name) {
      const Napi::Value v = info[i];
      if (!v.IsNumber()) a.typeError(std::string(name) + " must be a number");
      const double d = v.As<Napi::Number>().DoubleValue();
      if (std::isnan(d)) a.rangeError(std::string(name) + " must not be NaN");
      return d;
    };
    const double lo = bound(1, "lo");
    const double hi = bound(2, "hi");
    // The float32 range that holds exactly the floats in [lo, hi]: each bound rounded inwards.
    float flo = static_cast<float>(lo), fhi = static_cast<float>(hi);
    if (static_cast<double>(flo) < lo) flo = std::nextafter(flo, std::numeric_limits<float>::infinity());
    if (static_cast<double>(fhi) > hi) fhi = std::nextafter(fhi, -std::numeric_limits<float>::infinity());
    return Napi::Number::New(info.Env(), static_cast<double>(firstOutside(p, len, flo, fhi)));
  }, "firstOutside"));
  exports.Set("firstOutsideI32", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    Args a(info, "firstOutsideI32");
    int64_t len = 0;
    const int32_t* p = a.i32Any(0, "x", &len);
    const auto min = static_cast<int32_t>(a.integer(1, "min", INT32_MIN, INT32_MAX));
    const auto max = static_cast<int32_t>(a.integer(2, "max", INT32_MIN, INT32_MAX));
    return Napi::Number::New(info.Env(), static_cast<double>(firstOutsideI32(p, len, min, max)));
  }, "firstOutsideI32"));
}

}  // namespace glue
}  // namespace vigil
