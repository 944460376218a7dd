#include "cpu/dropout.h"

#include <cmath>
#include <cstring>

#include "cpu/cpu_features.h"
#include "cpu/philox.h"
#include "cpu/threadpool.h"

namespace vigil {
namespace dropout {

// The portable path. One Philox block serves four consecutive indices (as philoxUniform does), so
// it is computed once per block.
void rangePortable(int64_t b, int64_t e, uint32_t threshold, float scale, uint64_t seed, uint64_t stream,
                   const float* x, float* y, float* mask) {
  for (int64_t i = b; i < e;) {
    uint64_t block = static_cast<uint64_t>(i) >> 2;
    Philox4 r = philox4x32(static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), static_cast<uint32_t>(stream),
                           static_cast<uint32_t>(stream >> 32), static_cast<uint32_t>(seed),
                           static_cast<uint32_t>(seed >> 32));
    for (int k = static_cast<int>(i & 3); k < 4 && i < e; ++k, ++i) {
      const float f = (r.v[k] >> 8) >= threshold ? scale : 0.0f;
      y[i] = x[i] * f;
      if (mask != nullptr) mask[i] = f;
    }
  }
}

uint32_t keepThreshold(double rate) { return static_cast<uint32_t>(std::ceil(rate * 16777216.0)); }

void range(int64_t b, int64_t e, uint32_t threshold, float scale, uint64_t seed, uint64_t stream, const float* x,
           float* y, float* mask) {
#if defined(VIGIL_X86)
  if (useAvx512()) return avx512::dropoutRange(b, e, threshold, scale, seed, stream, x, y, mask);
  if (useAvx2()) return avx2::dropoutRange(b, e, threshold, scale, seed, stream, x, y, mask);
#endif
  rangePortable(b, e, threshold, scale, seed, stream, x, y, mask);
}

}  // namespace dropout

namespace {
constexpr int64_t kGrain = 1 << 14;
float scaleOf(double rate) { return static_cast<float>(1.0 / (1.0 - rate)); }
}  // namespace

void dropoutForward(int64_t n, double rate, uint64_t seed, uint64_t stream, const float* x, float* y, float* mask) {
  const uint32_t thr = dropout::keepThreshold(rate);
  const float scale = scaleOf(rate);
  parallelFor(n, kGrain, [&](int64_t b, int64_t e) { dropout::range(b, e, thr, scale, seed, stream, x, y, mask); });
}

void dropoutBackward(int64_t n, double rate, uint64_t seed, uint64_t stream, const float* dY, float* dX) {
  dropoutForward(n, rate, seed, stream, dY, dX, nullptr);
}

void dropoutApplyMask(int64_t n, const float* mask, const float* dY, float* dX) {
  parallelFor(n, kGrain << 2, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) dX[i] = dY[i] * mask[i];
  });
}

void dropoutSequences(int64_t B, int64_t T, int64_t F, const int32_t* lengths, double rate, uint64_t seed,
                      uint64_t stream, const float* x, float* y) {
  const uint32_t thr = dropout::keepThreshold(rate);
  const float scale = scaleOf(rate);
  const int64_t row = T * F;
  // A sequence is at most T*F elements: a few sequences per chunk keep the pool's overhead small.
  const int64_t grain = row >= kGrain ? 1 : kGrain / row;
  parallelFor(B, grain, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t start = b * row + (T - lengths[b]) * F, end = (b + 1) * row;
      std::memset(y + b * row, 0, (start - b * row) * sizeof(float));
      dropout::range(start, end, thr, scale, seed, stream, x, y, nullptr);
    }
  });
}

}  // namespace vigil
