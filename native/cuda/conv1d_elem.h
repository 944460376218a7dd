// The Conv1D kernels' work (native/cuda/conv1d.cu), shared with their host emulation
// (host_grid.cc). Conventions of cpu/conv1d.h: x [B, T, Cin] channels-last, W [Cout, Cin, K],
// y [B, Tout, Cout], y[b, t, o] = bias[o] + Σ_{k, c} W[o, c, k] x[b, t + k·d − padLeft, c].
//
// Forward and dX are one thread per output element, each a chain of fmaf in (tap, channel) order:
// taps that read padding are skipped, as on the CPU. dW and db are reductions over every
// (sequence, step): one block of kReduceThreads threads per gradient element, thread tid summing
// steps tid, tid + 256, ... in order (phase partial), then a tree over shared memory with halving
// strides (phase reduce, one call per stride between barriers). The order depends only on the
// shape, so the gradients are the same bits on every run and in the host emulation.
#pragma once
#include "cpu/conv1d.h"
#include "cuda/hd.h"

namespace vigil {
namespace cuda {
namespace conv {

constexpr int kThreads = 256;        // threads per block of the element-wise kernels
constexpr int kReduceThreads = 256;  // threads per gradient element (a power of two)

struct Conv {
  int64_t B, T, Tout, Cin, Cout, K, dil, padLeft;
};
// Conv1dShape's member functions are host code: the kernels take the numbers.
inline Conv convOf(const Conv1dShape& s) {
  return {s.batch, s.time, s.outTime(), s.inChannels, s.outChannels, s.kernelSize, s.dilation, s.padLeft()};
}

// y[e] for e in [0, B·Tout·Cout): bias (or 0), the taps in order, then ReLU when relu.
VIGIL_HD void forwardElement(int64_t e, const Conv& s, const float* x, const float* W, const float* bias, bool relu,
                             float* y) {
  const int64_t o = e % s.Cout, bt = e / s.Cout, t = bt % s.Tout, b = bt / s.Tout;
  float acc = bias != nullptr ? bias[o] : 0.0f;
  for (int64_t k = 0; k < s.K; ++k) {
    const int64_t u = t + k * s.dil - s.padLeft;
    if (u < 0 || u >= s.T) continue;
    const float* xr = x + (b * s.T + u) * s.Cin;
    const float* wr = W + o * s.Cin * s.K + k;
    for (int64_t c = 0; c < s.Cin; ++c) acc = fmaf(wr[c * s.K], xr[c], acc);
  }
  y[e] = relu ? fmaxf(acc, 0.0f) : acc;
}

// dZ[i] = dY[i] where reluOut[i] > 0, else 0 (dZ may be dY).
VIGIL_HD void reluMaskElement(int64_t i, const float* reluOut, const float* dY, float* dZ) {
  dZ[i] = reluOut[i] > 0.0f ? dY[i] : 0.0f;
}

// dX[e] for e in [0, B·T·Cin): the output steps that read x[b, t, c] through each tap, in tap order,
// then output channels in order.
VIGIL_HD void inputGradElement(int64_t e, const Conv& s, const float* W, const float* dZ, float* dX) {
  const int64_t c = e % s.Cin, bt = e / s.Cin, t = bt % s.T, b = bt / s.T;
  float acc = 0.0f;
  for (int64_t k = 0; k < s.K; ++k) {
    const int64_t to = t - k * s.dil + s.padLeft;
    if (to < 0 || to >= s.Tout) continue;
    const float* g = dZ + (b * s.Tout + to) * s.Cout;
    const float* w = W + c * s.K + k;
    for (int64_t o = 0; o < s.Cout; ++o) acc = fmaf(w[o * s.Cin * s.K], g[o], acc);
  }
  dX[e] = acc;
}

// The gradient elements one reduction grid computes: dW's Cout·Cin·K (when wanted), then db's Cout
// (when wanted).
struct Grads {
  Conv s;
  const float* x;
  const float* dZ;
  float* dW;  // nullptr: not computed
  float* db;  // nullptr: not computed
  int64_t count() const { return (dW != nullptr ? s.Cout * s.Cin * s.K : 0) + (db != nullptr ? s.Cout : 0); }
};

// Phase partial: thread tid's share of gradient element g, steps n = b·Tout + t from tid by 256.
VIGIL_HD float gradPartial(int tid, const Grads& p, int64_t g) {
  const Conv& s = p.s;
  const int64_t steps = s.B * s.Tout, nW = p.dW != nullptr ? s.Cout * s.Cin * s.K : 0;
  float acc = 0.0f;
  if (g < nW) {
    const int64_t o = g / (s.Cin * s.K), c = (g / s.K) % s.Cin, k = g % s.K;
    for (int64_t n = tid; n < steps; n += kReduceThreads) {
      const int64_t b = n / s.Tout, u = n % s.Tout + k * s.dil - s.padLeft;
      if (u < 0 || u >= s.T) continue;
      acc = fmaf(p.dZ[n * s.Cout + o], p.x[(b * s.T + u) * s.Cin + c], acc);
    }
  } else {
    const int64_t o = g - nW;
    for (int64_t n = tid; n < steps; n += kReduceThreads) acc += p.dZ[n * s.Cout + o];
  }
  return acc;
}

// Phase reduce at one stride (kReduceThreads / 2, ..., 1): part[tid] += part[tid + stride].
VIGIL_HD void reduceStep(int tid, int stride, float* part) {
  if (tid < stride) part[tid] += part[tid + stride];
}

// Phase store: thread 0 writes the block's total.
VIGIL_HD void gradStore(int tid, const Grads& p, int64_t g, const float* part) {
  if (tid != 0) return;
  const int64_t nW = p.dW != nullptr ? p.s.Cout * p.s.Cin * p.s.K : 0;
  if (g < nW) p.dW[g] = part[0];
  else p.db[g - nW] = part[0];
}

}  // namespace conv
}  // namespace cuda
}  // namespace vigil
