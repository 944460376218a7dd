// The Winograd forward's driver (see conv1d_winograd.h): weight transform, work units, the channel
// GEMMs on the direct kernel's register tiles, and the per-ISA transforms around them.
//
// A sequence's output steps are cut into blocks of m*d steps; block q holds d tiles (one per
// dilation phase p), tile (q, p) covering outputs q*m*d + p + i*d, i < m. Tiles are numbered
// q*d + p, and a work unit is a run of up to kUnitTiles of them in one sequence: its transformed
// inputs V [n][tiles][Cin] and products M [n][tiles][ldw] (~107 KB each at 64 channels) stay in
// L2 between the three phases, and one nr-column block of a point's transformed weights stays in
// L1 while the GEMM sweeps the unit's rows.
#include "cpu/conv1d_winograd.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <new>

#include "cpu/aligned.h"
#include "cpu/conv1d_winograd_tables.h"
#include "cpu/cpu_features.h"
#include "cpu/threadpool.h"

namespace vigil {

using conv1d_detail::Tile;
using conv1d_detail::TileKernel;
using conv1d_detail::WinogradTransforms;

namespace {

std::atomic<int> gAlgorithm{static_cast<int>(Conv1dAlgorithm::Auto)};

// Outputs per tile: F(4,3). F(6,3) measured ~10% faster on the bench's TCN layers (30.0-32.6 vs
// 34.4-37.0 ms for the four, 2 threads, load ~3, before the prefetching) but ~3x the rounding
// error (worst |error| / sum |w x| 1.6e-6 against 5.5e-7, the direct kernel's 3.3e-7); F(2,3)
// was no faster than direct.
using Tab = winograd::F43;

// Tiles per work unit (measured on the bench's TCN layers, 2 threads, before the prefetching
// below: 14 tiles, one register row block, 59 ms for the four layers as the transformed weights
// then stream from L2 for every block; 28: 46 ms; 64: 36 ms; 128: 39 ms).
constexpr int64_t kUnitTiles = 64;
// As the direct kernel (conv1d.cc): a chunk of work is at least this many multiply-adds.
constexpr int64_t kMinParallelWork = int64_t(1) << 24;

struct Level {
  int64_t mr, nr;
  TileKernel gemm;
  WinogradTransforms tf;
};

// A SIMD level's GEMM tile and transforms; false on the portable path (direct only).
bool levelOf(Simd simd, Level& out) {
#if defined(VIGIL_X86)
  if (simd >= Simd::Avx512) {
    out = Level{14, 32, conv1d_detail::tileAvx512, conv1d_detail::winogradAvx512()};
    return true;
  }
  if (simd >= Simd::Avx2) {
    out = Level{6, 16, conv1d_detail::tileAvx2, conv1d_detail::winogradAvx2()};
    return true;
  }
#endif
  (void)simd;
  (void)out;
  return false;
}
bool activeLevel(Level& out) { return levelOf(activeSimd(), out); }
// The level for a pass the selection (useWinograd) already chose: should setSimdCap lower the cap
// to the portable path in between (another thread), the processor still has the level it saw.
Level passLevel() {
  Level l;
  if (!activeLevel(l)) levelOf(hardwareSimd(), l);
  return l;
}

// The transformed weights as the pass's GEMM operand, summed in double and rounded once; columns
// past the output channels stay 0. Forward: u[(i*C + c)*ldw + o] = sum_k G[i][k] W[o, c, k]. Input
// gradient (flipped): u[(i*O + o)*ldw + c] = sum_k G[i][k] W[o, c, 2 - k]. O(n*C*O) per call,
// next to O(T*C*O) for the convolution, so it is not cached (training changes W every step).
void transformWeights(const float* W, int64_t C, int64_t O, int64_t ldw, bool flipped, float* u) {
  for (int64_t o = 0; o < O; ++o)
    for (int64_t c = 0; c < C; ++c) {
      const float* g = W + (o * C + c) * 3;
      const double g0 = flipped ? g[2] : g[0], g1 = g[1], g2 = flipped ? g[0] : g[2];
      for (int i = 0; i < Tab::n; ++i) {
        const float v = static_cast<float>(Tab::G[i][0] * g0 + Tab::G[i][1] * g1 + Tab::G[i][2] * g2);
        u[flipped ? (i * O + o) * ldw + c : (i * C + c) * ldw + o] = v;
      }
    }
}

// Two growable 64-byte-aligned buffers; grown ones start zeroed (finite), so rows a unit leaves
// unwritten never hold NaN bit patterns from the allocator.
class Scratch {
 public:
  float* get(int i, int64_t n) {
    if (size_[i] < n) {
      buf_[i] = zeroFloats(n);
      size_[i] = n;
    }
    return buf_[i].get();
  }

