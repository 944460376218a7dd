#include "cpu/dropout.h"

#include "cpu/philox.h"
#include "cpu/threadpool.h"

namespace vigil {
namespace {
constexpr int64_t kGrain = 1 << 14;

// Calls f(i, factor) for i in [b, e), factor = scale or 0. One Philox block serves four
// consecutive indices (as philoxUniform does), so it is computed once per block.
template <typename F>
void forEachFactor(int64_t b, int64_t e, double rate, uint64_t seed, uint64_t stream, F f) {
  const float scale = static_cast<float>(1.0 / (1.0 - rate));
  for (int64_t i = b; i < e;) {
    uint64_t block = static_cast<uint64_t>(i) >> 2;
    Philox4 r = philox4x32(static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), static_cast<uint32_t>(stream),
                           static_cast<uint32_t>(stream >> 32), static_cast<uint32_t>(seed),
                           static_cast<uint32_t>(seed >> 32));
    for (int k = static_cast<int>(i & 3); k < 4 && i < e; ++k, ++i) {
      f(i, static_cast<double>(uint32ToUniform(r.v[k])) >= rate ? scale : 0.0f);
    }
  }
}
}  // namespace

void dropoutForward(int64_t n, double rate, uint64_t seed, uint64_t stream, const float* x, float* y, float* mask) {
  parallelFor(n, kGrain, [&](int64_t b, int64_t e) {
    forEachFactor(b, e, rate, seed, stream, [&](int64_t i, float f) {
      y[i] = x[i] * f;
      if (mask != nullptr) mask[i] = f;
    });
  });
}

void dropoutBackward(int64_t n, double rate, uint64_t seed, uint64_t stream, const float* dY, float* dX) {
  parallelFor(n, kGrain, [&](int64_t b, int64_t e) {
    forEachFactor(b, e, rate, seed, stream, [&](int64_t i, float f) { dX[i] = dY[i] * f; });
  });
}

void dropoutApplyMask(int64_t n, const float* mask, const float* dY, float* dX) {
  parallelFor(n, kGrain << 2, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) dX[i] = dY[i] * mask[i];
  });
}

}  // namespace vigil
