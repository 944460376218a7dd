#include "cpu/loss.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/threadpool.h"

namespace vigil {
namespace {
constexpr int64_t kGrain = 1 << 14;

// Runs row(i, scale) -> l_i over the samples in parallel, where scale = w_i / N is what the
// gradient of row i is multiplied by, and sums w_i * l_i / N in sample order.
template <typename Row>
double reduceRows(int64_t N, int64_t C, const float* w, Row row) {
  std::vector<double> perRow(N);
  parallelFor(N, std::max<int64_t>(1, kGrain / C), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      double wi = w != nullptr ? w[i] : 1.0;
      perRow[i] = wi * row(i, wi / static_cast<double>(N));
    }
  });
  double s = 0;
  for (int64_t i = 0; i < N; ++i) s += perRow[i];
  return s / static_cast<double>(N);
}

// Max and log-sum-exp of one row, in double.
double logSumExp(const float* z, int64_t C, double* maxOut) {
  double m = z[0];
  for (int64_t c = 1; c < C; ++c) m = std::max(m, static_cast<double>(z[c]));
  double s = 0;
  for (int64_t c = 0; c < C; ++c) s += std::exp(z[c] - m);
  *maxOut = m;
  return m + std::log(s);
}
}  // namespace

double binaryCrossentropyLogits(int64_t N, int64_t C, const float* z, const float* y, const float* w, float* grad) {
  return reduceRows(N, C, w, [&](int64_t i, double scale) {
    double sum = 0, g = scale / static_cast<double>(C);
    for (int64_t c = i * C; c < (i + 1) * C; ++c) {
      double zc = z[c], yc = y[c];
      double e = std::exp(-std::fabs(zc));
      sum += std::max(zc, 0.0) - zc * yc + std::log1p(e);
      if (grad != nullptr) {
        double sig = zc >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
        grad[c] = static_cast<float>(g * (sig - yc));
      }
    }
    return sum / static_cast<double>(C);
  });
}

double sparseCategoricalCrossentropyLogits(int64_t N, int64_t C, const float* z, const int32_t* labels,
                                           const float* w, float* grad) {
  return reduceRows(N, C, w, [&](int64_t i, double scale) {
    const float* zr = z + i * C;
    double m;
    double lse = logSumExp(zr, C, &m);
    if (grad != nullptr) {
      float* gr = grad + i * C;
      for (int64_t c = 0; c < C; ++c) gr[c] = static_cast<float>(scale * (std::exp(zr[c] - lse) - (c == labels[i])));
    }
    return lse - zr[labels[i]];
  });
}

double categoricalCrossentropyLogits(int64_t N, int64_t C, const float* z, const float* t, const float* w,
                                     float* grad) {
  return reduceRows(N, C, w, [&](int64_t i, double scale) {
    const float* zr = z + i * C;
    const float* tr = t + i * C;
    double m;
    double lse = logSumExp(zr, C, &m);
    double l = 0, tsum = 0;
    for (int64_t c = 0; c < C; ++c) {
      l += tr[c] * (lse - zr[c]);
      tsum += tr[c];
    }
    if (grad != nullptr) {
      float* gr = grad + i * C;
      for (int64_t c = 0; c < C; ++c) gr[c] = static_cast<float>(scale * (std::exp(zr[c] - lse) * tsum - tr[c]));
    }
    return l;
  });
}

double meanSquaredError(int64_t N, int64_t C, const float* p, const float* t, const float* w, float* grad) {
  return reduceRows(N, C, w, [&](int64_t i, double scale) {
    double sum = 0, g = 2.0 * scale / static_cast<double>(C);
    for (int64_t c = i * C; c < (i + 1) * C; ++c) {
      double d = static_cast<double>(p[c]) - t[c];
      sum += d * d;
      if (grad != nullptr) grad[c] = static_cast<float>(g * d);
    }
    return sum / static_cast<double>(C);
  });
}

double meanAbsoluteError(int64_t N, int64_t C, const float* p, const float* t, const float* w, float* grad) {
  return reduceRows(N, C, w, [&](int64_t i, double scale) {
    double sum = 0, g = scale / static_cast<double>(C);
    for (int64_t c = i * C; c < (i + 1) * C; ++c) {
      double d = static_cast<double>(p[c]) - t[c];
      sum += std::fabs(d);
      if (grad != nullptr) grad[c] = static_cast<float>(d > 0 ? g : d < 0 ? -g : 0.0);
    }
    return sum / static_cast<double>(C);
  });
}

}  // namespace vigil