 private:
  AlignedFloats buf_[2];
  int64_t size_[2] = {0, 0};
};

// A run of cache lines to prefetch a few at a time (into L2: they are used a phase later).
class Lines {
 public:
  Lines() = default;
  Lines(const float* p, int64_t floats)
      : at_(reinterpret_cast<const char*>(p)),
        count_((floats * static_cast<int64_t>(sizeof(float)) + kLine - 1) / kLine) {}
  void prefetch(int64_t lines, bool write) {
    for (; lines > 0 && done_ < count_; --lines, ++done_) {
      if (write) __builtin_prefetch(at_ + done_ * kLine, 1, 2);
      else __builtin_prefetch(at_ + done_ * kLine, 0, 2);
    }
  }
  int64_t count() const { return count_; }

 private:
  static constexpr int64_t kLine = 64;
  const char* at_ = nullptr;
  int64_t count_ = 0, done_ = 0;
};

// Whether the Winograd pass runs for a product with these channel counts and output length.
// Measured on the 2-vCPU VM (AVX-512, 1 and 2 threads, causal, kernel 3), Winograd vs direct:
// faster at Cin >= 16 with >= 256 output rows in all (B8 T256 16->16: 34 vs 41 us; 64->8: 102 vs
// 136; B1 T1024 64->64: 93 vs 123; B16 T256 128->128: 1.50 vs 1.93 ms at 1 thread), slower with
// Cin 8 (8->64: 49 vs 40 us) and on short inputs, where the weight transform and the buffers
// dominate (B1 T16 64->64: 19 vs 13 us; B1 T64: 23 vs 17). Few output channels do not hurt it:
// the direct tile pads them to its 32 (16) columns just the same. The AVX2 path (capped on the same
// machine) has the same break-even (B1 T64 64->64: 26 vs 24 us; B8 T256 16->16: 34 vs 37) and gains
// more on the bench's four TCN layers (37 vs 63 ms at batch 128, 2 threads; AVX-512: 26-28 vs 39-44).
bool useWinograd(const Conv1dShape& s, int64_t cin, int64_t tout) {
  Level l;
  if (s.kernelSize != 3 || !activeLevel(l)) return false;
  switch (static_cast<Conv1dAlgorithm>(gAlgorithm.load(std::memory_order_relaxed))) {
    case Conv1dAlgorithm::Direct: return false;
    case Conv1dAlgorithm::Winograd: return true;
    case Conv1dAlgorithm::Auto: break;
  }
  // A sequence's tiles cover whole blocks of m*d steps, so the last block's tiles compute up to
  // m*d - 1 outputs past the end: at least 4 blocks keep that under a fifth (a dilation near the
  // length would make most of the work padding).
  return cin >= 16 && s.batch * tout >= 256 && tout >= 4 * Tab::m * s.dilation;
}

// out[b, t, j] = act(bias[j] + sum_{k<3, c} in[b, t + k*d - pad, c] * w(j, c, k)) for t < Tout,
// j < Cout, with in = 0 outside rows [0, Tin): the forward is (x, W), the input gradient (dY, W
// flipped in time), as in conv1d.cc's Pass. u holds w's transform (transformWeights).
struct Pass {
  int64_t B, Tin, Cin, Tout, Cout, d, pad;
  const float* in;
  const float* u;
  int64_t ldw;
  const float* bias;  // ldw floats
  float* out;
  bool relu;
};

void runPass(const Level& L, const Pass& p) {
  constexpr int m = Tab::m, n = Tab::n;
  const int64_t C = p.Cin, O = p.Cout, d = p.d, mr = L.mr, nr = L.nr, ldw = p.ldw;
  AlignedFloats none = zeroFloats(ldw), zeros = zeroFloats(C);
  const int64_t tiles = (p.Tout + m * d - 1) / (m * d) * d;  // per sequence
  // Units of about kUnitTiles tiles, evened out, then rounded up to whole register tiles (the
  // count is taken again after rounding, so no unit is empty).
  const int64_t even = (tiles + kUnitTiles - 1) / kUnitTiles;
  const int64_t unitTiles = roundUp((tiles + even - 1) / even, mr), units = (tiles + unitTiles - 1) / unitTiles;
  const int64_t work = unitTiles * n * C * ldw;
  parallelFor(p.B * units, std::max<int64_t>(1, kMinParallelWork / work), [&](int64_t u0, int64_t u1) {
    // Per-thread buffers kept between calls: a fresh ~200 KB per chunk was an mmap, page faults
    // and a munmap each time. Rows past a unit's tiles keep whatever an earlier unit left (zeros
    // at first): their products are computed with the full register tile and never read.
    thread_local Scratch scratch;
    float* v = scratch.get(0, n * unitTiles * C);
    float* mm = scratch.get(1, n * unitTiles * ldw);
    const float* rows[n];
    float* outs[m];
    // The rows of `in` a unit's tiles read and of `out` they write: contiguous, as a unit is a run
    // of whole dilation blocks (but for its ends).
    auto spans = [&](int64_t unit, Lines& in, Lines& out) {
      const int64_t bi = unit / units, g0 = (unit % units) * unitTiles, g1 = std::min(tiles, g0 + unitTiles);
      const int64_t t0 = g0 / d * m * d, t1 = std::min(p.Tout, ((g1 - 1) / d + 1) * m * d);
      const int64_t r0 = std::max<int64_t>(0, t0 - p.pad), r1 = std::min(p.Tin, t1 - p.pad + (n - 1) * d);
      in = Lines(p.in + (bi * p.Tin + r0) * C, std::max<int64_t>(0, r1 - r0) * C);
      out = Lines(p.out + (bi * p.Tout + t0) * O, (t1 - t0) * O);
    };
    Lines nextIn, thisOut, unused;
    if (u0 < u1) spans(u0, nextIn, unused);
    for (int64_t unit = u0; unit < u1; ++unit) {
      const int64_t bi = unit / units, g0 = (unit % units) * unitTiles, count = std::min(unitTiles, tiles - g0);
      const float* xb = p.in + bi * p.Tin * C;
      float* yb = p.out + bi * p.Tout * O;
      // While the GEMMs run (compute-bound), pull in the next unit's input and this unit's output
      // lines, which the transforms would otherwise wait on at memory speed: at batch 128 the TCN's
      // x and y are 33.5 MB each, past the L3.
      spans(unit, unused, thisOut);
      if (unit + 1 < u1) spans(unit + 1, nextIn, unused);
      else nextIn = Lines();
      for (int64_t k = 0; k < count; ++k) {
        const int64_t g = g0 + k, t = g / d * m * d + g % d;
        for (int j = 0; j < n; ++j) {
          const int64_t r = t - p.pad + j * d;
          rows[j] = r >= 0 && r < p.Tin ? xb + r * C : zeros.get();
        }
        L.tf.input(rows, C, v + k * C, unitTiles * C);
      }
      const int64_t used = roundUp(count, mr);
      const int64_t calls = n * (ldw / nr) * (used / mr);
      const int64_t inPer = (nextIn.count() + calls - 1) / calls, outPer = (thisOut.count() + calls - 1) / calls;
      for (int i = 0; i < n; ++i) {
        for (int64_t j0 = 0; j0 < ldw; j0 += nr) {
          const float* wp = p.u + i * C * ldw + j0;
          for (int64_t r0 = 0; r0 < used; r0 += mr) {
            const float* xp = v + (i * unitTiles + r0) * C;
            L.gemm(Tile{&xp, &wp, 1, C, ldw, none.get() + j0, mm + (i * unitTiles + r0) * ldw + j0, ldw, false});
            nextIn.prefetch(inPer, false);
            thisOut.prefetch(outPer, true);
          }
        }
      }
      for (int64_t k = 0; k < count; ++k) {
        const int64_t g = g0 + k, t = g / d * m * d + g % d;
        if (t >= p.Tout) continue;  // a phase of the last block past the end
        const int64_t live = std::min<int64_t>(m, (p.Tout - t + d - 1) / d);
        for (int64_t i = 0; i < live; ++i) outs[i] = yb + (t + i * d) * O;
        L.tf.output(mm + k * ldw, unitTiles * ldw, O, p.bias, outs, live, p.relu);
      }
    }
  });
}

}  // namespace

Conv1dAlgorithm setConv1dAlgorithm(Conv1dAlgorithm a) {
  return static_cast<Conv1dAlgorithm>(gAlgorithm.exchange(static_cast<int>(a)));
}

bool conv1dUsesWinograd(const Conv1dShape& s) { return useWinograd(s, s.inChannels, s.outTime()); }

bool conv1dUsesWinogradInputGrad(const Conv1dShape& s) {
  return useWinograd(s, s.outChannels, s.time);
}

void conv1dWinogradForward(const Conv1dShape& s, const float* x, const float* W, const float* b, float* y,
                           Conv1dActivation act) {
  const Level L = passLevel();
  const int64_t C = s.inChannels, O = s.outChannels, ldw = roundUp(O, L.nr);
  AlignedFloats u = zeroFloats(Tab::n * C * ldw), bias = zeroFloats(ldw);
  transformWeights(W, C, O, ldw, false, u.get());
  if (b != nullptr) std::copy(b, b + O, bias.get());
  runPass(L, Pass{s.batch, s.time, C, s.outTime(), O, s.dilation, s.padLeft(), x, u.get(), ldw, bias.get(), y,
                  act == Conv1dActivation::Relu});
}

void conv1dWinogradInputGrad(const Conv1dShape& s, const float* W, const float* dY, float* dX) {
  // dX[t, c] = sum_{k, o} dY[t - k*d + padLeft, o] W[o, c, k]: with k' = 2 - k, the pass over dY
  // with weights w(c, o, k') = W[o, c, 2 - k'] and left padding span - padLeft (conv1d.cc's too).
  const Level L = passLevel();
  const int64_t C = s.inChannels, O = s.outChannels, ldw = roundUp(C, L.nr);
  AlignedFloats u = zeroFloats(Tab::n * O * ldw), bias = zeroFloats(ldw);
  transformWeights(W, C, O, ldw, true, u.get());
  runPass(L, Pass{s.batch, s.outTime(), O, s.time, C, s.dilation, s.span() - s.padLeft(), dY, u.get(), ldw,
                  bias.get(), dX, false});
}

}  // namespace vigil
