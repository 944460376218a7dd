// Direct convolution over register tiles (conv1d_detail::Tile), reading the channels-last input in
// place: with stride 1, the input rows an output tile needs through one tap are consecutive rows of
// x, so no im2col matrix is built (only tiles at a sequence's edges read a small zero-padded copy).
// The input gradient is the same pass over dY with the kernel flipped in time; the weight gradient
// is a tile per (tap, output-channel block, input-channel block) summing over time steps, again
// reading x and dY in place. Measured on the bench's TCN layers and on small shapes, this beats
// im2col + the packed SGEMM (cpu/gemm.h) everywhere: 1.4-2.5x forward, ~1.15x for the weight
// gradient (the GEMM packs both operands of a product that has only 64 x 64 outputs per tap).
#include "cpu/conv1d.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include "cpu/aligned.h"
#include "cpu/conv1d_winograd.h"
#include "cpu/cpu_features.h"
#include "cpu/threadpool.h"

namespace vigil {

using conv1d_detail::GradKernel;
using conv1d_detail::GradTile;
using conv1d_detail::Tile;
using conv1d_detail::TileKernel;

namespace {

// Portable tile: 4 x 8 keeps the accumulators (8 SSE registers once vectorised) out of memory.
template <int kMR, int kNR>
void tileGeneric(const Tile& t) {
  float acc[kMR][kNR];
  for (int i = 0; i < kMR; ++i)
    for (int j = 0; j < kNR; ++j) acc[i][j] = t.init[j];
  for (int64_t tap = 0; tap < t.taps; ++tap) {
    const float* x = t.x[tap];
    const float* w = t.w[tap];
    for (int64_t c = 0; c < t.cin; ++c, w += t.ldw) {
      for (int i = 0; i < kMR; ++i) {
        const float a = x[i * t.cin + c];
        for (int j = 0; j < kNR; ++j) acc[i][j] += a * w[j];
      }
    }
  }
  for (int i = 0; i < kMR; ++i)
    for (int j = 0; j < kNR; ++j) t.y[i * t.ldy + j] = t.relu && !(acc[i][j] > 0.0f) ? 0.0f : acc[i][j];
}

template <int kMR, int kNR>
void gradTileGeneric(const GradTile& t) {
  float acc[kMR][kNR] = {};
  if (t.accumulate) {
    for (int64_t i = 0; i < t.rows; ++i)
      for (int64_t j = 0; j < t.cols; ++j) acc[i][j] = t.out[i * t.ldo + j];
  }
  const float* g = t.g;
  const float* x = t.x;
  for (int64_t s = 0; s < t.n; ++s, g += t.ldg, x += t.ldx) {
    float xs[kNR] = {};
    for (int64_t j = 0; j < t.cols; ++j) xs[j] = x[j];
    for (int i = 0; i < kMR; ++i)
      for (int j = 0; j < kNR; ++j) acc[i][j] += g[i] * xs[j];
  }
  for (int64_t i = 0; i < t.rows; ++i)
    for (int64_t j = 0; j < t.cols; ++j) t.out[i * t.ldo + j] = acc[i][j];
}

// One SIMD level's tiles: the forward/input-gradient tile is mr output steps x nr output channels,
// the weight-gradient tile mr output channels x nr input channels.
struct Geometry {
  int64_t mr, nr;
  TileKernel kernel;
  GradKernel grad;
};
constexpr Geometry kGeneric{4, 8, tileGeneric<4, 8>, gradTileGeneric<4, 8>};
#if defined(VIGIL_X86)
constexpr Geometry kAvx2{6, 16, conv1d_detail::tileAvx2, conv1d_detail::gradTileAvx2};
constexpr Geometry kAvx512{14, 32, conv1d_detail::tileAvx512, conv1d_detail::gradTileAvx512};
#endif

const Geometry& activeGeometry() {
#if defined(VIGIL_X86)
  if (useAvx512()) return kAvx512;
  if (useAvx2()) return kAvx2;
#endif
  return kGeneric;
}

constexpr int64_t kMaxTile = 14 * 32;
// Output steps per work unit (rounded up to whole tiles): the unit's tiles sweep one column block
// of weights at a time, which then stays in L1, while its ~130 input rows stay in L2.
constexpr int64_t kUnitRows = 128;
// Below this many multiply-adds per chunk of work, waking the pool costs more than it saves. On
// the 2-vCPU VM of bench/README.md a second thread did not shorten a 12.6M multiply-add layer (the
// onnx suite's TCN at batch 1: p50 0.50-0.59 ms for the stack at 1 and at 2 threads) but made its
// tail ~4x longer (the woken worker waits for a core when other processes run), so a chunk is
// ~0.1-0.2 ms of work at least.
constexpr int64_t kMinParallelWork = int64_t(1) << 24;
// Weight gradient: time steps of one sequence per unit (its x and dY rows stay in L2 while every
// tile sweeps them), at most this many partial sums, at most this many floats for all of them, and
// rows per float block of the bias sums.
constexpr int64_t kGradRows = 256;
constexpr int64_t kMaxPartials = 32;
constexpr int64_t kPartialFloats = int64_t(1) << 22;
constexpr int64_t kBiasRows = 32;
// Elements per chunk of the ReLU mask: a pass over memory, worth a second thread only in bulk.
constexpr int64_t kMaskGrain = int64_t(1) << 16;

// out[b, t, j] = init[j] + sum_{k, c} in[b, t + k*d - pad, c] * w[(k*Cin + c)*ldw + j] for t < Tout,
// j < Cout, with in = 0 outside rows [0, Tin). ldw is a multiple of the tile width and w's columns
// past Cout are 0. The forward pass is (x, W); the input gradient is (dY, W flipped in time).
struct Pass {
  int64_t B, Tin, Cin, Tout, Cout, K, d, pad;
  const float* in;
  const float* w;
  int64_t ldw;
  const float* init;
  float* out;
  bool relu;  // out = max(out, 0)
};

void runPass(const Geometry& g, const Pass& p) {
  const int64_t mr = g.mr, nr = g.nr;
  const int64_t tilesPerUnit = (kUnitRows + mr - 1) / mr, unitRows = tilesPerUnit * mr;
  const int64_t chunks = (p.Tout + unitRows - 1) / unitRows;
  const int64_t work = unitRows * p.K * p.Cin * p.ldw;
  parallelFor(p.B * chunks, std::max<int64_t>(1, kMinParallelWork / work), [&](int64_t u0, int64_t u1) {
    std::vector<int64_t> tapOf, edgeAt;  // per live (tile, tap): its tap; offset of its edge copy or -1
    std::vector<const float*> xs, ws(p.K);
    std::vector<int64_t> live(tilesPerUnit);
    std::vector<float> edge;
    alignas(64) float tmp[kMaxTile];
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t b = u / chunks, t0 = (u % chunks) * unitRows, t1 = std::min(p.Tout, t0 + unitRows);
      const int64_t tiles = (t1 - t0 + mr - 1) / mr;
      const float* in = p.in + b * p.Tin * p.Cin;
      // The live taps of each tile (those reading some row inside [0, Tin): the others add only
      // zeros), each pointing at the tile's first input row, either in place or, where the tile
      // reads past an end of the sequence, in a zero-padded copy of its mr rows.
      tapOf.clear();
      edgeAt.clear();
      edge.clear();
      for (int64_t i = 0; i < tiles; ++i) {
        const int64_t before = static_cast<int64_t>(tapOf.size());
        for (int64_t k = 0; k < p.K; ++k) {
          const int64_t r0 = t0 + i * mr + k * p.d - p.pad;
          if (r0 + mr <= 0 || r0 >= p.Tin) continue;
          tapOf.push_back(k);
          if (r0 >= 0 && r0 + mr <= p.Tin) {
            edgeAt.push_back(-1);
            continue;
          }
          const int64_t off = static_cast<int64_t>(edge.size());
          edge.resize(off + mr * p.Cin, 0.0f);
          const int64_t lo = std::max<int64_t>(r0, 0), hi = std::min(r0 + mr, p.Tin);
          std::memcpy(edge.data() + off + (lo - r0) * p.Cin, in + lo * p.Cin, sizeof(float) * (hi - lo) * p.Cin);
          edgeAt.push_back(off);
        }
        live[i] = static_cast<int64_t>(tapOf.size()) - before;
      }
      xs.resize(tapOf.size());
      for (size_t n = 0, i = 0; i < static_cast<size_t>(tiles); ++i) {
        for (int64_t m = 0; m < live[i]; ++m, ++n) {
          const int64_t r0 = t0 + static_cast<int64_t>(i) * mr + tapOf[n] * p.d - p.pad;
          xs[n] = edgeAt[n] >= 0 ? edge.data() + edgeAt[n] : in + r0 * p.Cin;
        }
      }
      for (int64_t j0 = 0; j0 < p.Cout; j0 += nr) {
        const int64_t cols = std::min(nr, p.Cout - j0);
        for (int64_t i = 0, n = 0; i < tiles; n += live[i], ++i) {
          const int64_t t = t0 + i * mr, rows = std::min(mr, t1 - t);
          for (int64_t m = 0; m < live[i]; ++m) ws[m] = p.w + tapOf[n + m] * p.Cin * p.ldw + j0;
          const bool full = rows == mr && cols == nr;
          float* y = p.out + (b * p.Tout + t) * p.Cout + j0;
          g.kernel(Tile{xs.data() + n, ws.data(), live[i], p.Cin, p.ldw, p.init + j0, full ? y : tmp, full ? p.Cout : nr, p.relu});
          if (!full) {
            for (int64_t r = 0; r < rows; ++r) std::memcpy(y + r * p.Cout, tmp + r * nr, sizeof(float) * cols);
          }
        }
      }
    }
  });
}

// Weight and bias gradients. The (batch, time) rows are cut into units (up to kGradRows steps of
// one sequence), the units into at most kMaxPartials groups fixed by the shape, and each group sums
// its units in order into its own partial dW_k[o, c] = sum_t dY[t, o] x[t + k*d - padLeft, c] (over
// the steps whose input lies inside the sequence); the partials are then added in group order. No
// sum depends on the thread count.
void weightGrads(const Geometry& geo, const Conv1dShape& s, const float* x, const float* dY, float* dW, float* db) {
  const int64_t T = s.time, C = s.inChannels, O = s.outChannels, K = s.kernelSize, Tout = s.outTime();
  const int64_t padL = s.padLeft(), mr = geo.mr, nr = geo.nr;
  const int64_t chunks = (Tout + kGradRows - 1) / kGradRows, units = s.batch * chunks;
  const int64_t per = dW != nullptr ? K * O * C : 0;
  const int64_t groups =
      std::min({units, kMaxPartials, std::max<int64_t>(1, kPartialFloats / std::max<int64_t>(per + O, 1))});
  const int64_t work = kGradRows * (per + O);
  std::vector<float> P(groups * per);
  std::vector<double> PB(db != nullptr ? groups * O : 0);
  parallelFor(groups, std::max<int64_t>(1, kMinParallelWork / (work * units / groups)), [&](int64_t g0, int64_t g1) {
    std::vector<float> colSum(O), pad;
    for (int64_t g = g0; g < g1; ++g) {
      const int64_t ub = g * units / groups, ue = (g + 1) * units / groups;
      for (int64_t u = ub; u < ue; ++u) {
        const bool first = u == ub;
        const int64_t b = u / chunks, tr0 = (u % chunks) * kGradRows, tr1 = std::min(Tout, tr0 + kGradRows);
        const float* dYb = dY + b * Tout * O;
        for (int64_t o0 = 0; dW != nullptr && o0 < O; o0 += mr) {
          const int64_t rows = std::min(mr, O - o0);
          // The tile reads mr values of each dY row: a short last tile reads a zero-padded copy.
          const float* gBase = dYb + o0;
          int64_t ldg = O;
          if (rows < mr) {
            pad.assign((tr1 - tr0) * mr, 0.0f);
            for (int64_t t = tr0; t < tr1; ++t) std::copy(gBase + t * O, gBase + t * O + rows, pad.data() + (t - tr0) * mr);
            gBase = pad.data() - tr0 * mr;
            ldg = mr;
          }
          for (int64_t k = 0; k < K; ++k) {
            const int64_t shift = k * s.dilation - padL;
            const int64_t lo = std::max(tr0, -shift), n = std::max<int64_t>(0, std::min(tr1, T - shift) - lo);
            for (int64_t c0 = 0; c0 < C; c0 += nr) {
              // n == 0 still runs: the first unit of a group must write its zeros.
              geo.grad(GradTile{n > 0 ? gBase + lo * ldg : gBase, ldg, n > 0 ? x + (b * T + lo + shift) * C + c0 : x, C, n,
                                rows, std::min(nr, C - c0), P.data() + g * per + (k * O + o0) * C + c0, C, !first});
            }
          }
        }
        if (db == nullptr) continue;
        // Float sums over blocks of kBiasRows rows (vectorised), added up in double.
        double* pb = PB.data() + g * O;
        if (first) std::fill(pb, pb + O, 0.0);
        for (int64_t t0 = tr0; t0 < tr1; t0 += kBiasRows) {
          std::fill(colSum.begin(), colSum.end(), 0.0f);
          for (int64_t t = t0; t < std::min(tr1, t0 + kBiasRows); ++t) {
            const float* row = dYb + t * O;
            for (int64_t o = 0; o < O; ++o) colSum[o] += row[o];
          }
          for (int64_t o = 0; o < O; ++o) pb[o] += colSum[o];
        }
      }
    }
  });
  if (dW != nullptr) {
    parallelFor(O, std::max<int64_t>(1, kMinParallelWork / (groups * K * C)), [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o)
        for (int64_t c = 0; c < C; ++c)
          for (int64_t k = 0; k < K; ++k) {
            double sum = 0.0;
            for (int64_t g = 0; g < groups; ++g) sum += P[g * per + (k * O + o) * C + c];
            dW[(o * C + c) * K + k] = static_cast<float>(sum);
          }
    });
  }
  if (db != nullptr) {
    for (int64_t o = 0; o < O; ++o) {
      double sum = 0.0;
      for (int64_t g = 0; g < groups; ++g) sum += PB[g * O + o];
      db[o] = static_cast<float>(sum);
    }
  }
}

}  // namespace

