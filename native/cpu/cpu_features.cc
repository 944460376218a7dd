#include "cpu/cpu_features.h"

#include <atomic>

namespace vigil {
namespace {
std::atomic<int> gCap{static_cast<int>(Simd::Avx512)};
}

Simd hardwareSimd() {
#if defined(VIGIL_X86) && (defined(__GNUC__) || defined(__clang__))
  static const Simd level = [] {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return Simd::Generic;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq"))
      return Simd::Avx512;
    return Simd::Avx2;
  }();
  return level;
#else
  return Simd::Generic;
#endif
}

Simd activeSimd() {
  int hw = static_cast<int>(hardwareSimd());
  int cap = gCap.load(std::memory_order_relaxed);
  return static_cast<Simd>(hw < cap ? hw : cap);
}

void setSimdCap(Simd cap) { gCap = static_cast<int>(cap); }

const char* simdName(Simd s) {
  switch (s) {
    case Simd::Avx512: return "avx512";
    case Simd::Avx2: return "avx2";
    default: return "generic";
  }
}

}  // namespace vigil
