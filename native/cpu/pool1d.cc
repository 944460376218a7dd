#include "cpu/pool1d.h"

#include <cstring>
#include <limits>
#include <vector>

#include "cpu/dropout.h"
#include "cpu/threadpool.h"

namespace vigil {
namespace {
// Elements per chunk of work below which waking the pool costs more than it saves.
constexpr int64_t kGrain = int64_t(1) << 14;
int64_t rowGrain(int64_t rowElems) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(rowElems, 1)); }
}  // namespace

void maxPool1dForward(const Pool1dShape& s, const float* x, float* y, int32_t* argmax) {
  const int64_t T = s.time, C = s.channels, Tout = s.outTime(), pad = s.padLeft();
  parallelFor(s.batch * Tout, rowGrain(s.pool * C), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t b = r / Tout, t = r % Tout;
      // The window clipped to the sequence: padded steps are never the maximum.
      const int64_t lo = std::max<int64_t>(t * s.stride - pad, 0), hi = std::min(t * s.stride - pad + s.pool, T);
      float* yr = y + r * C;
      int32_t* ar = argmax != nullptr ? argmax + r * C : nullptr;
      const float* xb = x + b * T * C;
      std::memcpy(yr, xb + lo * C, sizeof(float) * C);
      if (ar != nullptr) std::fill(ar, ar + C, static_cast<int32_t>(lo));
      for (int64_t u = lo + 1; u < hi; ++u) {
        const float* xu = xb + u * C;
        for (int64_t c = 0; c < C; ++c) {
          // Strictly greater: the earliest maximum wins a tie.
          if (xu[c] > yr[c]) {
            yr[c] = xu[c];
            if (ar != nullptr) ar[c] = static_cast<int32_t>(u);
          }
        }
      }
    }
  });
}

void maxPool1dBackward(const Pool1dShape& s, const int32_t* argmax, const float* dY, float* dX) {
  const int64_t T = s.time, C = s.channels, Tout = s.outTime();
  // One sequence per task: overlapping windows add into the same dX elements in output-step order.
  parallelFor(s.batch, rowGrain((T + Tout) * C), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      float* dx = dX + b * T * C;
      std::fill(dx, dx + T * C, 0.0f);
      for (int64_t t = 0; t < Tout; ++t) {
        const float* g = dY + (b * Tout + t) * C;
        const int32_t* a = argmax + (b * Tout + t) * C;
        for (int64_t c = 0; c < C; ++c) dx[a[c] * C + c] += g[c];
      }
    }
  });
}

void upSampling1dForward(int64_t B, int64_t T, int64_t C, int64_t size, const float* x, float* y) {
  parallelFor(B * T, rowGrain(size * C), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t k = 0; k < size; ++k) std::memcpy(y + (r * size + k) * C, x + r * C, sizeof(float) * C);
  });
}

void upSampling1dBackward(int64_t B, int64_t T, int64_t C, int64_t size, const float* dY, float* dX) {
  parallelFor(B * T, rowGrain(size * C), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      float* dx = dX + r * C;
      std::memcpy(dx, dY + r * size * C, sizeof(float) * C);
      for (int64_t k = 1; k < size; ++k) {
        const float* g = dY + (r * size + k) * C;
        for (int64_t c = 0; c < C; ++c) dx[c] += g[c];
      }
    }
  });
}

void spatialDropout1d(int64_t B, int64_t T, int64_t C, double rate, uint64_t seed, uint64_t stream, const float* x,
                      float* y, float* mask) {
  // The factors are dropout's own (its Philox stream and keep rule) applied to ones, so both
  // dropout layers agree on what a (rate, seed, stream) means.
  std::vector<float> ones(B * C, 1.0f), own(mask != nullptr ? 0 : B * C);
  float* f = mask != nullptr ? mask : own.data();
  dropoutForward(B * C, rate, seed, stream, ones.data(), f, nullptr);
  parallelFor(B * T, rowGrain(C), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* fb = f + (r / T) * C;
      for (int64_t c = 0; c < C; ++c) y[r * C + c] = x[r * C + c] * fb[c];
    }
  });
}

}  // namespace vigil
