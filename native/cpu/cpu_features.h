// Run-time instruction-set dispatch: the addon is built for baseline x86-64 and picks the
// AVX2/FMA translation units (*_avx2.cc) only where the processor has them.
#pragma once

namespace vigil {

inline bool hasAvx2Fma() {
#if defined(VIGIL_X86) && (defined(__GNUC__) || defined(__clang__))
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return has;
#else
  return false;
#endif
}

// "avx2" or "generic": reported by backend() so users and the bench can see which path ran.
const char* simdName();
void forceGeneric(bool on);  // tests use it to check the portable path against the AVX2 one
bool useAvx2();              // hasAvx2Fma() && !forced generic

}  // namespace vigil
