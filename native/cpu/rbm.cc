#include "cpu/rbm.h"

#include <algorithm>
#include <cmath>
#include <atomic>
#include <cstring>
#include <exception>
#include <mutex>
#include <vector>

#include "cpu/activation.h"
#include "cpu/cpu_features.h"
#include "cpu/gemm.h"
#include "cpu/philox.h"
#include "cpu/spin_barrier.h"
#include "cpu/threadpool.h"

namespace vigil {
namespace {

// Elements per thread before splitting an element-wise pass pays off.
constexpr int64_t kGrain = 1 << 14;
// Rows of a free-energy chunk: bounds the scratch at kChunk x H floats.
constexpr int64_t kChunk = 4096;

int64_t rowGrain(int64_t width) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(width, 1)); }

double squaredError(int64_t n, const float* x, const float* y) {
#if defined(VIGIL_X86)
  if (useAvx512()) return avx512::rbmSquaredError(n, x, y);
  if (useAvx2()) return avx2::rbmSquaredError(n, x, y);
#endif
  return rbm_detail::squaredError(n, x, y);
}

void columnSums(int64_t m, int64_t width, int64_t ld, const float* a, const float* b, double sign, double* sums) {
#if defined(VIGIL_X86)
  if (useAvx512()) return avx512::rbmColumnSums(m, width, ld, a, b, sign, sums);
  if (useAvx2()) return avx2::rbmColumnSums(m, width, ld, a, b, sign, sums);
#endif
  rbm_detail::columnSums(m, width, ld, a, b, sign, sums);
}

// Rows [r0, r1) of A [., width]: A[r] += bias, then the sigmoid when `squash`.
void biasRows(int64_t r0, int64_t r1, int64_t width, const float* bias, bool squash, float* A) {
  float* a = A + r0 * width;
#if defined(VIGIL_X86)
  if (useAvx512()) return avx512::rbmBiasRows(r1 - r0, width, bias, squash, a);
  if (useAvx2()) return avx2::rbmBiasRows(r1 - r0, width, bias, squash, a);
#endif
  for (int64_t r = 0; r < r1 - r0; ++r) {
    for (int64_t j = 0; j < width; ++j) {
      const float z = a[r * width + j] + bias[j];
      a[r * width + j] = squash ? rbm_detail::sigmoid(z) : z;
    }
  }
}

// The chosen sampling path; p may alias out (each element is read before it is written).
void sampleSpan(int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, const float* p, float* out) {
#if defined(VIGIL_X86)
  if (useAvx512()) return avx512::rbmSampleSpan(n, seed, stream, offset, p, out);
  if (useAvx2()) return avx2::rbmSampleSpan(n, seed, stream, offset, p, out);
#endif
  rbm_detail::sampleSpanPortable(n, seed, stream, offset, p, out);
}

// The chosen path of sum_j softplus(z_j + c_j).
double softplusSum(int64_t H, const float* z, const float* c) {
#if defined(VIGIL_X86)
  if (useAvx512()) return avx512::rbmSoftplusSum(H, z, c);
  if (useAvx2()) return avx2::rbmSoftplusSum(H, z, c);
#endif
  return rbm_detail::softplusSum(H, z, c);
}

// Buffers of one batch of at most m rows. The data rows and the chain's last visible values
// are stacked (vs = [v_0; v_k]) as are their hidden probabilities (ps = [p_0; -p_k] once the
// chain is done), so dW is one product with K = 2m.
struct Work {
  // W packed once per batch for the chain's products: as op(B) = W^T [V, H] (hidden side) and
  // W [H, V] (visible side); the same bits as sgemm on W.
  PackedB wt, w;
  std::vector<float> vs, ps, h, vm;
  std::vector<double> err, colV, colH;
  Work(int64_t m, int64_t V, int64_t H)
      : vs(2 * m * V), ps(2 * m * H), h(m * H), vm(m * V), err(m), colV(V), colH(H) {}
};

