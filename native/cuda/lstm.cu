// LSTM and SimpleRNN kernels (the CUDA twins of cpu/lstm.cc and cpu/rnn.cc). The work of each grid
// is in lstm_elem.h, shared with the host emulation, and so is the order of the grids
// (forwardChain, backwardChain); this file holds the kernels' skeletons, the bias gradient's
// barriers and the device memory of one call. The forward's and the backward's steps run either as
// those per-step grids or as the persistent kernels' one cooperative grid (lstm_persist.cu), by
// lstm.h's RecurrentPath rule. The
// input projection and the weight gradients are the SGEMM kernel of gemm.cu on device memory
// (sgemmLaunch).
#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu/rnn.h"
#include "cuda/gemm.cuh"
#include "cuda/launch.cuh"
#include "cuda/lstm.h"
#include "cuda/lstm_elem.h"
#include "cuda/lstm_persist.cuh"
#include "cuda/runtime.cuh"
#include "cuda/train.cuh"

namespace vigil {
namespace cuda {

namespace {

using namespace rnnk;

__device__ int64_t globalIndex() { return static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; }

__global__ void __launch_bounds__(kThreads) startKernel(Fwd p, int64_t n) {
  const int64_t e = globalIndex();
  if (e < n) startElement(e, p);
}

__global__ void __launch_bounds__(kThreads) stepKernel(Fwd p, int64_t t, int64_t n) {
  const int64_t e = globalIndex();
  if (e < n) forwardElement(e, p, t);
}

__global__ void __launch_bounds__(kThreads) backwardStartKernel(Bwd p, const float* dHlast, const float* dCn,
                                                                float dropout, uint64_t seed, uint64_t stream,
                                                                float* mask, int64_t n) {
  const int64_t e = globalIndex();
  if (e < n) backwardStartElement(e, p, dHlast, dCn, dropout, seed, stream, mask);
}

__global__ void __launch_bounds__(kThreads) backwardStepKernel(Bwd p, int64_t t, int64_t n) {
  const int64_t e = globalIndex();
  if (e < n) backwardElement(e, p, t);
}

__global__ void __launch_bounds__(kThreads) hPrevKernel(Seq q, const float* cacheH, const float* h0, const float* mask,
                                                        float* out, int64_t n) {
  const int64_t e = globalIndex();
  if (e < n) hPrevElement(e, q, cacheH, h0, mask, out);
}

__global__ void __launch_bounds__(kThreads) toTimeMajorKernel(int64_t B, int64_t T, int64_t w, const float* src,
                                                              float* dst, int64_t n) {
  const int64_t e = globalIndex();
  if (e < n) toTimeMajorElement(e, B, T, w, src, dst);
}

__global__ void __launch_bounds__(kThreads) toBatchMajorKernel(int64_t B, int64_t T, int64_t w, const float* src,
                                                               float* dst, int64_t n) {
  const int64_t e = globalIndex();
  if (e < n) toBatchMajorElement(e, B, T, w, src, dst);
}

__global__ void __launch_bounds__(kThreads) sumPartsKernel(int64_t n, int64_t parts, const float* part, float* out) {
  const int64_t e = globalIndex();
  if (e < n) sumPartsElement(e, n, parts, part, out);
}

__global__ void __launch_bounds__(kThreads) tableGradKernel(int64_t n, int64_t G, const int64_t* offsets,
                                                            const int64_t* rows, const float* dG, float* dTable) {
  const int64_t e = globalIndex();
  if (e < n) tableGradElement(e, G, offsets, rows, dG, dTable);
}

// One block per column (blockIdx.x).
__global__ void __launch_bounds__(kReduceThreads) columnSumKernel(int64_t rows, int64_t cols, const float* m,
                                                                  float* out) {
  __shared__ float part[kReduceThreads];
  const int tid = static_cast<int>(threadIdx.x);
  const int64_t col = blockIdx.x;
  part[tid] = columnPartial(tid, rows, cols, m, col);
  __syncthreads();
  for (int stride = kReduceThreads / 2; stride > 0; stride /= 2) {
    reduceStep(tid, stride, part);
    __syncthreads();
  }
  if (tid == 0) out[col] = part[0];
}

// wT [H, G] = W_hhᵀ (rnnk::transposeWhh on the device: the session's W_hh never leaves it), e = k·G + g.
__global__ void __launch_bounds__(kThreads) transposeKernel(int64_t G, int64_t H, const float* w, float* wT, int64_t n) {
  const int64_t e = globalIndex();
  if (e < n) wT[e] = w[(e % G) * H + e / G];
}

// forwardChain's and backwardChain's grids as launches on one stream.
struct DeviceGrid {
  cudaStream_t st;
  const std::string& where;
  bool forced;                // RecurrentPath::Persistent: a refused cooperative grid is an error, not a fallback
  mutable RecurrentPath ran;  // which kernels ran the steps (lastRecurrentPath)

