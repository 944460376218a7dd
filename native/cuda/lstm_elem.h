// The recurrent kernels' work (native/cuda/lstm.cu, the LSTM and the SimpleRNN), shared with their
// host emulation (host_grid.cc), and the order of their grids (forwardChain, backwardChain:
// templates over "run this grid" that lstm.cu instantiates with launches and host_grid.cc with
// loops). Conventions of cpu/lstm.h: gate order i, f, g, o; W_ih [G, I], W_hh [G, H], one bias [G]
// (G = 4H for the LSTM, H for the RNN); x [B, T, I] batch-major; lengths with 'pre' or 'post'
// padding; the training cache's time-major planes (LSTM: gates [T, B, 4H], c [T, B, H], h [T, B, H];
// RNN: h [T, B, H] then the backward's [T, B, H]); variational dropout on h_{t-1}.
//
// Forward: the input projection of every step is one SGEMM (P [B·T, G] = x W_ihᵀ, batch-major),
// then one grid per step, a thread per (sequence, unit): its G / H pre-activations are
// P + bias, then a chain of fmaf over h_{t-1} (masked) · W_hhᵀ in k order (W_hh transposed to
// [H, G] once, so a warp's units read consecutive words), then the cell update, fused. h_{t-1} and
// h_t live in two buffers chosen by t's parity; a row at a padded step copies its state across
// (and writes y = 0, the carried h in the cache's h plane), so the state is carried as on the CPU.
//
// Backward: one grid per step t = T-1 .. 0 and one more (t = -1), a thread per (sequence, unit):
// first dh_t = (dG_{t+1} · W_hh) ⊙ mask from the gate gradients the previous grid wrote (a grid's
// end is the barrier the product needs), when step t+1 was valid for the row; then, at a valid
// step, the cell's backward writes dG_t over the cache's gates (LSTM) or into the RNN's second
// plane, and 0 at a padded step. The last grid only leaves dh_{-1} = dh0. Weight gradients are
// products over all T·B rows, split into blocks of rows fixed by the shape (deterministic), each
// block an SGEMM, the partial sums added in block order: dW_hh = dGᵀ · [h0; h_0 .. h_{T-2}] (masked),
// dW_ih = dGᵀ · x (time-major), dX = dG · W_ih (then batch-major), dBias = column sums of dG.
// Gather mode (an Embedding feeding the layer, tokens with a folded table [V, G]): the step reads
// the table's row instead of P, and dTable is a thread per element summing its token's rows.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "cpu/lstm.h"
#include "cpu/philox.h"
#include "cuda/hd.h"