// Rows per chunk of the chain: every row's chain is independent of the others, so a batch is split
// over threads by rows; a row's products, draws and sums do not depend on the split.
constexpr int64_t kChainRows = 16;

// The Gibbs chain of rows [r0, r1) of a batch of m rows (see rbmCdGradient), on one thread.
void chainRows(const RbmChain& ch, int64_t m, int64_t V, int64_t H, Work& w, const PackedB& wt, const PackedB& wv,
               const float* b, const float* c, float* persistentH, uint64_t seed, uint64_t stream, int64_t r0, int64_t r1) {
  const uint64_t S = static_cast<uint64_t>(m * H + m * V);
  const int64_t n = r1 - r0;
  const float* v0 = w.vs.data() + r0 * V;
  float* vk = w.vs.data() + (m + r0) * V;
  float* p0 = w.ps.data() + r0 * H;
  float* pk = w.ps.data() + (m + r0) * H;
  float* h = w.h.data() + r0 * H;
  float* vm = w.vm.data() + r0 * V;
  const uint64_t hOff = static_cast<uint64_t>(r0 * H), vOff = static_cast<uint64_t>(r0 * V);

  const bool squash = ch.visible == RbmVisible::Bernoulli;
  auto hidden = [&](const float* v, float* P) {
    sgemmPacked(false, n, 1.0f, v, V, wt, 0.0f, P, H);
    biasRows(0, n, H, c, true, P);
  };
  auto visible = [&](const float* hs, float* X) {
    sgemmPacked(false, n, 1.0f, hs, H, wv, 0.0f, X, V);
    biasRows(0, n, V, b, squash, X);
  };
  hidden(v0, p0);
  sampleSpan(n * H, seed, stream, hOff, p0, h);
  visible(h, vm);
  for (int64_t r = 0; r < n; ++r) w.err[r0 + r] = squaredError(V, v0 + r * V, vm + r * V);

  if (ch.persistent) std::memcpy(h, persistentH + r0 * H, sizeof(float) * n * H);
  for (int s = 0; s < ch.gibbsSteps; ++s) {
    // CD's first step reuses E[v | h_0], already computed for the reconstruction error.
    if (s > 0 || ch.persistent) visible(h, vm);
    if (ch.visible == RbmVisible::Bernoulli) sampleSpan(n * V, seed, stream, s * S + m * H + vOff, vm, vk);
    else std::memcpy(vk, vm, sizeof(float) * n * V);
    hidden(vk, pk);
    if (s + 1 < ch.gibbsSteps) sampleSpan(n * H, seed, stream, (s + 1) * S + hOff, pk, h);
  }
  if (ch.persistent) sampleSpan(n * H, seed, stream, ch.gibbsSteps * S + hOff, pk, persistentH + r0 * H);
  for (int64_t i = 0; i < n * H; ++i) pk[i] = -pk[i];
}

// The gradient of a batch whose m data rows are already in w.vs[0, m*V). See rbmCdGradient.
double cdGradient(const RbmChain& ch, int64_t m, int64_t V, int64_t H, Work& w, const float* W, const float* b,
                  const float* c, float* persistentH, uint64_t seed, uint64_t stream, float* dW, float* db, float* dc) {
  w.wt = packB(true, V, H, W, V);
  w.w = packB(false, H, V, W, V);
  parallelFor(m, kChainRows, [&](int64_t r0, int64_t r1) {
    chainRows(ch, m, V, H, w, w.wt, w.w, b, c, persistentH, seed, stream, r0, r1);
  });
  double err = 0;
  for (int64_t r = 0; r < m; ++r) err += w.err[r];

  // Bias gradients: column means of the differences (p_k is negated by now), in double over rows in order.
  const float* v0 = w.vs.data();
  const float* p0 = w.ps.data();
  double* sv = w.colV.data();
  double* sh = w.colH.data();
  std::fill(w.colV.begin(), w.colV.end(), 0.0);
  std::fill(w.colH.begin(), w.colH.end(), 0.0);
  columnSums(m, V, V, v0, v0 + m * V, -1.0, sv);
  columnSums(m, H, H, p0, p0 + m * H, 1.0, sh);
  const double inv = 1.0 / static_cast<double>(m);
  for (int64_t i = 0; i < V; ++i) db[i] = static_cast<float>(sv[i] * inv);
  for (int64_t j = 0; j < H; ++j) dc[j] = static_cast<float>(sh[j] * inv);
  // dW [H, V] = [p_0; -p_k]^T [v_0; v_k] / m.
  sgemm(true, false, H, V, 2 * m, static_cast<float>(inv), p0, H, v0, V, 0.0f, dW, V);
  return err;
}

}  // namespace

