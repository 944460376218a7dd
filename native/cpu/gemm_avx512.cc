// The AVX-512 register tile of the GEMM (14 x 32, see gemm.h). Compiled with AVX-512 enabled;
// called only when useAvx512() is true.
//
// Written as inline assembly: the tile needs 31 of the 32 zmm registers (28 accumulators,
// two B vectors, one A broadcast), and compilers given intrinsics spill accumulators to the
// stack at that pressure, which halves the speed.
#include <immintrin.h>

#include "cpu/gemm.h"

namespace vigil {
namespace gemm_detail {

static_assert(kMR512 == 14 && kNR512 == 32, "the assembly below hard-codes the 14 x 32 tile");

// Row I of one k step (A step offset AO bytes): broadcast A[I] into zmm BC, then
// accumulate it times both B vectors (zmm28, zmm29) into zmm LO / HI.
#define VIGIL_ROW(AO, I, LO, HI, BC)                         \
  "vbroadcastss " #AO "+" #I "*4(%[a]), %%zmm" #BC "\n\t"   \
  "vfmadd231ps %%zmm28, %%zmm" #BC ", %%zmm" #LO "\n\t"     \
  "vfmadd231ps %%zmm29, %%zmm" #BC ", %%zmm" #HI "\n\t"
// One k step at A offset AO, B offset BO (bytes). The broadcast register alternates so
// consecutive rows do not wait on each other's broadcast.
#define VIGIL_STEP(AO, BO)                        \
  "vmovaps " #BO "(%[b]), %%zmm28\n\t"            \
  "vmovaps " #BO "+64(%[b]), %%zmm29\n\t"         \
  VIGIL_ROW(AO, 0, 0, 1, 30)                      \
  VIGIL_ROW(AO, 1, 2, 3, 31)                      \
  VIGIL_ROW(AO, 2, 4, 5, 30)                      \
  VIGIL_ROW(AO, 3, 6, 7, 31)                      \
  VIGIL_ROW(AO, 4, 8, 9, 30)                      \
  VIGIL_ROW(AO, 5, 10, 11, 31)                    \
  VIGIL_ROW(AO, 6, 12, 13, 30)                    \
  VIGIL_ROW(AO, 7, 14, 15, 31)                    \
  VIGIL_ROW(AO, 8, 16, 17, 30)                    \
  VIGIL_ROW(AO, 9, 18, 19, 31)                    \
  VIGIL_ROW(AO, 10, 20, 21, 30)                   \
  VIGIL_ROW(AO, 11, 22, 23, 31)                   \
  VIGIL_ROW(AO, 12, 24, 25, 30)                   \
  VIGIL_ROW(AO, 13, 26, 27, 31)
// C row = alpha * acc (zmm28 = alpha), or alpha * acc + beta * C (zmm29 = beta), then on to
// the next row.
#define VIGIL_STORE0(LO, HI)                          \
  "vmulps %%zmm" #LO ", %%zmm28, %%zmm30\n\t"         \
  "vmulps %%zmm" #HI ", %%zmm28, %%zmm31\n\t"         \
  "vmovups %%zmm30, (%[c])\n\t"                       \
  "vmovups %%zmm31, 64(%[c])\n\t"                     \
  "add %[ldc], %[c]\n\t"
#define VIGIL_STORE1(LO, HI)                          \
  "vmulps (%[c]), %%zmm29, %%zmm30\n\t"               \
  "vmulps 64(%[c]), %%zmm29, %%zmm31\n\t"             \
  "vfmadd231ps %%zmm" #LO ", %%zmm28, %%zmm30\n\t"    \
  "vfmadd231ps %%zmm" #HI ", %%zmm28, %%zmm31\n\t"    \
  "vmovups %%zmm30, (%[c])\n\t"                       \
  "vmovups %%zmm31, 64(%[c])\n\t"                     \
  "add %[ldc], %[c]\n\t"
#define VIGIL_ALL_ROWS(S) \
  S(0, 1) S(2, 3) S(4, 5) S(6, 7) S(8, 9) S(10, 11) S(12, 13) S(14, 15) S(16, 17) S(18, 19) S(20, 21) \
  S(22, 23) S(24, 25) S(26, 27)

void microKernelAvx512(int64_t kc, const float* Ap, const float* Bp, float* C, int64_t ldc, float alpha,
                       float beta) {
  // The C tile is touched only after the k loop: start fetching it now so the epilogue
  // does not wait on memory.
  for (int64_t i = 0; i < kMR512; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(C + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(C + i * ldc + kNR512 - 1), _MM_HINT_T0);
  }
  int64_t k4 = kc / 4, k1 = kc % 4;
  int64_t ldcBytes = ldc * static_cast<int64_t>(sizeof(float));
  const int64_t readC = beta != 0.0f;
  __asm__ volatile(
      // Zero the 28 accumulators.
      "vpxord %%zmm0, %%zmm0, %%zmm0\n\t"
      "vmovaps %%zmm0, %%zmm1\n\t" "vmovaps %%zmm0, %%zmm2\n\t" "vmovaps %%zmm0, %%zmm3\n\t"
      "vmovaps %%zmm0, %%zmm4\n\t" "vmovaps %%zmm0, %%zmm5\n\t" "vmovaps %%zmm0, %%zmm6\n\t"
      "vmovaps %%zmm0, %%zmm7\n\t" "vmovaps %%zmm0, %%zmm8\n\t" "vmovaps %%zmm0, %%zmm9\n\t"
      "vmovaps %%zmm0, %%zmm10\n\t" "vmovaps %%zmm0, %%zmm11\n\t" "vmovaps %%zmm0, %%zmm12\n\t"
      "vmovaps %%zmm0, %%zmm13\n\t" "vmovaps %%zmm0, %%zmm14\n\t" "vmovaps %%zmm0, %%zmm15\n\t"
      "vmovaps %%zmm0, %%zmm16\n\t" "vmovaps %%zmm0, %%zmm17\n\t" "vmovaps %%zmm0, %%zmm18\n\t"
      "vmovaps %%zmm0, %%zmm19\n\t" "vmovaps %%zmm0, %%zmm20\n\t" "vmovaps %%zmm0, %%zmm21\n\t"
      "vmovaps %%zmm0, %%zmm22\n\t" "vmovaps %%zmm0, %%zmm23\n\t" "vmovaps %%zmm0, %%zmm24\n\t"
      "vmovaps %%zmm0, %%zmm25\n\t" "vmovaps %%zmm0, %%zmm26\n\t" "vmovaps %%zmm0, %%zmm27\n\t"
      // k loop, unrolled by 4 so the loop overhead hides behind the FMAs; the packed panels
      // are read strictly forwards, which the hardware prefetcher follows.
      "test %[k4], %[k4]\n\t"
      "jz 2f\n\t"
      "1:\n\t"
      VIGIL_STEP(0, 0)
      VIGIL_STEP(56, 128)
      VIGIL_STEP(112, 256)
      VIGIL_STEP(168, 384)
      "add $224, %[a]\n\t"
      "add $512, %[b]\n\t"
      "dec %[k4]\n\t"
      "jnz 1b\n\t"
      "2:\n\t"
      "test %[k1], %[k1]\n\t"
      "jz 4f\n\t"
      "3:\n\t"
      VIGIL_STEP(0, 0)
      "add $56, %[a]\n\t"
      "add $128, %[b]\n\t"
      "dec %[k1]\n\t"
      "jnz 3b\n\t"
      "4:\n\t"
      // Epilogue: beta == 0 never reads C.
      "vbroadcastss %[alpha], %%zmm28\n\t"
      "vbroadcastss %[beta], %%zmm29\n\t"
      "test %[readC], %[readC]\n\t"
      "jnz 5f\n\t"
      VIGIL_ALL_ROWS(VIGIL_STORE0)
      "jmp 6f\n\t"
      "5:\n\t"
      VIGIL_ALL_ROWS(VIGIL_STORE1)
      "6:\n\t"
      : [a] "+r"(Ap), [b] "+r"(Bp), [c] "+r"(C), [k4] "+r"(k4), [k1] "+r"(k1)
      : [ldc] "r"(ldcBytes), [alpha] "m"(alpha), [beta] "m"(beta), [readC] "r"(readC)
      : "cc", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
        "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22",
        "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31");
}

#undef VIGIL_ROW
#undef VIGIL_STEP
#undef VIGIL_STORE0
#undef VIGIL_STORE1
#undef VIGIL_ALL_ROWS

}  // namespace gemm_detail
}  // namespace vigil