namespace vigil {
namespace cuda {
namespace rnnk {

constexpr int kThreads = 256;        // threads per block of the element-wise kernels
constexpr int kReduceThreads = 256;  // threads per column of the bias gradient (a power of two)

// The gates use cuda/hd.h's sigmoidOf and tanhf; both differ between host and device libraries in
// the last bits, so results agree to a few ulp, not bit for bit.

// The shape and padding of one call, as the kernels take them (RecurrentArgs less the pointers).
struct Seq {
  bool lstm;
  int64_t B, T, I, H, G;
  const int32_t* lengths;  // [B] or null (every step valid)
  bool post;               // Padding::Post
};

// lengths: where the kernels read them (a device copy in lstm.cu).
inline Seq seqOf(const RecurrentArgs& a, bool lstm, const int32_t* lengths) {
  return {lstm, a.B, a.T, a.I, a.H, (lstm ? 4 : 1) * a.H, lengths, a.padding == Padding::Post};
}

// W_hh [G, H] transposed to [H, G] (host code: once per call, before the upload).
inline std::vector<float> transposeWhh(const Seq& q, const float* wHh) {
  std::vector<float> wT(static_cast<size_t>(q.H * q.G));
  for (int64_t g = 0; g < q.G; ++g)
    for (int64_t k = 0; k < q.H; ++k) wT[k * q.G + g] = wHh[g * q.H + k];
  return wT;
}

// cpu/lstm.cc's validRange: sequence b's valid steps are [*s, *e).
VIGIL_HD void validRange(const Seq& q, int64_t b, int64_t* s, int64_t* e) {
  const int64_t len = q.lengths != nullptr ? q.lengths[b] : q.T;
  *s = q.post ? 0 : q.T - len;
  *e = q.post ? len : q.T;
}
VIGIL_HD bool validAt(const Seq& q, int64_t b, int64_t t) {
  int64_t s, e;
  validRange(q, b, &s, &e);
  return t >= s && t < e;
}

// The forward's buffers (device memory in lstm.cu, host memory in the emulation).
struct Fwd {
  Seq q;
  float* P;           // [B·T, G] batch-major: x W_ihᵀ (no bias); dense mode
  const float* bias;  // [G] or null
  const int32_t* tokens;  // [B, T] in gather mode (then P and bias are unused), else null
  const float* table;     // [V, G]: the folded Embedding (gather mode)
  const float* wT;    // [H, G]: W_hh transposed
  const float* h0;    // [B, H] or null
  const float* c0;    // [B, H] or null (LSTM)
  float dropout;      // 0: no mask
  uint64_t seed, stream;
  float* mask;         // [B, H] (dropout > 0)
  float* h;            // [2, B, H]: h_{t-1} in half t % 2, h_t into the other
  float* c;            // [B, H] (LSTM)
  float* cache;        // null, or the training cache (lstmCacheSize / rnnCacheSize floats)
  float* y;            // [B, T, H] or null
  float* yMax;         // [B, H] or null
};

// cpu/lstm.cc's dropoutRow, element e = b·H + j.
VIGIL_HD float maskOf(float p, uint64_t seed, uint64_t stream, int64_t e) {
  const float scale = 1.0f / (1.0f - p);
  return philoxUniform(seed, stream, static_cast<uint64_t>(e)) >= p ? scale : 0.0f;
}

// Before step 0, e in [0, B·H): the initial states, the dropout mask, yMax's start (startMax).
VIGIL_HD void startElement(int64_t e, const Fwd& p) {
  const Seq& q = p.q;
  const int64_t b = e / q.H;
  p.h[e] = p.h0 != nullptr ? p.h0[e] : 0.0f;
  if (q.lstm) p.c[e] = p.c0 != nullptr ? p.c0[e] : 0.0f;
  if (p.dropout > 0.0f) p.mask[e] = maskOf(p.dropout, p.seed, p.stream, e);
  if (p.yMax != nullptr) {
    int64_t s, en;
    validRange(q, b, &s, &en);
    p.yMax[e] = s < en ? -INFINITY : 0.0f;
  }
}

// cpu/lstm.cc's maxInto for one element: strictly greater (the first maximum stays), NaN sticky.
VIGIL_HD void maxElement(float h, float* m) {
  if (*m == *m && (h > *m || h != h)) *m = h;
}

// Step t of the forward, e = b·H + j in [0, B·H), with unit j's weights read from w: W_hh[g·H + j][k]
// at w[k·ldw + g·gstride]. The per-step grid passes the transposed W_hh in device memory (w = wT + j,
// ldw = G, gstride = H); the persistent kernel its block's slice in shared memory (lstm_persist.h).
// The same fmaf chain either way, so both paths give the same bits.
VIGIL_HD void forwardElementW(int64_t e, const Fwd& p, int64_t t, const float* w, int64_t ldw, int64_t gstride) {
  const Seq& q = p.q;
  const int64_t B = q.B, T = q.T, H = q.H, G = q.G;
  const int64_t b = e / H, j = e % H, tb = t * B + b, bt = b * T + t;
  const float* hIn = p.h + (t & 1) * B * H;
  float* hOut = p.h + ((t + 1) & 1) * B * H;
  float* cacheH = p.cache == nullptr ? nullptr : p.cache + (q.lstm ? 5 * B * T * H : 0);
  if (!validAt(q, b, t)) {
    hOut[e] = hIn[e];
    if (p.y != nullptr) p.y[bt * H + j] = 0.0f;
    if (cacheH != nullptr) cacheH[tb * H + j] = hIn[e];
    return;
  }
  const int nz = q.lstm ? 4 : 1;
  float z[4];
  if (p.tokens != nullptr) {
    const float* row = p.table + static_cast<int64_t>(p.tokens[bt]) * G + j;
    for (int g = 0; g < nz; ++g) z[g] = row[g * H];
  } else {
    for (int g = 0; g < nz; ++g) {
      const float pg = p.P[bt * G + g * H + j];
      z[g] = p.bias != nullptr ? pg + p.bias[g * H + j] : pg;
    }
  }
  const float* hr = hIn + b * H;
  const float* mr = p.dropout > 0.0f ? p.mask + b * H : nullptr;
  for (int64_t k = 0; k < H; ++k) {
    const float hk = mr != nullptr ? hr[k] * mr[k] : hr[k];
    const float* wk = w + k * ldw;
    for (int g = 0; g < nz; ++g) z[g] = fmaf(hk, wk[g * gstride], z[g]);
  }
  float h;
  if (q.lstm) {
    const float i = sigmoidOf(z[0]), f = sigmoidOf(z[1]), gg = tanhf(z[2]), o = sigmoidOf(z[3]);
    const float c = f * p.c[e] + i * gg;
    h = o * tanhf(c);
    p.c[e] = c;
    if (p.cache != nullptr) {
      float* gates = p.cache + tb * G + j;
      gates[0] = i;
      gates[H] = f;
      gates[2 * H] = gg;
      gates[3 * H] = o;
      p.cache[B * T * G + tb * H + j] = c;
    }
  } else {
    h = tanhf(z[0]);
  }
  hOut[e] = h;
  if (cacheH != nullptr) cacheH[tb * H + j] = h;
  if (p.y != nullptr) p.y[bt * H + j] = h;
  if (p.yMax != nullptr) maxElement(h, p.yMax + e);
}

// Step t of the per-step grid: W_hh transposed, in device memory.
VIGIL_HD void forwardElement(int64_t e, const Fwd& p, int64_t t) {
  forwardElementW(e, p, t, p.wT + e % p.q.H, p.q.G, p.q.H);
}

// The backward's buffers.
struct Bwd {
  Seq q;
  const float* wHh;   // [G, H]
  const float* mask;  // [B, H] or null
  const float* c0;    // [B, H] or null (LSTM)
  const float* cache; // the training forward's cache (its c and h planes are read)
  float* dG;          // [T·B, G] time-major: the LSTM's gate plane (activated gates in, gradients out),
                      // the RNN's second plane (gradients out)
  const float* dY;    // [B, T, H] or null
  float* dh;          // [B, H]: dHlast (or 0) in, dh0 out
  float* dc;          // [B, H]: dCn (or 0) in, dc0 out (LSTM)
};

// Step t (T-1 down to -1) of the backward, e = b·H + j in [0, B·H), with unit j's column of W_hh
// read from w: W_hh[k][j] at w[k·ldw]. The per-step grid passes W_hh in device memory (w = wHh + j,
// ldw = H); the persistent kernel its block's slice in shared memory (lstm_persist.h). The same
// fmaf chain either way.
VIGIL_HD void backwardElementW(int64_t e, const Bwd& p, int64_t t, const float* w, int64_t ldw) {
  const Seq& q = p.q;
  const int64_t B = q.B, T = q.T, H = q.H, G = q.G;
  const int64_t b = e / H, j = e % H;
  int64_t s, en;
  validRange(q, b, &s, &en);
  if (t + 1 < T && t + 1 >= s && t + 1 < en) {
    // dh_t: the recurrent product is the only path from step t+1 back to step t.
    const float* dg = p.dG + ((t + 1) * B + b) * G;
    float acc = 0.0f;
    for (int64_t k = 0; k < G; ++k) acc = fmaf(dg[k], w[k * ldw], acc);
    p.dh[e] = p.mask != nullptr ? acc * p.mask[e] : acc;
  }
  if (t < 0) return;
  const int64_t tb = t * B + b;
  float* dz = p.dG + tb * G + j;
  const int nz = q.lstm ? 4 : 1;
  if (t < s || t >= en) {
    for (int g = 0; g < nz; ++g) dz[g * H] = 0.0f;
    return;
  }
  const float d = p.dh[e] + (p.dY != nullptr ? p.dY[(b * T + t) * H + j] : 0.0f);
  if (q.lstm) {
    const float* cacheC = p.cache + B * T * G;
    const float i = dz[0], f = dz[H], gg = dz[2 * H], o = dz[3 * H];
    const float c = cacheC[tb * H + j];
    const float cPrev = t == s ? (p.c0 != nullptr ? p.c0[e] : 0.0f) : cacheC[(tb - B) * H + j];
    const float tc = tanhf(c);
    const float dcj = p.dc[e] + d * o * (1.0f - tc * tc);
    dz[0] = dcj * gg * i * (1.0f - i);
    dz[H] = dcj * cPrev * f * (1.0f - f);
    dz[2 * H] = dcj * i * (1.0f - gg * gg);
    dz[3 * H] = d * tc * o * (1.0f - o);
    p.dc[e] = dcj * f;
  } else {
    const float h = p.cache[tb * H + j];
    dz[0] = d * (1.0f - h * h);
  }
  p.dh[e] = d;
}

// Step t of the per-step backward grid: W_hh in device memory.
VIGIL_HD void backwardElement(int64_t e, const Bwd& p, int64_t t) {
  backwardElementW(e, p, t, p.wHh + e % p.q.H, p.q.H);
}

// Before the backward's first grid, e in [0, B·H): dh = dHlast, dc = dCn (or 0), the mask.
VIGIL_HD void backwardStartElement(int64_t e, const Bwd& p, const float* dHlast, const float* dCn, float dropout,
                                   uint64_t seed, uint64_t stream, float* mask) {
  p.dh[e] = dHlast != nullptr ? dHlast[e] : 0.0f;
  if (p.q.lstm) p.dc[e] = dCn != nullptr ? dCn[e] : 0.0f;
  if (dropout > 0.0f) mask[e] = maskOf(dropout, seed, stream, e);
}

// hPrev[e], e in [0, T·B·H): the masked h_{t-1} of row t·B + b, the right-hand side of dW_hh:
// h0 (or 0) at t = 0, else the cache's h slot t-1 (the carried state at a padded slot, where dG
// is 0).
VIGIL_HD void hPrevElement(int64_t e, const Seq& q, const float* cacheH, const float* h0, const float* mask,
                           float* hPrev) {
  const int64_t H = q.H, j = e % H, tb = e / H, t = tb / q.B, b = tb % q.B;
  float v = t == 0 ? (h0 != nullptr ? h0[b * H + j] : 0.0f) : cacheH[(tb - q.B) * H + j];
  hPrev[e] = mask != nullptr ? v * mask[b * H + j] : v;
}

// Row permutations between batch-major [B, T, w] and time-major [T, B, w], e over B·T·w.
VIGIL_HD void toTimeMajorElement(int64_t e, int64_t B, int64_t T, int64_t w, const float* src, float* dst) {
  const int64_t i = e % w, tb = e / w, t = tb / B, b = tb % B;
  dst[e] = src[(b * T + t) * w + i];
}
VIGIL_HD void toBatchMajorElement(int64_t e, int64_t B, int64_t T, int64_t w, const float* src, float* dst) {
  const int64_t i = e % w, bt = e / w, b = bt / T, t = bt % T;
  dst[e] = src[(t * B + b) * w + i];
}

// Gather mode's dTable [V, G], e = v·G + col: the gate gradients of the rows that read token v,
// summed in time-major row order (the CPU's order within a block of rows). rows lists, token by
// token, the valid rows t·B + b in ascending order; offsets [V + 1] delimit each token's list
// (tokenRows builds them on the host), so no two threads add into one element.
VIGIL_HD void tableGradElement(int64_t e, int64_t G, const int64_t* offsets, const int64_t* rows, const float* dG,
                               float* dTable) {
  const int64_t v = e / G, col = e % G;
  float acc = 0.0f;
  for (int64_t k = offsets[v]; k < offsets[v + 1]; ++k) acc += dG[rows[k] * G + col];
  dTable[e] = acc;
}

// The lists tableGradElement reads, from the host's tokens and lengths (a counting sort by token).
inline void tokenRows(const RecurrentArgs& a, std::vector<int64_t>* offsets, std::vector<int64_t>* rows) {
  offsets->assign(static_cast<size_t>(a.V + 1), 0);
  std::vector<int64_t> s(static_cast<size_t>(a.B)), e(static_cast<size_t>(a.B));
  for (int64_t b = 0; b < a.B; ++b) {
    const int64_t len = a.lengths != nullptr ? a.lengths[b] : a.T;
    s[b] = a.padding == Padding::Post ? 0 : a.T - len;
    e[b] = a.padding == Padding::Post ? len : a.T;
    for (int64_t t = s[b]; t < e[b]; ++t) ++(*offsets)[a.tokens[b * a.T + t] + 1];
  }
  for (int64_t v = 0; v < a.V; ++v) (*offsets)[v + 1] += (*offsets)[v];
  rows->resize(static_cast<size_t>((*offsets)[a.V]));
  std::vector<int64_t> next(offsets->begin(), offsets->end() - 1);
  for (int64_t t = 0; t < a.T; ++t)
    for (int64_t b = 0; b < a.B; ++b)
      if (t >= s[b] && t < e[b]) (*rows)[next[a.tokens[b * a.T + t]]++] = t * a.B + b;
}

// out[e] = Σ_k part[k·n + e] for k < parts, in order: the blocks of a product over rows.
VIGIL_HD void sumPartsElement(int64_t e, int64_t n, int64_t parts, const float* part, float* out) {
  float acc = part[e];
  for (int64_t k = 1; k < parts; ++k) acc += part[k * n + e];
  out[e] = acc;
}

// The bias gradient: one block per column (gate unit), thread tid summing rows tid, tid + 256, ...
// in order (phase partial), then a tree with halving strides (phase reduce), as conv1d_elem.h.
VIGIL_HD float columnPartial(int tid, int64_t rows, int64_t cols, const float* m, int64_t col) {
  float acc = 0.0f;
  for (int64_t r = tid; r < rows; r += kReduceThreads) acc += m[r * cols + col];
  return acc;
}
VIGIL_HD void reduceStep(int tid, int stride, float* part) {
  if (tid < stride) part[tid] += part[tid + stride];
}

// How a product over `rows` rows is split: blocks of about kRowsPerPart rows, at most kMaxParts,
// fixed by `rows` alone (never by the device), so every run gives the same bits.
constexpr int64_t kRowsPerPart = 1024;
constexpr int64_t kMaxParts = 128;
inline int64_t partsFor(int64_t rows) {
  const int64_t n = (rows + kRowsPerPart - 1) / kRowsPerPart;
  return n < 1 ? 1 : (n > kMaxParts ? kMaxParts : n);
}

// The grids of a forward, in order. Gr runs one grid: gemm (C = op(A) op(B), an SGEMM), start,
// step (forwardElement at t).
template <class Gr>
void forwardChain(Gr& g, const Fwd& p, const float* x, const float* wIh) {
  const Seq& q = p.q;
  if (p.tokens == nullptr) g.gemm(false, true, q.B * q.T, q.G, q.I, x, q.I, wIh, q.I, p.P, q.G);
  g.start(p);
  for (int64_t t = 0; t < q.T; ++t) g.step(p, t);
}

// What a backward computes besides dh0 / dc0 (each null when not wanted).
struct BwdOut {
  const float* x;    // [B, T, I]
  const float* wIh;  // [G, I]
  const float* h0;   // [B, H] or null
  float* dX;         // [B, T, I]
  float* dWIh;       // [G, I]
  float* dWHh;       // [G, H]
  float* dBias;      // [G]
  // Gather mode: dTable [V, G] from tokenRows' lists (null when not wanted).
  int64_t V;
  const int64_t *tokenOffsets, *tokenRows;
  float* dTable;
  // Scratch the chain needs (sized by the caller): xt [T·B, I] (dWIh), dxt [T·B, I] (dX),
  // hPrev [T·B, H] (dWHh), part [partsFor(T·B) · G · max(I, H)] (dWIh, dWHh).
  float *xt, *dxt, *hPrev, *part;
};

// The grids after the steps of a backward (the per-step grids' or the persistent kernel's), in
// order: the bias, dW_hh, dW_ih, dX, dTable from the gate gradients p.dG. Gr runs one grid: hPrev,
// toTimeMajor, toBatchMajor, gemm (an SGEMM over its arguments), sumParts, columnSums, tableGrad.
template <class Gr>
void weightGradChain(Gr& g, const Bwd& p, const BwdOut& o, float dropout) {
  const Seq& q = p.q;
  const int64_t rows = q.T * q.B;
  if (o.dBias != nullptr) g.columnSums(rows, q.G, p.dG, o.dBias);
  // C [M, N] = dGᵀ [M, rows] · R [rows, N] over blocks of rows, partial sums added in order.
  auto overRows = [&](int64_t N, const float* R, float* C) {
    const int64_t parts = partsFor(rows), M = q.G;
    for (int64_t k = 0; k < parts; ++k) {
      const int64_t r0 = rows * k / parts, r1 = rows * (k + 1) / parts;
      g.gemm(true, false, M, N, r1 - r0, p.dG + r0 * M, M, R + r0 * N, N, parts == 1 ? C : o.part + k * M * N, N);
    }
    if (parts > 1) g.sumParts(M * N, parts, o.part, C);
  };
  if (o.dWHh != nullptr) {
    const float* cacheH = p.cache + (q.lstm ? 5 : 0) * rows * q.H;
    g.hPrev(q, cacheH, o.h0, dropout > 0.0f ? p.mask : nullptr, o.hPrev);
    overRows(q.H, o.hPrev, o.dWHh);
  }
  if (o.dWIh != nullptr) {
    g.toTimeMajor(q.B, q.T, q.I, o.x, o.xt);
    overRows(q.I, o.xt, o.dWIh);
  }
  if (o.dX != nullptr) {
    g.gemm(false, false, rows, q.I, q.G, p.dG, q.G, o.wIh, q.I, o.dxt, q.I);
    g.toBatchMajor(q.B, q.T, q.I, o.dxt, o.dX);
  }
  if (o.dTable != nullptr) g.tableGrad(o.V, q.G, o.tokenOffsets, o.tokenRows, p.dG, o.dTable);
}

// The grids of a backward, in order. Gr runs one grid: bstart, bstep (backwardElement at t), and
// weightGradChain's. mask is p.mask's buffer, written by the first grid.
template <class Gr>
void backwardChain(Gr& g, const Bwd& p, const BwdOut& o, const float* dHlast, const float* dCn, float dropout,
                   uint64_t seed, uint64_t stream, float* mask) {
  g.bstart(p, dHlast, dCn, dropout, seed, stream, mask);
  for (int64_t t = p.q.T - 1; t >= -1; --t) g.bstep(p, t);
  weightGradChain(g, p, o, dropout);
}

}  // namespace rnnk
}  // namespace cuda
}  // namespace vigil