namespace rbm_detail {
float softplus(float z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }

float sigmoid(float z) { return sigmoidScalar(z); }

double softplusSum(int64_t H, const float* z, const float* c) {
  double s = 0;
  for (int64_t j = 0; j < H; ++j) s += softplus(z[j] + c[j]);
  return s;
}

double squaredError(int64_t n, const float* x, const float* y) {
  double e = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(x[i]) - y[i];
    e += d * d;
  }
  return e;
}

void columnSums(int64_t m, int64_t width, int64_t ld, const float* a, const float* b, double sign, double* sums) {
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t i = 0; i < width; ++i) sums[i] += static_cast<double>(a[r * ld + i]) + sign * b[r * ld + i];
  }
}

// One Philox block serves four consecutive draws.
void sampleSpanPortable(int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, const float* p, float* out) {
  const uint32_t s0 = static_cast<uint32_t>(stream), s1 = static_cast<uint32_t>(stream >> 32);
  const uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int64_t i = 0; i < n;) {
    const uint64_t idx = offset + static_cast<uint64_t>(i);
    const uint64_t block = idx >> 2;
    const Philox4 r = philox4x32(static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), s0, s1, k0, k1);
    for (int k = static_cast<int>(idx & 3); k < 4 && i < n; ++k, ++i) out[i] = uint32ToUniform(r.v[k]) < p[i] ? 1.0f : 0.0f;
  }
}
}  // namespace rbm_detail

void rbmHiddenProbs(int64_t N, int64_t V, int64_t H, const float* x, const float* W, const float* c, float* P) {
  sgemm(false, true, N, H, V, 1.0f, x, V, W, V, 0.0f, P, H);
  parallelFor(N, rowGrain(H), [&](int64_t r0, int64_t r1) { biasRows(r0, r1, H, c, true, P); });
}

void rbmVisibleMeans(RbmVisible vis, int64_t N, int64_t V, int64_t H, const float* h, const float* W, const float* b,
                     float* X) {
  sgemm(false, false, N, V, H, 1.0f, h, H, W, V, 0.0f, X, V);
  const bool squash = vis == RbmVisible::Bernoulli;
  parallelFor(N, rowGrain(V), [&](int64_t r0, int64_t r1) { biasRows(r0, r1, V, b, squash, X); });
}

void rbmSampleBernoulli(int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, const float* p, float* out) {
  parallelFor(n, kGrain, [&](int64_t b, int64_t e) { sampleSpan(e - b, seed, stream, offset + static_cast<uint64_t>(b), p + b, out + b); });
}

void rbmFreeEnergy(RbmVisible vis, int64_t N, int64_t V, int64_t H, const float* x, const float* W, const float* b,
                   const float* c, float* F) {
  std::vector<float> pre(std::min(N, kChunk) * H);
  for (int64_t r0 = 0; r0 < N; r0 += kChunk) {
    const int64_t n = std::min(kChunk, N - r0);
    const float* xs = x + r0 * V;
    sgemm(false, true, n, H, V, 1.0f, xs, V, W, V, 0.0f, pre.data(), H);
    parallelFor(n, rowGrain(V + H), [&](int64_t a, int64_t e) {
      for (int64_t r = a; r < e; ++r) {
        const float* v = xs + r * V;
        const float* z = pre.data() + r * H;
        double f = 0;
        if (vis == RbmVisible::Gaussian) {
          for (int64_t i = 0; i < V; ++i) {
            const double d = static_cast<double>(v[i]) - b[i];
            f += 0.5 * d * d;
          }
        } else {
          for (int64_t i = 0; i < V; ++i) f -= static_cast<double>(v[i]) * b[i];
        }
        f -= softplusSum(H, z, c);
        F[r0 + r] = static_cast<float>(f);
      }
    });
  }
}

