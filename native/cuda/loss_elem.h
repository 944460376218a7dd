// The loss kernels' work (native/cuda/loss.cu), shared with their host emulation
// (host_grid_train.cc). Conventions of cpu/loss.h: Keras' "sum_over_batch_size", per-sample losses
// in double, gradients overwritten.
//
// Phase rows: one thread per sample computes its loss l_i exactly as cpu/loss.cc does (double,
// columns in order) and writes its gradient row, storing w_i * l_i. Phase sum: one block of
// kReduceThreads threads, thread tid summing samples tid, tid + 256, ... in order, then a tree over
// shared memory with halving strides, then / N. The order depends only on N: the same value on
// every run (the CPU sums in sample order, so the two agree to double rounding, not bits).
#pragma once
#include <cstdint>

#include "cuda/hd.h"

namespace vigil {
namespace cuda {
namespace lossk {

constexpr int kThreads = 256;
constexpr int kReduceThreads = 256;  // a power of two

enum class Kind : int { BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, MeanSquared, MeanAbsolute };

struct Rows {
  Kind kind;
  int64_t N, C;
  const float* z;          // predictions or logits [N, C]
  const float* t;          // targets [N, C] (not for the sparse loss)
  const int32_t* labels;   // [N] (the sparse loss only)
  const float* w;          // [N] or nullptr
  float* grad;             // [N, C] or nullptr
  double* weighted;        // [N]: w_i * l_i
};

VIGIL_HD double logSumExp(const float* z, int64_t C) {
  double m = z[0];
  for (int64_t c = 1; c < C; ++c) m = fmax(m, static_cast<double>(z[c]));
  double s = 0.0;
  for (int64_t c = 0; c < C; ++c) s += exp(z[c] - m);
  return m + log(s);
}

// l_i of sample i, writing its gradient row scaled by `scale` = w_i / N.
VIGIL_HD double rowLoss(const Rows& p, int64_t i, double scale) {
  const int64_t C = p.C;
  const float* z = p.z + i * C;
  float* g = p.grad != nullptr ? p.grad + i * C : nullptr;
  switch (p.kind) {
    case Kind::BinaryCrossentropy: {
      const float* y = p.t + i * C;
      double sum = 0.0;
      const double k = scale / static_cast<double>(C);
      for (int64_t c = 0; c < C; ++c) {
        const double zc = z[c], yc = y[c];
        const double e = exp(-fabs(zc));
        sum += fmax(zc, 0.0) - zc * yc + log1p(e);
        if (g != nullptr) g[c] = static_cast<float>(k * ((zc >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e)) - yc));
      }
      return sum / static_cast<double>(C);
    }
    case Kind::SparseCategoricalCrossentropy: {
      const double lse = logSumExp(z, C);
      const int32_t label = p.labels[i];
      if (g != nullptr)
        for (int64_t c = 0; c < C; ++c) g[c] = static_cast<float>(scale * (exp(z[c] - lse) - (c == label ? 1.0 : 0.0)));
      return lse - z[label];
    }
    case Kind::CategoricalCrossentropy: {
      const float* t = p.t + i * C;
      const double lse = logSumExp(z, C);
      double l = 0.0, tsum = 0.0;
      for (int64_t c = 0; c < C; ++c) {
        l += t[c] * (lse - z[c]);
        tsum += t[c];
      }
      if (g != nullptr)
        for (int64_t c = 0; c < C; ++c) g[c] = static_cast<float>(scale * (exp(z[c] - lse) * tsum - t[c]));
      return l;
    }
    case Kind::MeanSquared: {
      const float* t = p.t + i * C;
      double sum = 0.0;
      const double k = 2.0 * scale / static_cast<double>(C);
      for (int64_t c = 0; c < C; ++c) {
        const double d = static_cast<double>(z[c]) - t[c];
        sum += d * d;
        if (g != nullptr) g[c] = static_cast<float>(k * d);
      }
      return sum / static_cast<double>(C);
    }
    case Kind::MeanAbsolute:
      break;
  }
  const float* t = p.t + i * C;
  double sum = 0.0;
  const double k = scale / static_cast<double>(C);
  for (int64_t c = 0; c < C; ++c) {
    const double d = static_cast<double>(z[c]) - t[c];
    sum += fabs(d);
    if (g != nullptr) g[c] = static_cast<float>(d > 0 ? k : d < 0 ? -k : 0.0);
  }
  return sum / static_cast<double>(C);
}

// Phase rows, sample i.
VIGIL_HD void rowElement(int64_t i, const Rows& p) {
  const double wi = p.w != nullptr ? static_cast<double>(p.w[i]) : 1.0;
  p.weighted[i] = wi * rowLoss(p, i, wi / static_cast<double>(p.N));
}

// Phase sum: thread tid's samples, in order.
VIGIL_HD double sumPartial(int tid, int64_t N, const double* weighted) {
  double s = 0.0;
  for (int64_t i = tid; i < N; i += kReduceThreads) s += weighted[i];
  return s;
}

// One stride of the tree (kReduceThreads / 2, ..., 1): part[tid] += part[tid + stride].
VIGIL_HD void reduceStep(int tid, int stride, double* part) {
  if (tid < stride) part[tid] += part[tid + stride];
}

VIGIL_HD void sumStore(int tid, int64_t N, const double* part, double* out) {
  if (tid == 0) *out = part[0] / static_cast<double>(N);
}

}  // namespace lossk
}  // namespace cuda
}  // namespace vigil
