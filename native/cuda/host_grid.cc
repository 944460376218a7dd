// The CUDA kernels' grids run as plain host loops, compiled into every build (with or without
// CUDA) so that `npm test` checks the kernels' per-element, per-tile and per-thread work against
// the CPU kernels on machines without a GPU. Each function walks the grid block by block; inside a
// block, every phase between two __syncthreads() of the kernel runs for all its threads before the
// next phase starts, and the state a device thread keeps in registers across phases lives in an
// array indexed by thread. The phase functions are the kernels' own (gemm_tile.h, iforest_walk.h,
// svm_tile.h); what this file shares with the .cu files by hand is only the order of the phases.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu/iforest.h"
#include "cuda/conv1d.h"
#include "cuda/conv1d_elem.h"
#include "cuda/gemm.h"
#include "cuda/gemm_tile.h"
#include "cuda/iforest.h"
#include "cuda/iforest_walk.h"
#include "cuda/lstm.h"
#include "cuda/lstm_elem.h"
#include "cuda/lstm_persist.h"
#include "cuda/rbm.h"
#include "cuda/rbm_elem.h"
#include "cuda/svm_kernel.h"
#include "cuda/svm_tile.h"

namespace vigil {
namespace cuda {
namespace host {

using namespace tile;

void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  const Gemm p{transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, vec4Ok(A, lda), vec4Ok(B, ldb)};
  GemmShared s;
  std::vector<Acc> acc(kThreads);
  for (int64_t m0 = 0; m0 < M; m0 += kBM) {      // blockIdx.x
    for (int64_t n0 = 0; n0 < N; n0 += kBN) {    // blockIdx.y
      for (Acc& a : acc) a = Acc{};
      for (int64_t k0 = 0; k0 < K; k0 += kBK) {
        for (int t = 0; t < kThreads; ++t) gemmLoad(t, p, s, m0, n0, k0);
        for (int t = 0; t < kThreads; ++t) gemmMultiply(t % kTX, t / kTX, s, acc[t]);
      }
      for (int t = 0; t < kThreads; ++t) gemmStore(t % kTX, t / kTX, p, m0, n0, acc[t]);
    }
  }
}

void iforestScore(int64_t trees, int height, const int32_t* feature, const float* threshold, const float* leafValue,
                  const float* x, int64_t rows, int64_t cols, int64_t maxSamples, float* pathLength, float* score) {
  const IforestScore p{{trees, height, feature, threshold, leafValue}, x, rows, cols,
                       iforestAveragePathLength(maxSamples), pathLength, score};
  const bool staged = iforestStaged(cols);
  std::vector<float> sh(staged ? static_cast<size_t>(kRowsPerBlock * iforestStride(cols)) : 0);
  for (int64_t r0 = 0; r0 < rows; r0 += kRowsPerBlock) {
    if (staged)
      for (int t = 0; t < kRowsPerBlock; ++t) iforestStage(t, p, r0, sh.data());
    for (int t = 0; t < kRowsPerBlock; ++t) iforestWalk(t, p, r0, staged ? sh.data() : nullptr);
  }
}

void svmDecisionRbf(int64_t m, int64_t d, int64_t nSV, const float* x, const float* sv, const float* coef, double gamma,
                    double rho, float* out) {
  const SvmRbf p{m, d, nSV, x, sv, coef, static_cast<float>(gamma), rho, out, vec4Ok(x, d), vec4Ok(sv, d)};
  SvmShared s;
  std::vector<Acc> d2(kThreads);
  std::vector<float> part(static_cast<size_t>(kThreads * kTM));
  for (int64_t r0 = 0; r0 < m; r0 += kBM) {  // blockIdx.x
    std::fill(part.begin(), part.end(), 0.0f);
    for (int64_t j0 = 0; j0 < nSV; j0 += kBN) {
      for (Acc& a : d2) a = Acc{};
      for (int64_t k0 = 0; k0 < d; k0 += kBK) {
        for (int t = 0; t < kThreads; ++t) svmLoad(t, p, s, r0, j0, k0);
        for (int t = 0; t < kThreads; ++t) svmDistance(t % kTX, t / kTX, s, d2[t]);
      }
      for (int t = 0; t < kThreads; ++t) svmAccumulate(t % kTX, p, j0, d2[t], &part[t * kTM]);
    }
    for (int t = 0; t < kThreads; ++t) svmPartials(t % kTX, t / kTX, s, &part[t * kTM]);
    for (int t = 0; t < kThreads; ++t) svmFinish(t, p, s, r0);
  }
}

// The element-wise grids: blocks of conv::kThreads, every thread with an index below n.
template <class F>
void elementGrid(int64_t n, F&& f) {
  for (int64_t b0 = 0; b0 < n; b0 += conv::kThreads)
    for (int t = 0; t < conv::kThreads && b0 + t < n; ++t) f(b0 + t);
}

void conv1dForward(const Conv1dShape& shape, const float* x, const float* W, const float* b, float* y,
                   Conv1dActivation act) {
  const conv::Conv s = conv::convOf(shape);
  const bool relu = act == Conv1dActivation::Relu;
  elementGrid(s.B * s.Tout * s.Cout, [&](int64_t e) { conv::forwardElement(e, s, x, W, b, relu, y); });
}

void conv1dBackward(const Conv1dShape& shape, const float* x, const float* W, const float* dY, float* dX, float* dW,
                    float* db, const float* reluOut, float* dZ) {
  const conv::Conv s = conv::convOf(shape);
  const int64_t ny = s.B * s.Tout * s.Cout;
  const float* g = dY;
  if (reluOut != nullptr) {
    elementGrid(ny, [&](int64_t i) { conv::reluMaskElement(i, reluOut, dY, dZ); });
    g = dZ;
  }
  if (dX != nullptr) elementGrid(s.B * s.T * s.Cin, [&](int64_t e) { conv::inputGradElement(e, s, W, g, dX); });
  if (dW == nullptr && db == nullptr) return;
  const conv::Grads p{s, x, g, dW, db};
  std::vector<float> part(conv::kReduceThreads);
  for (int64_t e = 0; e < p.count(); ++e) {  // blockIdx.x
    for (int t = 0; t < conv::kReduceThreads; ++t) part[t] = conv::gradPartial(t, p, e);
    for (int stride = conv::kReduceThreads / 2; stride > 0; stride /= 2)
      for (int t = 0; t < conv::kReduceThreads; ++t) conv::reduceStep(t, stride, part.data());
    for (int t = 0; t < conv::kReduceThreads; ++t) conv::gradStore(t, p, e, part.data());
  }
}

namespace {
// cdChain's grids as host loops (rbm.cu's DeviceGrid launches the same elements as kernels).
struct RbmHostGrid {
  int64_t V, H;
  const float *W, *b, *c;
  uint64_t seed, stream;