double rbmCdGradient(const RbmChain& chain, int64_t m, int64_t V, int64_t H, const float* v0, const float* W,
                     const float* b, const float* c, float* persistentH, uint64_t seed, uint64_t stream, float* dW,
                     float* db, float* dc) {
  Work w(m, V, H);
  std::memcpy(w.vs.data(), v0, sizeof(float) * m * V);
  return cdGradient(chain, m, V, H, w, W, b, c, persistentH, seed, stream, dW, db, dc);
}

uint64_t rbmBatchStream(uint64_t epoch, uint64_t batch) { return (uint64_t(1) << 52) + (epoch << 32) + batch; }

// An epoch is a strict sequence of batches (each reads the weights the previous one wrote), and a
// batch of 128 rows is ~30 us of work: a parallel region per phase (the chain, then dW) cost as
// much in wake-ups and joins as it saved. So the whole epoch is one region whose members meet at a
// barrier twice per batch: after the chains (every row's p_0, p_k, v_k is needed for the
// gradient) and after the updates (the next chain needs all of W). Each phase splits its outputs
// over members, and every output is computed exactly as on one thread: chain rows as parallelFor
// would split them, dW and the weight update by rows of W, the bias sums by columns.
namespace {

struct EpochState {
  const RbmTrainOptions& o;
  int64_t N, V, H, B;
  const float* x;
  const int32_t* order;
  float *W, *b, *c, *velW, *velB, *velC, *persistentH;
  Work w;
  std::vector<float> gW;
  std::vector<double> batchErr;
  // A member that throws (an allocation inside a product) must not leave the others spinning at
  // the barrier: it records the first error, still meets them, and every member leaves at that
  // meeting; rbmTrainEpoch rethrows on the calling thread, which the glue turns into a JS Error.
  std::atomic<bool> failed{false};
  std::mutex errorMutex{};
  std::exception_ptr error{};
};

template <typename Fn>
void guarded(EpochState& st, Fn&& fn) {
  try {
    fn();
  } catch (...) {
    std::lock_guard<std::mutex> lock(st.errorMutex);
    if (!st.error) st.error = std::current_exception();
    st.failed.store(true, std::memory_order_release);
  }
}

// Bounds of member p of P over [0, n): multiples of 16 floats (whole SIMD columns; the split does
// not change any value, only keeps members off each other's cache lines).
int64_t memberBound(int64_t n, int p, int P) { return p >= P ? n : std::min(n, (n * p / P) / 16 * 16); }

// Member p of P runs its share of every batch of the epoch.
void epochMember(EpochState& st, SpinBarrier& barrier, int p, int P) {
  const int64_t N = st.N, V = st.V, H = st.H, B = st.B;
  const RbmTrainOptions& o = st.o;
  Work& w = st.w;
  const float lr = o.learningRate, mom = o.momentum, wd = o.weightDecay;
  PackedB wt, wv;  // this member's packed copies of W, repacked every batch into the same memory
  for (int64_t t = 0, r0 = 0; r0 < N; ++t, r0 += B) {
    const int64_t m = std::min(B, N - r0);
    const uint64_t stream = rbmBatchStream(o.epoch, t);
    guarded(st, [&] {
      // The chains: rows split as parallelFor(m, kChainRows) splits them; each member packs its own
      // copy of W (16 KiB at 64 x 64, cheaper than another meeting).
      const int64_t chunks = std::min<int64_t>(P, (m + kChainRows - 1) / kChainRows);
      if (p < chunks) {
        const int64_t a = m * p / chunks, e = m * (p + 1) / chunks;
        float* v0 = w.vs.data();
        for (int64_t r = a; r < e; ++r)
          std::memcpy(v0 + r * V, st.x + static_cast<int64_t>(st.order[r0 + r]) * V, sizeof(float) * V);
        packBInto(true, V, H, st.W, V, wt);
        packBInto(false, H, V, st.W, V, wv);
        chainRows(o.chain, m, V, H, w, wt, wv, st.b, st.c, st.persistentH, o.seed, stream, a, e);
      }
    });
    barrier.wait(P);
    if (st.failed.load(std::memory_order_acquire)) return;

    guarded(st, [&] {
      // The updates. Same arithmetic as cdGradient followed by the momentum step, output by output.
      const float* v0 = w.vs.data();
      const float* p0 = w.ps.data();
      const double inv = 1.0 / static_cast<double>(m);
      if (p == 0) {
        double err = 0;
        for (int64_t r = 0; r < m; ++r) err += w.err[r];
        st.batchErr[t] = err;
      }
      const int64_t j0 = memberBound(H, p, P), j1 = memberBound(H, p + 1, P);
      if (j1 > j0) {
        float* gW = st.gW.data() + j0 * V;
        // dW rows [j0, j1) = [p_0; -p_k]^T[:, j0:j1] [v_0; v_k] / m.
        sgemm(true, false, j1 - j0, V, 2 * m, static_cast<float>(inv), p0 + j0, H, v0, V, 0.0f, gW, V);
        for (int64_t i = 0; i < (j1 - j0) * V; ++i) {
          float* Wi = st.W + j0 * V + i;
          float* vi = st.velW + j0 * V + i;
          *vi = mom * *vi + lr * (gW[i] - wd * *Wi);
          *Wi += *vi;
        }
        double* sh = w.colH.data() + j0;
        std::fill(sh, sh + (j1 - j0), 0.0);
        columnSums(m, j1 - j0, H, p0 + j0, p0 + m * H + j0, 1.0, sh);
        for (int64_t j = j0; j < j1; ++j) {
          st.velC[j] = mom * st.velC[j] + lr * static_cast<float>(w.colH[j] * inv);
          st.c[j] += st.velC[j];
        }
      }
      const int64_t i0 = memberBound(V, p, P), i1 = memberBound(V, p + 1, P);
      if (i1 > i0) {
        double* sv = w.colV.data() + i0;
        std::fill(sv, sv + (i1 - i0), 0.0);
        columnSums(m, i1 - i0, V, v0 + i0, v0 + m * V + i0, -1.0, sv);
        for (int64_t i = i0; i < i1; ++i) {
          st.velB[i] = mom * st.velB[i] + lr * static_cast<float>(w.colV[i] * inv);
          st.b[i] += st.velB[i];
        }
      }
    });
    barrier.wait(P);
    if (st.failed.load(std::memory_order_acquire)) return;
  }
}

}  // namespace

double rbmTrainEpoch(const RbmTrainOptions& o, int64_t N, int64_t V, int64_t H, const float* x, const int32_t* order,
                     float* W, float* b, float* c, float* velW, float* velB, float* velC, float* persistentH) {
  const int64_t B = std::min(o.batchSize, N);
  const int64_t batches = (N + B - 1) / B;
  EpochState st{o, N, V, H, B, x, order, W, b, c, velW, velB, velC, persistentH, Work(B, V, H),
                std::vector<float>(H * V), std::vector<double>(batches)};
  // Members: as many as a batch's chains can use; small batches (scikit-learn's default of 10)
  // run on one thread, where a meeting per batch would cost more than it shares.
  const int P = static_cast<int>(std::min<int64_t>(getNumThreads(), (B + kChainRows - 1) / kChainRows));
  SpinBarrier barrier;
  if (P == 1) {
    epochMember(st, barrier, 0, 1);
  } else {
    parallelTeam(P, [&](int member, int members) { epochMember(st, barrier, member, members); });
  }
  if (st.error) std::rethrow_exception(st.error);
  double err = 0;
  for (double e : st.batchErr) err += e;
  return err / (static_cast<double>(N) * static_cast<double>(V));
}

}  // namespace vigil