  unsigned blocks(int64_t n) const { return gridBlocks((n + kThreads - 1) / kThreads, 0x7fffffffu, where); }
  void gemm(bool tA, bool tB, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb,
            float* C, int64_t ldc) const {
    const tile::Gemm p{tA, tB, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc, tile::vec4Ok(A, lda), tile::vec4Ok(B, ldb)};
    sgemmLaunch(p, st, where);
  }
  void start(const Fwd& p) const {
    const int64_t n = p.q.B * p.q.H;
    startKernel<<<blocks(n), kThreads, 0, st>>>(p, n);
    checkLaunch(where, "recurrent startKernel launch");
  }
  void step(const Fwd& p, int64_t t) const {
    const int64_t n = p.q.B * p.q.H;
    stepKernel<<<blocks(n), kThreads, 0, st>>>(p, t, n);
    checkLaunch(where, "recurrent stepKernel launch");
  }
  // The cooperative grid; where the driver refuses it under Auto (persistentLaunch), the per-step
  // grids, which give the same bits.
  void persistent(const Fwd& p, const PersistPlan& plan) const {
    if (persistentLaunch(p, plan, st, !forced, where)) {
      ran = RecurrentPath::Persistent;
      return;
    }
    start(p);
    for (int64_t t = 0; t < p.q.T; ++t) step(p, t);
  }
  void bpersistent(const Bwd& p, const BwdStart& s, const PersistPlan& plan) const {
    if (persistentBackwardLaunch(p, s, plan, st, !forced, where)) {
      ran = RecurrentPath::Persistent;
      return;
    }
    bstart(p, s.dHlast, s.dCn, s.dropout, s.seed, s.stream, s.mask);
    for (int64_t t = p.q.T - 1; t >= -1; --t) bstep(p, t);
  }
  void bstart(const Bwd& p, const float* dHlast, const float* dCn, float dropout, uint64_t seed, uint64_t stream,
              float* mask) const {
    const int64_t n = p.q.B * p.q.H;
    backwardStartKernel<<<blocks(n), kThreads, 0, st>>>(p, dHlast, dCn, dropout, seed, stream, mask, n);
    checkLaunch(where, "recurrent backwardStartKernel launch");
  }
  void bstep(const Bwd& p, int64_t t) const {
    const int64_t n = p.q.B * p.q.H;
    backwardStepKernel<<<blocks(n), kThreads, 0, st>>>(p, t, n);
    checkLaunch(where, "recurrent backwardStepKernel launch");
  }
  void hPrev(const Seq& q, const float* cacheH, const float* h0, const float* mask, float* out) const {
    const int64_t n = q.T * q.B * q.H;
    hPrevKernel<<<blocks(n), kThreads, 0, st>>>(q, cacheH, h0, mask, out, n);
    checkLaunch(where, "recurrent hPrevKernel launch");
  }
  void toTimeMajor(int64_t B, int64_t T, int64_t w, const float* src, float* dst) const {
    toTimeMajorKernel<<<blocks(B * T * w), kThreads, 0, st>>>(B, T, w, src, dst, B * T * w);
    checkLaunch(where, "recurrent toTimeMajorKernel launch");
  }
  void toBatchMajor(int64_t B, int64_t T, int64_t w, const float* src, float* dst) const {
    toBatchMajorKernel<<<blocks(B * T * w), kThreads, 0, st>>>(B, T, w, src, dst, B * T * w);
    checkLaunch(where, "recurrent toBatchMajorKernel launch");
  }
  void sumParts(int64_t n, int64_t parts, const float* part, float* out) const {
    sumPartsKernel<<<blocks(n), kThreads, 0, st>>>(n, parts, part, out);
    checkLaunch(where, "recurrent sumPartsKernel launch");
  }
  void tableGrad(int64_t V, int64_t G, const int64_t* offsets, const int64_t* rows, const float* dG,
                 float* dTable) const {
    tableGradKernel<<<blocks(V * G), kThreads, 0, st>>>(V * G, G, offsets, rows, dG, dTable);
    checkLaunch(where, "recurrent tableGradKernel launch");
  }
  void columnSums(int64_t rows, int64_t cols, const float* m, float* out) const {
    columnSumKernel<<<gridBlocks(cols, 0x7fffffffu, where), kReduceThreads, 0, st>>>(rows, cols, m, out);
    checkLaunch(where, "recurrent columnSumKernel launch");
  }
};

std::string describe(const char* fn, const RecurrentArgs& a) {
  return std::string(fn) + " (B=" + std::to_string(a.B) + ", T=" + std::to_string(a.T) + ", I=" + std::to_string(a.I) +
         ", H=" + std::to_string(a.H) + ")";
}

// Whether this call runs the persistent kernel (RecurrentPath in cuda/lstm.h), and its plan; *forced
// when the path was asked for by name.
bool usePersistent(const RecurrentArgs& a, bool lstm, bool backward, PersistPlan* plan, bool* forced,
                   const std::string& where) {
  const RecurrentPath path = recurrentPath();
  *forced = path == RecurrentPath::Persistent;
  if (path == RecurrentPath::Step) return false;
  const char* why = persistentPlan(seqOf(a, lstm, nullptr), backward, plan, where);
  if (why != nullptr && path == RecurrentPath::Persistent)
    throw std::runtime_error(where + ": the persistent kernel was asked for but cannot run: " + why);
  return why == nullptr;
}

void forward(bool lstm, const char* fn, const RecurrentArgs& a, float* cache, float* y, float* hLast, float* cLast,
             float* yMax) {
  const std::string where = describe(fn, a);
  PersistPlan plan{};
  bool forced = false;
  const bool persistent = usePersistent(a, lstm, false, &plan, &forced, where);
  Stream s(where);
  auto len = copyUp(a.lengths, a.lengths ? a.B : 0, s, where);
  const Seq q = seqOf(a, lstm, len.get());
  const int64_t BH = q.B * q.H, BTH = q.B * q.T * q.H;
  auto tokens = copyUp(a.tokens, a.tokens ? q.B * q.T : 0, s, where);
  auto table = copyUp(a.table, a.table ? a.V * q.G : 0, s, where);
  // The RNN's forward writes only the first of its cache's two planes (the backward's scratch is the other).
  const int64_t cacheSize = lstm ? lstmCacheSize(q.B, q.T, q.H) : BTH;
  auto dx = copyUp(a.x, q.B * q.T * q.I, s, where), dwIh = copyUp(a.wIh, q.G * q.I, s, where);
  auto dbias = copyUp(a.bias, q.G, s, where);
  const std::vector<float> wT = transposeWhh(q, a.wHh);
  auto dwT = copyUp(wT.data(), q.H * q.G, s, where);
  auto dh0 = copyUp(a.h0, BH, s, where), dc0 = copyUp(lstm ? a.c0 : nullptr, BH, s, where);
  auto P = scratch<float>(a.tokens ? 0 : q.B * q.T * q.G, s, where), mask = scratch<float>(a.dropout > 0.0f ? BH : 0, s, where);
  auto h = scratch<float>(2 * BH, s, where), c = scratch<float>(lstm ? BH : 0, s, where);
  auto dcache = scratch<float>(cache ? cacheSize : 0, s, where), dy = scratch<float>(y ? BTH : 0, s, where);
  auto dmax = scratch<float>(yMax ? BH : 0, s, where);
  // Padded steps leave entries of the gate and cell planes unwritten: 0, not the pool's leftovers.
  if (cache && a.lengths)
    check(cudaMemsetAsync(dcache.get(), 0, dcache.bytes(), s.get()), where, "cudaMemsetAsync (cache)");
  const Fwd p{q,       P.get(),     dbias.get(), tokens.get(),  table.get(), dwT.get(),
              dh0.get(), dc0.get(),   a.dropout,   a.seed,        a.stream,    mask.get(),
              h.get(),   c.get(),     dcache.get(), dy.get(),     dmax.get()};
  DeviceGrid g{s.get(), where, forced, RecurrentPath::Step};
  if (persistent) persistentChain(g, p, plan, dx.get(), dwIh.get());
  else forwardChain(g, p, dx.get(), dwIh.get());
  noteRecurrentPath(false, g.ran);
  if (y) download(y, dy.get(), dy.bytes(), s.get(), where);
  if (cache) download(cache, dcache.get(), dcache.bytes(), s.get(), where);
  if (yMax) download(yMax, dmax.get(), dmax.bytes(), s.get(), where);
  if (hLast) download(hLast, h.get() + (q.T & 1) * BH, sizeof(float) * static_cast<size_t>(BH), s.get(), where);
  if (lstm && cLast) download(cLast, c.get(), c.bytes(), s.get(), where);
  s.sync(where);
}

void backward(bool lstm, const char* fn, const RecurrentArgs& a, const float* cache, const RecurrentGrads& d) {
  const std::string where = describe(fn, a);
  PersistPlan plan{};
  bool forced = false;
  const bool persistent = usePersistent(a, lstm, true, &plan, &forced, where);
  Stream s(where);
  auto len = copyUp(a.lengths, a.lengths ? a.B : 0, s, where);
  const Seq q = seqOf(a, lstm, len.get());
  const int64_t BH = q.B * q.H, rows = q.T * q.B;
  std::vector<int64_t> offsets, tokenRows;
  if (d.dTable) rnnk::tokenRows(a, &offsets, &tokenRows);
  auto dOffsets = copyUp(d.dTable ? offsets.data() : nullptr, static_cast<int64_t>(offsets.size()), s, where);
  auto dTokenRows = copyUp(d.dTable && !tokenRows.empty() ? tokenRows.data() : nullptr,
                           static_cast<int64_t>(tokenRows.size()), s, where);
  auto gTable = scratch<float>(d.dTable ? a.V * q.G : 0, s, where);
  // The LSTM's gate plane becomes the gate gradients in place; the RNN reads only its h plane.
  auto dcache = copyUp(cache, lstm ? lstmCacheSize(q.B, q.T, q.H) : rows * q.H, s, where);
  auto dGrnn = scratch<float>(lstm ? 0 : rows * q.H, s, where);
  auto dwHh = copyUp(a.wHh, q.G * q.H, s, where), dc0 = copyUp(lstm ? a.c0 : nullptr, BH, s, where);
  auto dh0in = copyUp(d.dWHh ? a.h0 : nullptr, BH, s, where);
  auto dx = copyUp(d.dWIh ? a.x : nullptr, q.B * q.T * q.I, s, where);
  auto dwIh = copyUp(d.dX ? a.wIh : nullptr, q.G * q.I, s, where);
  auto ddY = copyUp(d.dY, q.B * q.T * q.H, s, where), ddHlast = copyUp(d.dHlast, BH, s, where);
  auto ddCn = copyUp(lstm ? d.dCn : nullptr, BH, s, where);
  auto mask = scratch<float>(BH, s, where), dh = scratch<float>(BH, s, where), dc = scratch<float>(BH, s, where);
  auto xt = scratch<float>(d.dWIh ? rows * q.I : 0, s, where), dxt = scratch<float>(d.dX ? rows * q.I : 0, s, where);
  auto hPrev = scratch<float>(d.dWHh ? rows * q.H : 0, s, where);
  const bool parts = (d.dWIh || d.dWHh) && partsFor(rows) > 1;
  auto part = scratch<float>(parts ? partsFor(rows) * q.G * std::max(q.I, q.H) : 0, s, where);
  auto gX = scratch<float>(d.dX ? q.B * q.T * q.I : 0, s, where), gWIh = scratch<float>(d.dWIh ? q.G * q.I : 0, s, where);
  auto gWHh = scratch<float>(d.dWHh ? q.G * q.H : 0, s, where), gBias = scratch<float>(d.dBias ? q.G : 0, s, where);
  const float dropout = a.dropout;
  const Bwd p{q, dwHh.get(), dropout > 0.0f ? mask.get() : nullptr, dc0.get(), dcache.get(),
              lstm ? dcache.get() : dGrnn.get(), ddY.get(), dh.get(), dc.get()};
  const BwdOut o{dx.get(),  dwIh.get(), dh0in.get(), gX.get(),  gWIh.get(), gWHh.get(), gBias.get(), a.V,
                 dOffsets.get(), dTokenRows.get(), gTable.get(), xt.get(), dxt.get(), hPrev.get(), part.get()};
  DeviceGrid g{s.get(), where, forced, RecurrentPath::Step};
  if (persistent)
    persistentBackwardChain(g, p, plan, o, BwdStart{ddHlast.get(), ddCn.get(), dropout, a.seed, a.stream, mask.get()});
  else
    backwardChain(g, p, o, ddHlast.get(), ddCn.get(), dropout, a.seed, a.stream, mask.get());
  noteRecurrentPath(true, g.ran);
  if (d.dX) download(d.dX, gX.get(), gX.bytes(), s.get(), where);
  if (d.dWIh) download(d.dWIh, gWIh.get(), gWIh.bytes(), s.get(), where);
  if (d.dWHh) download(d.dWHh, gWHh.get(), gWHh.bytes(), s.get(), where);
  if (d.dBias) download(d.dBias, gBias.get(), gBias.bytes(), s.get(), where);
  if (d.dTable) download(d.dTable, gTable.get(), gTable.bytes(), s.get(), where);
  if (d.dh0) download(d.dh0, dh.get(), dh.bytes(), s.get(), where);
  if (lstm && d.dc0) download(d.dc0, dc.get(), dc.bytes(), s.get(), where);
  s.sync(where);
}

}  // namespace

namespace dev {

void recurrentForward(cudaStream_t st, const std::string& where, bool lstm, const RecurrentArgs& a, float* cache, float* y,
                      float* hLast) {
  // The steps as forward() runs them: the persistent kernel where RecurrentPath allows, else a grid per step.
  PersistPlan plan{};
  bool forced = false;
  const bool persistent = usePersistent(a, lstm, false, &plan, &forced, where);
  const Seq q = seqOf(a, lstm, a.lengths);
  const int64_t BH = q.B * q.H;
  DeviceGrid g{st, where, forced, RecurrentPath::Step};
  DeviceBuffer<float> wT(q.H * q.G, st, where);
  transposeKernel<<<g.blocks(q.H * q.G), kThreads, 0, st>>>(q.G, q.H, a.wHh, wT.get(), q.H * q.G);
  checkLaunch(where, "recurrent transposeKernel launch");
  DeviceBuffer<float> P(a.tokens ? 0 : q.B * q.T * q.G, st, where), mask(a.dropout > 0.0f ? BH : 0, st, where);
  DeviceBuffer<float> h(2 * BH, st, where), c(lstm ? BH : 0, st, where);
  // As forward(): padded steps leave gate and cell entries unwritten; 0, not the pool's leftovers.
  if (cache && a.lengths) {
    const int64_t n = lstm ? lstmCacheSize(q.B, q.T, q.H) : q.B * q.T * q.H;
    check(cudaMemsetAsync(cache, 0, sizeof(float) * static_cast<size_t>(n), st), where, "cudaMemsetAsync (cache)");
  }
  const Fwd p{q,       P.get(),  a.bias,   a.tokens, a.table,    wT.get(), nullptr, nullptr, a.dropout,
              a.seed,  a.stream, mask.get(), h.get(), c.get(), cache,    y,       nullptr};
  if (persistent) persistentChain(g, p, plan, a.x, a.wIh);
  else forwardChain(g, p, a.x, a.wIh);
  noteRecurrentPath(false, g.ran);
  if (hLast)
    check(cudaMemcpyAsync(hLast, h.get() + (q.T & 1) * BH, sizeof(float) * static_cast<size_t>(BH),
                          cudaMemcpyDeviceToDevice, st),
          where, "cudaMemcpyAsync (hLast)");
}

void recurrentBackward(cudaStream_t st, const std::string& where, bool lstm, const RecurrentArgs& a,
                       const int32_t* hostTokens, const int32_t* hostLengths, float* cache, const RecurrentGrads& d) {
  PersistPlan plan{};
  bool forced = false;
  const bool persistent = usePersistent(a, lstm, true, &plan, &forced, where);
  const Seq q = seqOf(a, lstm, a.lengths);
  const int64_t BH = q.B * q.H, rows = q.T * q.B;
  // dTable's lists are a counting sort of the tokens: built from the host's copy of the batch.
  std::vector<int64_t> offsets, tokenRows;
  if (d.dTable) {
    RecurrentArgs h = a;
    h.tokens = hostTokens;
    h.lengths = hostLengths;
    rnnk::tokenRows(h, &offsets, &tokenRows);
  }
  DeviceBuffer<int64_t> dOffsets(offsets.size(), st, where), dTokenRows(tokenRows.size(), st, where);
  if (!offsets.empty()) upload(dOffsets.get(), offsets.data(), dOffsets.bytes(), st, where);
  if (!tokenRows.empty()) upload(dTokenRows.get(), tokenRows.data(), dTokenRows.bytes(), st, where);
  DeviceBuffer<float> mask(BH, st, where), dh(BH, st, where), dc(BH, st, where);
  DeviceBuffer<float> xt(d.dWIh ? rows * q.I : 0, st, where), dxt(d.dX ? rows * q.I : 0, st, where);
  DeviceBuffer<float> hPrev(d.dWHh ? rows * q.H : 0, st, where);
  const bool parts = (d.dWIh || d.dWHh) && partsFor(rows) > 1;
  DeviceBuffer<float> part(parts ? partsFor(rows) * q.G * std::max(q.I, q.H) : 0, st, where);
  // As the host emulation: the LSTM's gate plane becomes the gate gradients, the RNN's second plane gets them.
  float* dG = lstm ? cache : cache + rows * q.H;
  const float dropout = a.dropout;
  const Bwd p{q, a.wHh, dropout > 0.0f ? mask.get() : nullptr, nullptr, cache, dG, d.dY, dh.get(), dc.get()};
  const BwdOut o{a.x,    a.wIh,          nullptr,          d.dX,     d.dWIh,   d.dWHh,      d.dBias,    a.V,
                 dOffsets.get(), dTokenRows.get(), d.dTable, xt.get(), dxt.get(), hPrev.get(), part.get()};
  DeviceGrid g{st, where, forced, RecurrentPath::Step};
  if (persistent)
    persistentBackwardChain(g, p, plan, o, BwdStart{d.dHlast, nullptr, dropout, a.seed, a.stream, mask.get()});
  else
    backwardChain(g, p, o, d.dHlast, nullptr, dropout, a.seed, a.stream, mask.get());
  noteRecurrentPath(true, g.ran);
}

}  // namespace dev

void lstmForward(const RecurrentArgs& a, float* cache, float* y, float* hLast, float* cLast, float* yMax) {
  forward(true, "lstmForward", a, cache, y, hLast, cLast, yMax);
}
void lstmBackward(const RecurrentArgs& a, float* cache, const RecurrentGrads& g) {
  backward(true, "lstmBackward", a, cache, g);
}
void rnnForward(const RecurrentArgs& a, float* cache, float* y, float* hLast, float* cLast, float* yMax) {
  forward(false, "rnnForward", a, cache, y, hLast, cLast, yMax);
}
void rnnBackward(const RecurrentArgs& a, float* cache, const RecurrentGrads& g) {
  backward(false, "rnnBackward", a, cache, g);
}

}  // namespace cuda
}  // namespace vigil
