// embeddingForward / embeddingBackward: ids are range-checked here so the kernels may index freely.
#include <limits>

#include "cpu/embedding.h"
#include "cuda/embedding.h"
#include "glue/common.h"
#include "glue/families.h"
#include "glue/paths.h"

namespace vigil {
namespace glue {
namespace {
constexpr int64_t kMaxVocab = std::numeric_limits<int32_t>::max();
}

void register_embedding(Napi::Env env, Napi::Object exports) {
  // (V, E, N, ids Int32[N], table [V,E], out [N,E])
  definePaths(env, exports, "embeddingForward", [](Args& a, KernelPath path) -> std::function<void()> {
    int64_t V = a.integer(0, "V", 1, kMaxVocab), E = a.dim(1, "E"), N = a.dim(2, "N");
    int64_t tableLen = a.product({V, E}, "V * E"), outLen = a.product({N, E}, "N * E");
    const int32_t* ids = a.i32(3, "ids", N, 0, static_cast<int32_t>(V - 1), true);
    const float* table = a.f32(4, "table", tableLen);
    float* out = a.f32(5, "out", outLen, false);
    auto k = pick(path, &embeddingForward, &cuda::embeddingForward, &cuda::host::embeddingForward);
    return [=] { k(V, E, N, ids, table, out); };
  });
  // (V, E, N, ids Int32[N], dOut [N,E], dTable [V,E]) — dTable is overwritten.
  definePaths(env, exports, "embeddingBackward", [](Args& a, KernelPath path) -> std::function<void()> {
    int64_t V = a.integer(0, "V", 1, kMaxVocab), E = a.dim(1, "E"), N = a.dim(2, "N");
    int64_t tableLen = a.product({V, E}, "V * E"), outLen = a.product({N, E}, "N * E");
    const int32_t* ids = a.i32(3, "ids", N, 0, static_cast<int32_t>(V - 1), true);
    const float* dOut = a.f32(4, "dOut", outLen);
    float* dTable = a.f32(5, "dTable", tableLen, false);
    auto k = pick(path, &embeddingBackward, &cuda::embeddingBackward, &cuda::host::embeddingBackward);
    return [=] { k(V, E, N, ids, dOut, dTable); };
  });
}

}  // namespace glue
}  // namespace vigil
