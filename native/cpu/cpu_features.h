// Run-time instruction-set dispatch: the addon is built for baseline x86-64 and picks the
// AVX2/FMA translation units (*_avx2.cc) or the AVX-512 ones (*_avx512.cc) only where the
// processor (and the OS, which libgcc's CPU probe checks through XGETBV) supports them.
#pragma once

namespace vigil {

enum class Simd { Generic = 0, Avx2 = 1, Avx512 = 2 };

// What the processor supports.
Simd hardwareSimd();
// The level kernels use: the hardware's, capped by setSimdCap (tests run every path on one machine).
Simd activeSimd();
void setSimdCap(Simd cap);

inline bool useAvx2() { return activeSimd() >= Simd::Avx2; }
inline bool useAvx512() { return activeSimd() >= Simd::Avx512; }
// "avx512", "avx2" or "generic": reported by backend().
const char* simdName(Simd s);

}  // namespace vigil