void conv1dForward(const Conv1dShape& s, const float* x, const float* W, const float* b, float* y, Conv1dActivation act) {
  if (conv1dUsesWinograd(s)) return conv1dWinogradForward(s, x, W, b, y, act);
  const Geometry& g = activeGeometry();
  const int64_t C = s.inChannels, O = s.outChannels, K = s.kernelSize;
  const int64_t ldw = roundUp(O, g.nr);
  // w[k][c][o] = W[o, c, k]: one tap's weights for a column block are contiguous rows.
  AlignedFloats w = zeroFloats(K * C * ldw), init = zeroFloats(ldw);
  for (int64_t o = 0; o < O; ++o)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t k = 0; k < K; ++k) w[(k * C + c) * ldw + o] = W[(o * C + c) * K + k];
  if (b != nullptr) std::copy(b, b + O, init.get());
  runPass(g, Pass{s.batch, s.time, C, s.outTime(), O, K, s.dilation, s.padLeft(), x, w.get(), ldw, init.get(), y,
                  act == Conv1dActivation::Relu});
}

void conv1dBackward(const Conv1dShape& s, const float* x, const float* W, const float* dY, float* dX, float* dW,
                    float* db, const float* reluOut, float* dZ) {
  if (reluOut != nullptr) {
    const int64_t n = s.batch * s.outTime() * s.outChannels;
    const float* g = dY;
    parallelFor(n, kMaskGrain, [&](int64_t i0, int64_t i1) {
      // Both loads unconditional: a load only when y > 0 could not be vectorised (it might fault)
      // and would branch on every element's sign.
      for (int64_t i = i0; i < i1; ++i) {
        const float v = g[i];
        dZ[i] = reluOut[i] > 0.0f ? v : 0.0f;
      }
    });
    dY = dZ;
  }
  if (dX != nullptr && conv1dUsesWinogradInputGrad(s)) {
    conv1dWinogradInputGrad(s, W, dY, dX);
  } else if (dX != nullptr) {
    // dX[t, c] = sum_{k, o} dY[t - k*d + padLeft, o] W[o, c, k]: with tap k' = K-1-k this is the
    // forward pass over dY with weights w[k'][o][c] = W[o, c, K-1-k'] and left padding span - padLeft.
    const Geometry& g = activeGeometry();
    const int64_t C = s.inChannels, O = s.outChannels, K = s.kernelSize;
    const int64_t ldw = roundUp(C, g.nr);
    AlignedFloats w = zeroFloats(K * O * ldw), init = zeroFloats(ldw);
    for (int64_t o = 0; o < O; ++o)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t k = 0; k < K; ++k) w[((K - 1 - k) * O + o) * ldw + c] = W[(o * C + c) * K + k];
    runPass(g, Pass{s.batch, s.outTime(), O, s.time, C, K, s.dilation, s.span() - s.padLeft(), dY, w.get(), ldw,
                    init.get(), dX, false});
  }
  if (dW != nullptr || db != nullptr) weightGrads(activeGeometry(), s, x, dY, dW, db);
}

}  // namespace vigil
