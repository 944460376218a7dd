#include "cpu/random.h"

#include <cmath>

#include "cpu/philox.h"
#include "cpu/threadpool.h"

namespace vigil {

void randomUniform(uint64_t seed, uint64_t stream, int64_t n, float lo, float hi, float* out) {
  parallelFor(n, 1 << 14, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) out[i] = lo + (hi - lo) * philoxUniform(seed, stream, static_cast<uint64_t>(i));
  });
}

void randomNormal(uint64_t seed, uint64_t stream, int64_t n, float mean, float std, float* out) {
  parallelFor(n, 1 << 14, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      // 1 - u keeps the logarithm's argument in (0, 1].
      double u1 = 1.0 - philoxUniform(seed, stream, 2 * static_cast<uint64_t>(i));
      double u2 = philoxUniform(seed, stream, 2 * static_cast<uint64_t>(i) + 1);
      double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
      out[i] = static_cast<float>(mean + std * z);
    }
  });
}

}  // namespace vigil
