// gemm / gemmAsync: dense row-major SGEMM for JavaScript callers.
#include "cpu/gemm.h"
#include "cuda/gemm.h"
#include "glue/common.h"
#include "glue/families.h"

namespace vigil {
namespace glue {

namespace {
// Scalars are converted to float: anything beyond float range would become infinity.
constexpr double kFloatMax = 3.4028234663852886e38;

bool overlaps(const float* a, int64_t na, const float* b, int64_t nb) { return a < b + nb && b < a + na; }

// Which implementation a binding runs.
enum class Path { Cpu, CpuPacked, Cuda, CudaHost };

// gemm(transA, transB, M, N, K, alpha, A, B, beta, C, precision 'float32' | 'tf32' | undefined):
// C = alpha * op(A) op(B) + beta * C with dense leading dimensions. 'tf32' lets the CUDA path use
// TF32 tensor cores (cuda/gemm.cu); every other path computes float32 whatever it says.
std::function<void()> bind(Args& a, Path path) {
  const bool transA = a.boolean(0, "transA");
  const bool transB = a.boolean(1, "transB");
  const int64_t M = a.dim(2, "M"), N = a.dim(3, "N"), K = a.dim(4, "K");
  const float alpha = static_cast<float>(a.number(5, "alpha", -kFloatMax, kFloatMax));
  const float beta = static_cast<float>(a.number(8, "beta", -kFloatMax, kFloatMax));
  const int64_t lenA = a.product({M, K}, "A (M * K)");
  const int64_t lenB = a.product({K, N}, "B (K * N)");
  const int64_t lenC = a.product({M, N}, "C (M * N)");
  const float* A = a.f32(6, "A", lenA);
  const float* B = a.f32(7, "B", lenB);
  // C is only read when beta != 0; otherwise it is pure output and may hold anything.
  float* C = a.f32(9, "C", lenC, beta != 0.0f);
  // Writing C while reading A or B from the same memory would give garbage.
  if (overlaps(C, lenC, A, lenA)) a.rangeError("C must not share memory with A");
  if (overlaps(C, lenC, B, lenB)) a.rangeError("C must not share memory with B");
  const bool tf32 = !a.isNullish(10) && a.oneOf(10, "precision", {"float32", "tf32"}) == 1;
  const int64_t lda = transA ? M : K, ldb = transB ? K : N;
  switch (path) {
    case Path::CpuPacked:
      return [=] {
        PackedB pb = packB(transB, K, N, B, ldb);
        sgemmPacked(transA, M, alpha, A, lda, pb, beta, C, N);
      };
    case Path::Cuda:
      return [=] { cuda::sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, N, tf32); };
    case Path::CudaHost:
      return [=] { cuda::host::sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, N); };
    case Path::Cpu:
      break;
  }
  return [=] { sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, N); };
}
}  // namespace

void register_gemm(Napi::Env env, Napi::Object exports) {
  define(env, exports, "gemm", [](Args& a) { return bind(a, Path::Cpu); });
  // The same product on the GPU (cuda/gemm.cu); a JS Error when the addon has no CUDA or the call fails.
  define(env, exports, "gemmCuda", [](Args& a) { return bind(a, Path::Cuda); });
  // Test-only: the same product through packB + sgemmPacked (what the LSTM uses), so the
  // packed path is checked against the reference too.
  define(env, exports, "_gemmPacked", [](Args& a) { return bind(a, Path::CpuPacked); });
  // Test-only: the CUDA kernel's grid run as host loops (cuda/host_grid.cc), in every build.
  define(env, exports, "_cudaHostEmulateGemm", [](Args& a) { return bind(a, Path::CudaHost); });
}

}  // namespace glue
}  // namespace vigil

