// The RBM kernels' work (native/cuda/rbm.cu), shared with their host emulation (host_grid.cc).
// Conventions of cpu/rbm.h: W [H, V], visible bias b [V], hidden bias c [H], rows [N, V].
//
// Conditionals are one thread per output element, each a chain of fmaf in the order of the CPU's
// product (the inner index ascending), then the bias, then the sigmoid. Samples use the shared
// Philox generator (cpu/philox.h, compiled for the device too): element i of a span is
// philoxUniform(seed, stream, offset + i) < p[i], the CPU's exact rule, so the same probabilities
// give the same samples on both sides. The free energy is a block per row: thread tid sums hidden
// units tid, tid + 256, ... and visible units likewise (phase partial, double), then a tree over
// shared memory with halving strides (phase reduce). The CD-k chain (cdChain below) is a sequence
// of such grids, written once for the device and the host emulation.
#pragma once
#include <cstdint>

#include "cpu/philox.h"
#include "cpu/rbm.h"
#include "cuda/hd.h"

namespace vigil {
namespace cuda {
namespace rbmk {

constexpr int kThreads = 256;        // threads per block of the element-wise kernels
constexpr int kReduceThreads = 256;  // threads per row of the free energy (a power of two)

// cpu/rbm.cc's rbm_detail::softplus.
VIGIL_HD float softplusOf(float z) { return z > 0.0f ? z + log1pf(expf(-z)) : log1pf(expf(z)); }

// P[e] for e in [0, n·H): sigmoid(x[r] · W[j] + c[j]), r = e / H, j = e % H.
VIGIL_HD void hiddenElement(int64_t e, int64_t V, int64_t H, const float* x, const float* W, const float* c, float* P) {
  const int64_t r = e / H, j = e % H;
  const float* xr = x + r * V;
  const float* wj = W + j * V;
  float z = 0.0f;
  for (int64_t i = 0; i < V; ++i) z = fmaf(xr[i], wj[i], z);
  P[e] = sigmoidOf(z + c[j]);
}

// X[e] for e in [0, n·V): b[i] + h[r] · W[:, i], squashed by the sigmoid for Bernoulli visibles.
VIGIL_HD void visibleElement(int64_t e, int64_t V, int64_t H, const float* h, const float* W, const float* b, bool squash,
                             float* X) {
  const int64_t r = e / V, i = e % V;
  const float* hr = h + r * H;
  float z = 0.0f;
  for (int64_t j = 0; j < H; ++j) z = fmaf(hr[j], W[j * V + i], z);
  z += b[i];
  X[e] = squash ? sigmoidOf(z) : z;
}

// out[i] = 1 if draw offset + i of (seed, stream) is below p[i], else 0; out may be p.
VIGIL_HD void sampleElement(int64_t i, uint64_t seed, uint64_t stream, uint64_t offset, const float* p, float* out) {
  out[i] = philoxUniform(seed, stream, offset + static_cast<uint64_t>(i)) < p[i] ? 1.0f : 0.0f;
}

struct FreeEnergy {
  bool gaussian;
  int64_t V, H;
  const float *x, *W, *b, *c;
  float* F;
};

// Phase partial of row r: thread tid's hidden units (-softplus(c_j + W_j · v)) and visible units
// (-b_i v_i, or (v_i - b_i)² / 2 for Gaussian visibles), in double.
VIGIL_HD double freeEnergyPartial(int tid, const FreeEnergy& p, int64_t r) {
  const float* v = p.x + r * p.V;
  double s = 0.0;
  for (int64_t j = tid; j < p.H; j += kReduceThreads) {
    const float* wj = p.W + j * p.V;
    float z = 0.0f;
    for (int64_t i = 0; i < p.V; ++i) z = fmaf(v[i], wj[i], z);
    s -= static_cast<double>(softplusOf(z + p.c[j]));
  }
  for (int64_t i = tid; i < p.V; i += kReduceThreads) {
    if (p.gaussian) {
      const double d = static_cast<double>(v[i]) - p.b[i];
      s += 0.5 * d * d;
    } else {
      s -= static_cast<double>(p.b[i]) * v[i];
    }
  }
  return s;
}

// Phase reduce at one stride (kReduceThreads / 2, ..., 1): part[tid] += part[tid + stride].
VIGIL_HD void reduceStep(int tid, int stride, double* part) {
  if (tid < stride) part[tid] += part[tid + stride];
}

// Phase store: thread 0 writes row r's total.
VIGIL_HD void freeEnergyStore(int tid, const FreeEnergy& p, int64_t r, const double* part) {
  if (tid == 0) p.F[r] = static_cast<float>(part[0]);
}

// err[r] = Σ_i (v0 - vm)² of row r in double, visible units in order (cpu/rbm.cc's squaredError).
VIGIL_HD void errorRow(int64_t r, int64_t V, const float* v0, const float* vm, double* err) {
  double e = 0.0;
  for (int64_t i = 0; i < V; ++i) {
    const double d = static_cast<double>(v0[r * V + i]) - vm[r * V + i];
    e += d * d;
  }
  err[r] = e;
}

// out[i] = mean over rows of a[r, i] - b[r, i], in double over rows in order: the CPU's column sums
// (cpu/rbm.cc's columnSums with b negated), the same bits for the same inputs.
VIGIL_HD void meanDifference(int64_t i, int64_t m, int64_t width, const float* a, const float* b, double inv, float* out) {
  double s = 0.0;
  for (int64_t r = 0; r < m; ++r) s += static_cast<double>(a[r * width + i]) + -1.0 * static_cast<double>(b[r * width + i]);
  out[i] = static_cast<float>(s * inv);
}

// dW[e] for e in [0, H·V): (p0[:, j] · v0[:, i] - pk[:, j] · vk[:, i]) · inv, one fmaf chain over
// the data rows then the chain's rows (the CPU's product [p0; -pk]ᵀ [v0; vk] with K = 2m).
VIGIL_HD void weightGradElement(int64_t e, int64_t m, int64_t V, int64_t H, const float* p0, const float* v0,
                                const float* pk, const float* vk, float inv, float* dW) {
  const int64_t j = e / V, i = e % V;
  float acc = 0.0f;
  for (int64_t r = 0; r < m; ++r) acc = fmaf(p0[r * H + j], v0[r * V + i], acc);
  for (int64_t r = 0; r < m; ++r) acc = fmaf(-pk[r * H + j], vk[r * V + i], acc);
  dW[e] = inv * acc;
}

// The buffers of one CD-k gradient (device memory in rbm.cu, host memory in the emulation).
struct Cd {
  RbmChain chain;
  int64_t m, V, H;
  uint64_t seed, stream;
  const float *v0, *W, *b, *c;
  float *p0, *pk, *h, *vm, *vk;  // [m,H], [m,H], [m,H], [m,V], [m,V]
  double* err;                   // [m]
  float* persistentH;            // [m,H], read and written (PCD only)
  float *dW, *db, *dc;
};

// The CD-k / PCD-k chain of cpu/rbm.h's rbmCdGradient as a sequence of grids: G runs one grid
// (G::hidden, visible, sample, errors, copy, meanDifference, weightGrad), on the device or as host
// loops. The draws lie at the CPU's offsets, so the samples are the CPU's wherever the
// probabilities are the same floats.
template <class G>
void cdChain(G& g, const Cd& d) {
  const int64_t m = d.m, V = d.V, H = d.H;
  const uint64_t S = static_cast<uint64_t>(m * H + m * V);
  const bool squash = d.chain.visible == RbmVisible::Bernoulli;
  g.hidden(m, d.v0, d.p0);
  g.sample(m * H, S * 0, d.p0, d.h);
  g.visible(m, d.h, squash, d.vm);
  g.errors(m, d.v0, d.vm, d.err);
  if (d.chain.persistent) g.copy(d.h, d.persistentH, m * H);
  for (int s = 0; s < d.chain.gibbsSteps; ++s) {
    // CD's first step reuses E[v | h_0], already computed for the reconstruction error.
    if (s > 0 || d.chain.persistent) g.visible(m, d.h, squash, d.vm);
    if (squash) g.sample(m * V, s * S + static_cast<uint64_t>(m * H), d.vm, d.vk);
    else g.copy(d.vk, d.vm, m * V);
    g.hidden(m, d.vk, d.pk);
    if (s + 1 < d.chain.gibbsSteps) g.sample(m * H, (s + 1) * S, d.pk, d.h);
  }
  if (d.chain.persistent) g.sample(m * H, d.chain.gibbsSteps * S, d.pk, d.persistentH);
  const double inv = 1.0 / static_cast<double>(m);
  g.meanDifference(m, V, d.v0, d.vk, inv, d.db);
  g.meanDifference(m, H, d.p0, d.pk, inv, d.dc);
  g.weightGrad(m, d.p0, d.v0, d.pk, d.vk, static_cast<float>(inv), d.dW);
}

}  // namespace rbmk
}  // namespace cuda
}  // namespace vigil