  void hidden(int64_t n, const float* x, float* P) const {
    elementGrid(n * H, [&](int64_t e) { rbmk::hiddenElement(e, V, H, x, W, c, P); });
  }
  void visible(int64_t n, const float* h, bool squash, float* X) const {
    elementGrid(n * V, [&](int64_t e) { rbmk::visibleElement(e, V, H, h, W, b, squash, X); });
  }
  void sample(int64_t n, uint64_t offset, const float* p, float* out) const {
    elementGrid(n, [&](int64_t i) { rbmk::sampleElement(i, seed, stream, offset, p, out); });
  }
  void errors(int64_t m, const float* v0, const float* vm, double* err) const {
    elementGrid(m, [&](int64_t r) { rbmk::errorRow(r, V, v0, vm, err); });
  }
  void copy(float* dst, const float* src, int64_t n) const { std::copy(src, src + n, dst); }
  void meanDifference(int64_t m, int64_t width, const float* a, const float* bb, double inv, float* out) const {
    elementGrid(width, [&](int64_t i) { rbmk::meanDifference(i, m, width, a, bb, inv, out); });
  }
  void weightGrad(int64_t m, const float* p0, const float* v0, const float* pk, const float* vk, float inv,
                  float* dW) const {
    elementGrid(H * V, [&](int64_t e) { rbmk::weightGradElement(e, m, V, H, p0, v0, pk, vk, inv, dW); });
  }
};
}  // namespace

void rbmHiddenProbs(int64_t N, int64_t V, int64_t H, const float* x, const float* W, const float* c, float* P) {
  RbmHostGrid{V, H, W, nullptr, c, 0, 0}.hidden(N, x, P);
}

void rbmVisibleMeans(RbmVisible vis, int64_t N, int64_t V, int64_t H, const float* h, const float* W, const float* b,
                     float* X) {
  RbmHostGrid{V, H, W, b, nullptr, 0, 0}.visible(N, h, vis == RbmVisible::Bernoulli, X);
}

void rbmSampleBernoulli(int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, const float* p, float* out) {
  RbmHostGrid{0, 0, nullptr, nullptr, nullptr, seed, stream}.sample(n, offset, p, out);
}

void rbmFreeEnergy(RbmVisible vis, int64_t N, int64_t V, int64_t H, const float* x, const float* W, const float* b,
                   const float* c, float* F) {
  const rbmk::FreeEnergy p{vis == RbmVisible::Gaussian, V, H, x, W, b, c, F};
  std::vector<double> part(rbmk::kReduceThreads);
  for (int64_t r = 0; r < N; ++r) {  // blockIdx.x
    for (int t = 0; t < rbmk::kReduceThreads; ++t) part[t] = rbmk::freeEnergyPartial(t, p, r);
    for (int stride = rbmk::kReduceThreads / 2; stride > 0; stride /= 2)
      for (int t = 0; t < rbmk::kReduceThreads; ++t) rbmk::reduceStep(t, stride, part.data());
    for (int t = 0; t < rbmk::kReduceThreads; ++t) rbmk::freeEnergyStore(t, p, r, part.data());
  }
}

double rbmCdGradient(const RbmChain& chain, int64_t m, int64_t V, int64_t H, const float* v0, const float* W,
                     const float* b, const float* c, float* persistentH, uint64_t seed, uint64_t stream, float* dW,
                     float* db, float* dc) {
  std::vector<float> p0(m * H), pk(m * H), h(m * H), vm(m * V), vk(m * V);
  std::vector<double> err(m);
  const rbmk::Cd d{chain, m, V, H, seed, stream, v0, W, b, c, p0.data(), pk.data(), h.data(), vm.data(), vk.data(),
                   err.data(), persistentH, dW, db, dc};
  RbmHostGrid g{V, H, W, b, c, seed, stream};
  rbmk::cdChain(g, d);
  double total = 0.0;
  for (double e : err) total += e;
  return total;
}

namespace {
// forwardChain's and backwardChain's grids as host loops (lstm.cu's DeviceGrid launches the same
// elements as kernels).
struct RecurrentHostGrid {
  void gemm(bool tA, bool tB, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb,
            float* C, int64_t ldc) const {
    sgemm(tA, tB, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc);
  }
  void start(const rnnk::Fwd& p) const { elementGrid(p.q.B * p.q.H, [&](int64_t e) { rnnk::startElement(e, p); }); }
  void step(const rnnk::Fwd& p, int64_t t) const {
    elementGrid(p.q.B * p.q.H, [&](int64_t e) { rnnk::forwardElement(e, p, t); });
  }
  void bstart(const rnnk::Bwd& p, const float* dHlast, const float* dCn, float dropout, uint64_t seed, uint64_t stream,
              float* mask) const {
    elementGrid(p.q.B * p.q.H,
                [&](int64_t e) { rnnk::backwardStartElement(e, p, dHlast, dCn, dropout, seed, stream, mask); });
  }
  void bstep(const rnnk::Bwd& p, int64_t t) const {
    elementGrid(p.q.B * p.q.H, [&](int64_t e) { rnnk::backwardElement(e, p, t); });
  }
  void hPrev(const rnnk::Seq& q, const float* cacheH, const float* h0, const float* mask, float* out) const {
    elementGrid(q.T * q.B * q.H, [&](int64_t e) { rnnk::hPrevElement(e, q, cacheH, h0, mask, out); });
  }
  void toTimeMajor(int64_t B, int64_t T, int64_t w, const float* src, float* dst) const {
    elementGrid(B * T * w, [&](int64_t e) { rnnk::toTimeMajorElement(e, B, T, w, src, dst); });
  }
  void toBatchMajor(int64_t B, int64_t T, int64_t w, const float* src, float* dst) const {
    elementGrid(B * T * w, [&](int64_t e) { rnnk::toBatchMajorElement(e, B, T, w, src, dst); });
  }
  void sumParts(int64_t n, int64_t parts, const float* part, float* out) const {
    elementGrid(n, [&](int64_t e) { rnnk::sumPartsElement(e, n, parts, part, out); });
  }
  void tableGrad(int64_t V, int64_t G, const int64_t* offsets, const int64_t* rows, const float* dG,
                 float* dTable) const {
    elementGrid(V * G, [&](int64_t e) { rnnk::tableGradElement(e, G, offsets, rows, dG, dTable); });
  }
  // The cooperative grid: every block finishes a phase before any block starts the next (the
  // grid barrier); each block's shared memory is its own vector, poisoned so a slot read before it
  // is loaded shows as NaN.
  void persistent(const rnnk::Fwd& p, const rnnk::PersistPlan& plan) const {
    const int64_t blocks = plan.blocks;
    std::vector<std::vector<float>> ws(static_cast<size_t>(blocks),
                                       std::vector<float>(plan.sharedBytes / sizeof(float), NAN));
    for (int64_t blk = 0; blk < blocks; ++blk) {
      for (int t = 0; t < rnnk::kPersistThreads; ++t) rnnk::persistLoad(t, p, plan, blk, ws[blk].data());
      for (int t = 0; t < rnnk::kPersistThreads; ++t) rnnk::persistStart(t, p, plan, blk);
    }
    for (int64_t step = 0; step < p.q.T; ++step)
      for (int64_t blk = 0; blk < blocks; ++blk)
        for (int t = 0; t < rnnk::kPersistThreads; ++t) rnnk::persistStep(t, p, plan, blk, ws[blk].data(), step);
  }
  // The backward's cooperative grid, the same way; its first barrier follows step T-1, so each
  // block runs its start and that step before the next block starts. Nor does a __syncthreads
  // separate the two inside a block: each thread runs its start and its step T-1 before the next
  // thread (the last first), so a step that read a lower thread's start would find it unwritten.
  void bpersistent(const rnnk::Bwd& p, const rnnk::BwdStart& s, const rnnk::PersistPlan& plan) const {
    const int64_t blocks = plan.blocks;
    std::vector<std::vector<float>> ws(static_cast<size_t>(blocks),
                                       std::vector<float>(plan.sharedBytes / sizeof(float), NAN));
    for (int64_t blk = 0; blk < blocks; ++blk) {
      for (int t = 0; t < rnnk::kPersistThreads; ++t) rnnk::persistBackLoad(t, p, plan, blk, ws[blk].data());
      for (int t = rnnk::kPersistThreads - 1; t >= 0; --t) {
        rnnk::persistBackStart(t, p, s, plan, blk);
        rnnk::persistBackStep(t, p, plan, blk, ws[blk].data(), p.q.T - 1);
      }
    }
    for (int64_t step = p.q.T - 2; step >= -1; --step)
      for (int64_t blk = 0; blk < blocks; ++blk)
        for (int t = 0; t < rnnk::kPersistThreads; ++t) rnnk::persistBackStep(t, p, plan, blk, ws[blk].data(), step);
  }
  void columnSums(int64_t rows, int64_t cols, const float* m, float* out) const {
    std::vector<float> part(rnnk::kReduceThreads);
    for (int64_t col = 0; col < cols; ++col) {  // blockIdx.x
      for (int t = 0; t < rnnk::kReduceThreads; ++t) part[t] = rnnk::columnPartial(t, rows, cols, m, col);
      for (int stride = rnnk::kReduceThreads / 2; stride > 0; stride /= 2)
        for (int t = 0; t < rnnk::kReduceThreads; ++t) rnnk::reduceStep(t, stride, part.data());
      out[col] = part[0];
    }
  }
};

// The modelled device of the persistent emulation (lstm.h): 4 SMs of 2 blocks, 100 KiB of shared memory each.
int64_t emulatedCoResident(size_t bytes) { return rnnk::modelCoResident(bytes, 4, 2, 100 * 1024); }

rnnk::PersistPlan emulatedPlan(const rnnk::Seq& q) {
  rnnk::PersistPlan plan{};
  const char* why = rnnk::planPersistent(q.H, q.G / q.H, rnnk::kPersistSharedBudget, emulatedCoResident, &plan);
  if (why != nullptr) throw std::runtime_error(std::string("the persistent kernel cannot run: ") + why);
  return plan;
}

void recurrentForward(bool lstm, bool persistent, const RecurrentArgs& a, float* cache, float* y, float* hLast,
                      float* cLast, float* yMax) {
  const rnnk::Seq q = rnnk::seqOf(a, lstm, a.lengths);
  rnnk::PersistPlan plan{};
  if (persistent) plan = emulatedPlan(q);
  const int64_t BH = q.B * q.H;
  std::vector<float> P(a.tokens ? 0 : q.B * q.T * q.G), wT = rnnk::transposeWhh(q, a.wHh), mask(BH), h(2 * BH), c(lstm ? BH : 0);
  const rnnk::Fwd p{q,           P.data(), a.bias,   a.tokens,    a.table,  wT.data(), a.h0,
                    lstm ? a.c0 : nullptr, a.dropout, a.seed, a.stream, mask.data(), h.data(), c.data(),
                    cache,       y,        yMax};
  RecurrentHostGrid g;
  if (persistent) rnnk::persistentChain(g, p, plan, a.x, a.wIh);
  else rnnk::forwardChain(g, p, a.x, a.wIh);
  const float* hFinal = h.data() + (q.T & 1) * BH;
  if (hLast != nullptr) std::copy(hFinal, hFinal + BH, hLast);
  if (lstm && cLast != nullptr) std::copy(c.begin(), c.end(), cLast);
}

void recurrentBackward(bool lstm, bool persistent, const RecurrentArgs& a, float* cache, const RecurrentGrads& d) {
  const rnnk::Seq q = rnnk::seqOf(a, lstm, a.lengths);
  rnnk::PersistPlan plan{};
  if (persistent) plan = emulatedPlan(q);
  const int64_t BH = q.B * q.H, rows = q.T * q.B;
  std::vector<int64_t> offsets, tokenRows;
  if (d.dTable) rnnk::tokenRows(a, &offsets, &tokenRows);
  std::vector<float> mask(BH), dh(BH), dc(BH);
  std::vector<float> xt(d.dWIh ? rows * q.I : 0), dxt(d.dX ? rows * q.I : 0), hPrev(d.dWHh ? rows * q.H : 0);
  std::vector<float> part(d.dWIh || d.dWHh ? rnnk::partsFor(rows) * q.G * std::max(q.I, q.H) : 0);
  // As the CPU: the gate gradients overwrite the LSTM's gate plane, or fill the RNN's second plane.
  float* dG = lstm ? cache : cache + rows * q.H;
  const float dropout = a.dropout;
  const rnnk::Bwd p{q, a.wHh, dropout > 0.0f ? mask.data() : nullptr, lstm ? a.c0 : nullptr, cache, dG, d.dY,
                    dh.data(), dc.data()};
  const rnnk::BwdOut o{a.x,     a.wIh, a.h0, d.dX, d.dWIh, d.dWHh, d.dBias, a.V, offsets.data(), tokenRows.data(),
                       d.dTable, xt.data(), dxt.data(), hPrev.data(), part.data()};
  RecurrentHostGrid g;
  if (persistent) {
    const rnnk::BwdStart s{d.dHlast, lstm ? d.dCn : nullptr, dropout, a.seed, a.stream, mask.data()};
    rnnk::persistentBackwardChain(g, p, plan, o, s);
  } else {
    rnnk::backwardChain(g, p, o, d.dHlast, lstm ? d.dCn : nullptr, dropout, a.seed, a.stream, mask.data());
  }
  if (d.dh0 != nullptr) std::copy(dh.begin(), dh.end(), d.dh0);
  if (lstm && d.dc0 != nullptr) std::copy(dc.begin(), dc.end(), d.dc0);
}
}  // namespace

void lstmForward(const RecurrentArgs& a, float* cache, float* y, float* hLast, float* cLast, float* yMax) {
  recurrentForward(true, false, a, cache, y, hLast, cLast, yMax);
}
void lstmForwardPersistent(const RecurrentArgs& a, float* cache, float* y, float* hLast, float* cLast, float* yMax) {
  recurrentForward(true, true, a, cache, y, hLast, cLast, yMax);
}
void lstmBackward(const RecurrentArgs& a, float* cache, const RecurrentGrads& g) {
  recurrentBackward(true, false, a, cache, g);
}
void lstmBackwardPersistent(const RecurrentArgs& a, float* cache, const RecurrentGrads& g) {
  recurrentBackward(true, true, a, cache, g);
}
void rnnForward(const RecurrentArgs& a, float* cache, float* y, float* hLast, float* cLast, float* yMax) {
  recurrentForward(false, false, a, cache, y, hLast, cLast, yMax);
}
void rnnForwardPersistent(const RecurrentArgs& a, float* cache, float* y, float* hLast, float* cLast, float* yMax) {
  recurrentForward(false, true, a, cache, y, hLast, cLast, yMax);
}
void rnnBackward(const RecurrentArgs& a, float* cache, const RecurrentGrads& g) {
  recurrentBackward(false, false, a, cache, g);
}
void rnnBackwardPersistent(const RecurrentArgs& a, float* cache, const RecurrentGrads& g) {
  recurrentBackward(false, true, a, cache, g);
}

}  // namespace host
}  // namespace cuda
}  // namespace vigil
