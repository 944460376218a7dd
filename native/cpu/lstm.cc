#include "cpu/lstm.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>
#include <vector>

#include "cpu/activation_math.h"
#include "cpu/cpu_features.h"
#include "cpu/gemm.h"
#include "cpu/philox.h"
#include "cpu/threadpool.h"

namespace vigil {
namespace recurrent {

void validRange(const RecurrentArgs& a, int64_t b, int64_t* s, int64_t* e) {
  int64_t len = a.lengths ? a.lengths[b] : a.T;
  if (a.padding == Padding::Pre) {
    *s = a.T - len;
    *e = a.T;
  } else {
    *s = 0;
    *e = len;
  }
}

RowPlan planRows(const RecurrentArgs& a, int64_t grain) {
  const int64_t B = a.B;
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(getNumThreads(), (B + grain - 1) / grain));
  std::vector<int64_t> len(B);
  for (int64_t b = 0; b < B; ++b) len[b] = a.lengths ? a.lengths[b] : a.T;
  std::vector<int64_t> byLength(B);
  std::iota(byLength.begin(), byLength.end(), int64_t{0});
  std::stable_sort(byLength.begin(), byLength.end(), [&](int64_t x, int64_t y) { return len[x] > len[y]; });
  // Greedy longest-first; a row costs its valid steps plus one (its setup and its tiles' share
  // of the per-step overhead), so rows of length 0 spread out too.
  std::vector<std::vector<int64_t>> rows(chunks);
  std::vector<int64_t> load(chunks, 0);
  for (int64_t b : byLength) {
    const int64_t c = std::min_element(load.begin(), load.end()) - load.begin();
    rows[c].push_back(b);
    load[c] += len[b] + 1;
  }
  RowPlan plan;
  plan.order.reserve(B);
  plan.bounds.push_back(0);
  for (const auto& r : rows) {
    plan.order.insert(plan.order.end(), r.begin(), r.end());
    plan.bounds.push_back(static_cast<int64_t>(plan.order.size()));
  }
  return plan;
}

void maxInto(int64_t n, const float* h, float* m) {
#if defined(VIGIL_X86)
  if (useAvx512()) return avx512::maxInto(n, h, m);
  if (useAvx2()) return avx2::maxInto(n, h, m);
#endif
  // Strictly greater: the earlier of equal values stays (as GlobalMaxPooling1D's first maximum).
  for (int64_t j = 0; j < n; ++j)
    if (m[j] == m[j] && (h[j] > m[j] || h[j] != h[j])) m[j] = h[j];
}

void startMax(const RecurrentArgs& a, int64_t b, float* yMax) {
  int64_t s, e;
  validRange(a, b, &s, &e);
  std::fill(yMax + b * a.H, yMax + (b + 1) * a.H, s < e ? -std::numeric_limits<float>::infinity() : 0.0f);
}

void zeroPaddedRows(const RecurrentArgs& a, int64_t b, int64_t s, int64_t e, int64_t G, float* dG) {
  for (int64_t t = 0; t < a.T; ++t) {
    if (t >= s && t < e) continue;
    std::memset(dG + (t * a.B + b) * G, 0, G * sizeof(float));
  }
}

void dropoutRow(const RecurrentArgs& a, int64_t b, float* mask) {
  float scale = 1.0f / (1.0f - a.dropout);
  for (int64_t j = 0; j < a.H; ++j)
    mask[j] = philoxUniform(a.seed, a.stream, static_cast<uint64_t>(b * a.H + j)) >= a.dropout ? scale : 0.0f;
}

void product(int64_t n, int64_t K, int64_t N, const float* const* a, const float* w, const float* const* init,
             float* const* out) {
#if defined(VIGIL_X86)
  if (useAvx512()) return avx512::recurrentProduct(n, K, N, a, w, init, out);
  if (useAvx2()) return avx2::recurrentProduct(n, K, N, a, w, init, out);
#endif
  for (int64_t r = 0; r < n; ++r) {
    float* o = out[r];
    // init may alias out (in-place pre-activations), never a.
    if (init && init[r]) {
      if (init[r] != o) std::memcpy(o, init[r], N * sizeof(float));
    } else {
      std::memset(o, 0, N * sizeof(float));
    }
    // Accumulating over k in order keeps each element's sum order fixed; the j loop vectorises.
    const float* ar = a[r];
    for (int64_t k = 0; k < K; ++k) {
      const float ak = ar[k];
      const float* wk = w + k * N;
      for (int64_t j = 0; j < N; ++j) o[j] += ak * wk[j];
    }
  }
}

namespace {

// [B, T, w] <-> [T, B, w] row permutations (time-major is the internal layout: the rows one
// step touches are contiguous, and a power-of-two T cannot make them alias in the caches).
void toTimeMajor(int64_t B, int64_t T, int64_t w, const float* src, float* dst) {
  parallelFor(T, 16, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t)
      for (int64_t b = 0; b < B; ++b) std::memcpy(dst + (t * B + b) * w, src + (b * T + t) * w, w * sizeof(float));
  });
}
void toBatchMajor(int64_t B, int64_t T, int64_t w, const float* src, float* dst) {
  parallelFor(B, 4, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      for (int64_t t = 0; t < T; ++t) std::memcpy(dst + (b * T + t) * w, src + (t * B + b) * w, w * sizeof(float));
  });
}

}  // namespace

namespace {

// Dense mode with lengths: the valid rows (t, b) in time-major order, as t*B + b, or false when
// every row is valid. Only these rows are read by the steps, so the input projection and the
// input-side gradients skip the padded ones (a 1,024-step batch of 200-step requests is 80 %
// padding): the valid rows are gathered, multiplied and scattered back.
bool validRows(const RecurrentArgs& a, std::vector<int64_t>* rows) {
  if (a.lengths == nullptr) return false;
  int64_t total = 0;
  for (int64_t b = 0; b < a.B; ++b) total += a.lengths[b];
  if (total == a.B * a.T) return false;
  std::vector<int64_t> s(a.B), e(a.B);
  for (int64_t b = 0; b < a.B; ++b) validRange(a, b, &s[b], &e[b]);
  rows->reserve(total);
  for (int64_t t = 0; t < a.T; ++t)
    for (int64_t b = 0; b < a.B; ++b)
      if (t >= s[b] && t < e[b]) rows->push_back(t * a.B + b);
  return true;
}

// xc [R, I] = the rows of x (batch-major) listed by tb = t*B + b.
void gatherInputs(const RecurrentArgs& a, const std::vector<int64_t>& rows, float* xc) {
  const int64_t R = static_cast<int64_t>(rows.size()), I = a.I;
  parallelFor(R, 256, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t t = rows[r] / a.B, b = rows[r] % a.B;
      std::memcpy(xc + r * I, a.x + (b * a.T + t) * I, I * sizeof(float));
    }
  });
}

void inputProjectionPacked(const RecurrentArgs& a, int64_t G, const std::vector<int64_t>& rows, float* P) {
  const int64_t R = static_cast<int64_t>(rows.size());
  if (R == 0) return;
  Scratch xc(R * a.I), pc(R * G);
  gatherInputs(a, rows, xc.p);
  sgemm(false, true, R, G, a.I, 1.0f, xc.p, a.I, a.wIh, a.I, 0.0f, pc.p, G);
  parallelFor(R, 256, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      float* dst = P + rows[r] * G;
      const float* src = pc.p + r * G;
      if (a.bias)
        for (int64_t j = 0; j < G; ++j) dst[j] = src[j] + a.bias[j];
      else
        std::memcpy(dst, src, G * sizeof(float));
    }
  });
}

// dBias, dW_ih and dX from the valid rows of dG only (padded rows of dX are written as 0).
void denseWeightGradsPacked(const RecurrentArgs& a, int64_t G, const float* dG, const RecurrentGrads& g,
                            const std::vector<int64_t>& rows) {
  const int64_t R = static_cast<int64_t>(rows.size()), I = a.I;
  if (R == 0) {
    if (g.dBias) std::memset(g.dBias, 0, G * sizeof(float));
    if (g.dWIh) std::memset(g.dWIh, 0, G * I * sizeof(float));
    if (g.dX) std::memset(g.dX, 0, a.B * a.T * I * sizeof(float));
    return;
  }
  Scratch dgc(R * G);
  parallelFor(R, 256, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) std::memcpy(dgc.p + r * G, dG + rows[r] * G, G * sizeof(float));
  });
  if (g.dBias) columnSums(R, G, dgc.p, g.dBias);
  if (g.dWIh) {
    Scratch xc(R * I);
    gatherInputs(a, rows, xc.p);
    productOverRows(R, G, I, dgc.p, G, xc.p, I, 0.0f, g.dWIh);
  }
  if (g.dX) {
    Scratch dxc(R * I);
    sgemm(false, false, R, I, G, 1.0f, dgc.p, G, a.wIh, I, 0.0f, dxc.p, I);
    parallelFor(a.B, 4, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        int64_t sb, eb;
        validRange(a, b, &sb, &eb);
        float* row = g.dX + b * a.T * I;
        std::memset(row, 0, sb * I * sizeof(float));
        std::memset(row + eb * I, 0, (a.T - eb) * I * sizeof(float));
      }
    });
    parallelFor(R, 256, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t t = rows[r] / a.B, b = rows[r] % a.B;
        std::memcpy(g.dX + (b * a.T + t) * I, dxc.p + r * I, I * sizeof(float));
      }
    });
  }
}

}  // namespace

void inputProjection(const RecurrentArgs& a, int64_t G, float* P) {
  std::vector<int64_t> valid;
  if (validRows(a, &valid)) return inputProjectionPacked(a, G, valid, P);
  const int64_t rows = a.B * a.T;
  Scratch xt(rows * a.I);
  toTimeMajor(a.B, a.T, a.I, a.x, xt.p);
  sgemm(false, true, rows, G, a.I, 1.0f, xt.p, a.I, a.wIh, a.I, 0.0f, P, G);
  if (a.bias) {
    parallelFor(rows, 256, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t j = 0; j < G; ++j) P[r * G + j] += a.bias[j];
    });
  }
}

void columnSums(int64_t rows, int64_t cols, const float* m, float* out) {
  parallelFor(cols, 16, [&](int64_t c0, int64_t c1) {
    for (int64_t j = c0; j < c1; ++j) out[j] = 0.0f;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = c0; j < c1; ++j) out[j] += m[r * cols + j];
  });
}

void weightGrads(const RecurrentArgs& a, int64_t G, const float* dG, const RecurrentGrads& g) {
  const int64_t B = a.B, T = a.T, rows = B * T;
  if (a.tokens == nullptr) {
    std::vector<int64_t> valid;
    if (validRows(a, &valid)) return denseWeightGradsPacked(a, G, dG, g, valid);
  }
  if (g.dBias) columnSums(rows, G, dG, g.dBias);
  if (a.tokens == nullptr) {
    if (g.dWIh) {
      Scratch xt(rows * a.I);
      toTimeMajor(B, T, a.I, a.x, xt.p);
      productOverRows(rows, G, a.I, dG, G, xt.p, a.I, 0.0f, g.dWIh);
    }
    if (g.dX) {
      Scratch dxt(rows * a.I);
      sgemm(false, false, rows, a.I, G, 1.0f, dG, G, a.wIh, a.I, 0.0f, dxt.p, a.I);
      toBatchMajor(B, T, a.I, dxt.p, g.dX);
    }
  } else if (g.dTable) {
    // Token of every row in time-major order (-1 at padded steps): the walk below then reads dG
    // and the ids sequentially (ids read column-wise from [B, T] would alias for power-of-two T).
    std::vector<int32_t> tok(rows);
    for (int64_t b = 0; b < B; ++b) {
      int64_t s, e;
      validRange(a, b, &s, &e);
      for (int64_t t = 0; t < T; ++t) tok[t * B + b] = (t >= s && t < e) ? a.tokens[b * T + t] : -1;
    }
    // Row blocks fixed by rows and the table size (never by the thread count) scatter into their
    // own partial tables, which are then added in block order: deterministic, and each thread
    // streams whole rows of dG (split by columns, both threads would pull every row from memory).
    float* dT = g.dTable;
    const int64_t tableSize = a.V * G;
    constexpr int64_t kMinBlock = 2048, kMaxBlocks = 16, kPartialBudget = int64_t(1) << 21;  // floats
    const int64_t nb = std::max<int64_t>(
        1, std::min({kMaxBlocks, (rows + kMinBlock - 1) / kMinBlock, kPartialBudget / std::max<int64_t>(1, tableSize)}));
    Scratch part(nb > 1 ? nb * tableSize : 0);
    parallelFor(nb, 1, [&](int64_t k0, int64_t k1) {
      for (int64_t k = k0; k < k1; ++k) {
        float* acc = nb > 1 ? part.p + k * tableSize : dT;
        std::memset(acc, 0, tableSize * sizeof(float));
        for (int64_t r = rows * k / nb, r1 = rows * (k + 1) / nb; r < r1; ++r) {
          if (tok[r] < 0) continue;
          const float* src = dG + r * G;
          float* dst = acc + tok[r] * G;
          for (int64_t j = 0; j < G; ++j) dst[j] += src[j];
        }
      }
    });
    if (nb > 1) {
      parallelFor(tableSize, 4096, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i) {
          float s = part.p[i];
          for (int64_t k = 1; k < nb; ++k) s += part.p[k * tableSize + i];
          dT[i] = s;
        }
      });
    }
  }
}

void productOverRows(int64_t rows, int64_t M, int64_t N, const float* A, int64_t lda, const float* Bm, int64_t ldb,
                     float beta, float* C) {
  // The SIMD kernel of rows m0..m1-1 of C, or null (portable: sgemm).
  using Kernel = void (*)(int64_t, int64_t, int64_t, int64_t, const float*, int64_t, const float*, int64_t, float,
                          float*);
  Kernel kernel = nullptr;
#if defined(VIGIL_X86)
  if (useAvx512()) kernel = avx512::productOverRows;
  else if (useAvx2()) kernel = avx2::productOverRows;
#endif
  // Out [M, N] = the product over rows [r0, r1) (+ beta0·out), on the calling thread.
  auto block = [&](int64_t r0, int64_t r1, float beta0, float* out) {
    if (kernel) return kernel(r1 - r0, 0, M, N, A + r0 * lda, lda, Bm + r0 * ldb, ldb, beta0, out);
    sgemm(true, false, M, N, r1 - r0, 1.0f, A + r0 * lda, lda, Bm + r0 * ldb, ldb, beta0, out, N);
  };
  // Blocks of rows fixed by `rows` alone (never by the thread count): each block's product runs
  // inline on one thread, then the partial sums are added in block order. Threads get whole
  // rows of A and Bm: split by columns, both would stream every row and contend for memory.
  constexpr int64_t kMinBlock = 1024, kMaxBlocks = 32;
  const int64_t nb = std::min<int64_t>(kMaxBlocks, (rows + kMinBlock - 1) / kMinBlock);
  if (nb <= 1) {
    if (kernel) {
      // Few rows: threads split the rows of C (in the kernels' tiles of 6), each adding all rows in order.
      parallelFor((M + 5) / 6, 1, [&](int64_t t0, int64_t t1) {
        kernel(rows, 6 * t0, std::min(M, 6 * t1), N, A, lda, Bm, ldb, beta, C);
      });
      return;
    }
    block(0, rows, beta, C);
    return;
  }
  Scratch part(nb * M * N);
  parallelFor(nb, 1, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) block(rows * k / nb, rows * (k + 1) / nb, 0.0f, part.p + k * M * N);
  });
  parallelFor(M * N, 1024, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      float acc = part.p[i];
      for (int64_t k = 1; k < nb; ++k) acc += part.p[k * M * N + i];
      C[i] = beta == 0.0f ? acc : acc + beta * C[i];
    }
  });
}

void recurrentWeightGrad(const RecurrentArgs& a, int64_t G, const float* dG, const float* hPlane, float* dWHh) {
  const int64_t B = a.B, T = a.T, H = a.H;
  float beta = 0.0f;
  if (T > 1) {
    productOverRows((T - 1) * B, G, H, dG + B * G, G, hPlane, H, 0.0f, dWHh);
    beta = 1.0f;
  }
  if (a.h0) {
    std::vector<float> h0m(a.h0, a.h0 + B * H);
    if (a.dropout > 0) {
      std::vector<float> mask(H);
      for (int64_t b = 0; b < B; ++b) {
        dropoutRow(a, b, mask.data());
        for (int64_t j = 0; j < H; ++j) h0m[b * H + j] *= mask[j];
      }
    }
    sgemm(true, false, G, H, B, 1.0f, dG, G, h0m.data(), H, beta, dWHh, H);
  } else if (T == 1) {
    std::memset(dWHh, 0, G * H * sizeof(float));
  }
}

void lstmCellForward(int64_t H, float* z, float* c, float* h) {
  for (int64_t j = 0; j < H; ++j) {
    float i = sigmoidScalar(z[j]);
    float f = sigmoidScalar(z[H + j]);
    float gg = tanhScalar(z[2 * H + j]);
    float o = sigmoidScalar(z[3 * H + j]);
    z[j] = i;
    z[H + j] = f;
    z[2 * H + j] = gg;
    z[3 * H + j] = o;
    float cn = f * c[j] + i * gg;
    c[j] = cn;
    h[j] = o * tanhScalar(cn);
  }
}

void lstmCellBackward(int64_t H, const float* gates, const float* cPrev, const float* c, const float* dh, float* dc,
                      float* dz) {
#if defined(VIGIL_X86)
  if (useAvx512()) return avx512::lstmCellBackward(H, gates, cPrev, c, dh, dc, dz);
  if (useAvx2()) return avx2::lstmCellBackward(H, gates, cPrev, c, dh, dc, dz);
#endif
  for (int64_t j = 0; j < H; ++j) {
    float i = gates[j], f = gates[H + j], gg = gates[2 * H + j], o = gates[3 * H + j];
    float tc = tanhScalar(c[j]);
    float dcj = dc[j] + dh[j] * o * (1.0f - tc * tc);
    dz[j] = dcj * gg * i * (1.0f - i);
    dz[H + j] = dcj * cPrev[j] * f * (1.0f - f);
    dz[2 * H + j] = dcj * i * (1.0f - gg * gg);
    dz[3 * H + j] = dh[j] * tc * o * (1.0f - o);
    dc[j] = dcj * f;
  }
}

void tanhInPlace(int64_t n, float* v) {
#if defined(VIGIL_X86)
  if (useAvx2()) return avx2::tanhInPlace(n, v);
#endif
  for (int64_t j = 0; j < n; ++j) v[j] = tanhScalar(v[j]);
}

int64_t gatePanelSize(int64_t H, int64_t width) { return (H + width - 1) / width * H * 4 * width; }

void packGatePanels(int64_t H, int64_t width, const float* wHh, float* panel) {
  const int64_t nb = (H + width - 1) / width;
  for (int64_t q = 0; q < nb; ++q)
    for (int64_t k = 0; k < H; ++k)
      for (int64_t g = 0; g < 4; ++g)
        for (int64_t u = 0; u < width; ++u) {
          const int64_t unit = width * q + u;
          panel[((q * H + k) * 4 + g) * width + u] = unit < H ? wHh[(g * H + unit) * H + k] : 0.0f;
        }
}

}  // namespace recurrent

using namespace recurrent;

int64_t lstmCacheSize(int64_t B, int64_t T, int64_t H) { return 6 * B * T * H; }

namespace {

// W_hh [G, H] transposed to [H, G]: the per-step product reads it as a K x N right-hand side.
std::vector<float> transposeWhh(const RecurrentArgs& a, int64_t G) {
  std::vector<float> wT(a.H * G);
  for (int64_t g = 0; g < G; ++g)
    for (int64_t k = 0; k < a.H; ++k) wT[k * G + g] = a.wHh[g * a.H + k];
  return wT;
}

void prefetchRange(const float* p, int64_t n) {
#if defined(__GNUC__)
  for (int64_t i = 0; i < n; i += 16) __builtin_prefetch(p + i);
#else
  (void)p;
  (void)n;
#endif
}

// Rows per pool chunk at least: keeps the product's 4-row groups full.
constexpr int64_t kRowGrain = 4;

#if defined(VIGIL_X86)
// The SIMD forward: one fused product + cell kernel per step (lstmStep of lstm_avx512.cc or
// lstm_avx2.cc, on W_hh packed for its vector width). Each row's h
// alternates between two buffers (the step reads h_{t-1} of every row while it writes h_t), and
// a padded step just leaves the row's buffer as it is. P (dense mode) may be the cache's gate
// plane: a tile reads a row's pre-activations of its units before writing their gates back.
void forwardFused(const RecurrentArgs& a, const float* P, float* cache, float* y, float* hLast, float* cLast,
                  float* yMax) {
  const int64_t B = a.B, T = a.T, H = a.H, G = 4 * H;
  const bool gather = a.tokens != nullptr;
  const bool dropout = a.dropout > 0;
  const bool wide = useAvx512();
  const int64_t width = wide ? avx512::kGateWidth : avx2::kGateWidth;
  auto* const step = wide ? avx512::lstmStep : avx2::lstmStep;
  std::vector<float> panel(gatePanelSize(H, width));
  packGatePanels(H, width, a.wHh, panel.data());
  float* cacheG = cache;
  float* cacheC = cache ? cache + B * T * G : nullptr;
  float* cacheH = cache ? cacheC + B * T * H : nullptr;
  const RowPlan plan = planRows(a, kRowGrain);

  // Chunk c runs rows ids[0..n): row r of the chunk is sequence ids[r].
  auto runRows = [&](const int64_t* ids, int64_t n) {
    std::vector<float> hbuf(2 * n * H, 0.0f), cs(n * H, 0.0f), mask, hm;
    std::vector<uint8_t> cur(n, 0);
    std::vector<int64_t> s(n), e(n), act(n);
    std::vector<const float*> hIn(n), init(n);
    std::vector<float*> cRow(n), hOut(n), gates(n);
    auto state = [&](int64_t r) { return &hbuf[(cur[r] * n + r) * H]; };
    for (int64_t r = 0; r < n; ++r) {
      const int64_t b = ids[r];
      validRange(a, b, &s[r], &e[r]);
      if (a.h0) std::memcpy(&hbuf[r * H], a.h0 + b * H, H * sizeof(float));
      if (a.c0) std::memcpy(&cs[r * H], a.c0 + b * H, H * sizeof(float));
      if (yMax) startMax(a, b, yMax);
    }
    if (dropout) {
      mask.resize(n * H);
      hm.resize(n * H);
      for (int64_t r = 0; r < n; ++r) dropoutRow(a, ids[r], &mask[r * H]);
    }
    const LstmStepRows rows{hIn.data(), init.data(), cRow.data(), hOut.data(), cache ? gates.data() : nullptr};

    for (int64_t t = 0; t < T; ++t) {
      int64_t m = 0;
      for (int64_t r = 0; r < n; ++r) {
        const int64_t b = ids[r], bt = b * T + t, tb = t * B + b;
        if (t < s[r] || t >= e[r]) {
          if (y) std::memset(y + bt * H, 0, H * sizeof(float));
          if (cache) std::memcpy(cacheH + tb * H, state(r), H * sizeof(float));
          continue;
        }
        const float* h = state(r);
        if (dropout) {
          for (int64_t j = 0; j < H; ++j) hm[r * H + j] = h[j] * mask[r * H + j];
          h = &hm[r * H];
        }
        hIn[m] = h;
        init[m] = gather ? a.table + static_cast<int64_t>(a.tokens[bt]) * G : P + tb * G;
        cRow[m] = &cs[r * H];
        cur[r] ^= 1;
        hOut[m] = state(r);
        gates[m] = cache ? cacheG + tb * G : nullptr;
        act[m] = r;
        ++m;
      }
      if (m == 0) continue;
      step(m, H, panel.data(), rows);
      if (!cache && !y && !yMax) continue;
      for (int64_t q = 0; q < m; ++q) {
        const int64_t b = ids[act[q]], bt = b * T + t, tb = t * B + b;
        if (cache) {
          std::memcpy(cacheC + tb * H, cRow[q], H * sizeof(float));
          std::memcpy(cacheH + tb * H, hOut[q], H * sizeof(float));
        }
        if (y) std::memcpy(y + bt * H, hOut[q], H * sizeof(float));
        if (yMax) maxInto(H, hOut[q], yMax + b * H);
      }
    }
    for (int64_t r = 0; r < n; ++r) {
      if (hLast) std::memcpy(hLast + ids[r] * H, state(r), H * sizeof(float));
      if (cLast) std::memcpy(cLast + ids[r] * H, &cs[r * H], H * sizeof(float));
    }
  };
  parallelFor(plan.chunks(), 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) runRows(plan.order.data() + plan.bounds[c], plan.bounds[c + 1] - plan.bounds[c]);
  });
}
#endif

}  // namespace

void lstmForward(const RecurrentArgs& a, float* cache, float* y, float* hLast, float* cLast, float* yMax) {
  const int64_t B = a.B, T = a.T, H = a.H, G = 4 * H;
  const bool gather = a.tokens != nullptr;
  const bool dropout = a.dropout > 0;
  float* cacheG = cache;
  float* cacheC = cache ? cache + B * T * G : nullptr;
  float* cacheH = cache ? cacheC + B * T * H : nullptr;
  // Dense mode: the input projection of every step in one product, into the cache's gate plane
  // when training (the cell then activates it in place) or into scratch.
  std::unique_ptr<float[]> proj;
  float* P = nullptr;
  if (!gather) {
    if (cache) {
      P = cacheG;
    } else {
      proj.reset(new float[B * T * G]);
      P = proj.get();
    }
    inputProjection(a, G, P);
  }
#if defined(VIGIL_X86)
  if (useAvx2()) return forwardFused(a, P, cache, y, hLast, cLast, yMax);
#endif
  std::vector<float> wT = transposeWhh(a, G);
  const RowPlan plan = planRows(a, kRowGrain);

  // Chunk c runs rows ids[0..n): row r of the chunk is sequence ids[r].
  auto runRows = [&](const int64_t* ids, int64_t n) {
    std::vector<float> hs(n * H, 0.0f), cs(n * H, 0.0f), mask, hm, zs;
    std::vector<int64_t> s(n), e(n);
    std::vector<const float*> aptr(n), init(n);
    std::vector<float*> out(n);
    std::vector<int64_t> act(n);
    for (int64_t r = 0; r < n; ++r) {
      const int64_t b = ids[r];
      validRange(a, b, &s[r], &e[r]);
      if (a.h0) std::memcpy(&hs[r * H], a.h0 + b * H, H * sizeof(float));
      if (a.c0) std::memcpy(&cs[r * H], a.c0 + b * H, H * sizeof(float));
      if (yMax) startMax(a, b, yMax);
    }
    if (dropout) {
      mask.resize(n * H);
      hm.resize(n * H);
      for (int64_t r = 0; r < n; ++r) dropoutRow(a, ids[r], &mask[r * H]);
    }
    if (gather && !cache) zs.resize(n * G);

    for (int64_t t = 0; t < T; ++t) {
      int64_t m = 0;
      for (int64_t r = 0; r < n; ++r) {
        const int64_t b = ids[r], bt = b * T + t, tb = t * B + b;
        if (t < s[r] || t >= e[r]) {
          if (y) std::memset(y + bt * H, 0, H * sizeof(float));
          // The backward reads slot t as h_t of the next step's product (see lstmBackward).
          if (cache) std::memcpy(cacheH + tb * H, &hs[r * H], H * sizeof(float));
          continue;
        }
        act[m] = r;
        if (dropout) {
          for (int64_t j = 0; j < H; ++j) hm[r * H + j] = hs[r * H + j] * mask[r * H + j];
          aptr[m] = &hm[r * H];
        } else {
          aptr[m] = &hs[r * H];
        }
        init[m] = gather ? a.table + static_cast<int64_t>(a.tokens[bt]) * G : P + tb * G;
        out[m] = cache ? cacheG + tb * G : (gather ? &zs[r * G] : P + tb * G);
        ++m;
      }
      if (m == 0) continue;
      product(m, H, G, aptr.data(), wT.data(), init.data(), out.data());
      for (int64_t q = 0; q < m; ++q) {
        const int64_t r = act[q], b = ids[r], bt = b * T + t, tb = t * B + b;
        float* hr = &hs[r * H];
        float* cr = &cs[r * H];
        lstmCellForward(H, out[q], cr, hr);
        if (cache) {
          std::memcpy(cacheC + tb * H, cr, H * sizeof(float));
          std::memcpy(cacheH + tb * H, hr, H * sizeof(float));
        }
        if (y) std::memcpy(y + bt * H, hr, H * sizeof(float));
        if (yMax) maxInto(H, hr, yMax + b * H);
      }
    }
    for (int64_t r = 0; r < n; ++r) {
      if (hLast) std::memcpy(hLast + ids[r] * H, &hs[r * H], H * sizeof(float));
      if (cLast) std::memcpy(cLast + ids[r] * H, &cs[r * H], H * sizeof(float));
    }
  };
  parallelFor(plan.chunks(), 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) runRows(plan.order.data() + plan.bounds[c], plan.bounds[c + 1] - plan.bounds[c]);
  });
}

void lstmBackward(const RecurrentArgs& a, float* cache, const RecurrentGrads& g) {
  const int64_t B = a.B, T = a.T, H = a.H, G = 4 * H;
  const bool dropout = a.dropout > 0;
  // The cache is consumed in place, so no per-call buffer of B*T rows is allocated (fresh pages
  // cost more than the arithmetic): each step's gate slot becomes its pre-activation gradient dG
  // once read, and (with dropout) each h slot becomes the masked h_{t-1} of the next step.
  float* dG = cache;
  const float* cacheC = cache + B * T * G;
  float* cacheH = cache + B * T * (G + H);
  std::vector<float> zeros(H, 0.0f);
  const bool needHm = g.dWHh != nullptr;

  parallelFor(B, kRowGrain, [&](int64_t b0, int64_t b1) {
    const int64_t n = b1 - b0;
    std::vector<float> dh(n * H, 0.0f), dc(n * H, 0.0f), mask, dhm;
    std::vector<int64_t> s(n), e(n), act(n);
    std::vector<const float*> aptr(n), init(n, nullptr);
    std::vector<float*> out(n);
    for (int64_t r = 0; r < n; ++r) {
      const int64_t b = b0 + r;
      validRange(a, b, &s[r], &e[r]);
      zeroPaddedRows(a, b, s[r], e[r], G, dG);
      if (g.dHlast) std::memcpy(&dh[r * H], g.dHlast + b * H, H * sizeof(float));
      if (g.dCn) std::memcpy(&dc[r * H], g.dCn + b * H, H * sizeof(float));
    }
    if (dropout) {
      mask.resize(n * H);
      dhm.resize(n * H);
      for (int64_t r = 0; r < n; ++r) dropoutRow(a, b0 + r, &mask[r * H]);
    }
    for (int64_t t = T - 1; t >= 0; --t) {
      // The chunk's rows of step t-1 (gates, and c_{t-1}, c_{t-2}) are contiguous blocks that this
      // step's product gives time to fetch; the hardware prefetchers do not follow the walk back.
      if (t > 0) {
        prefetchRange(dG + ((t - 1) * B + b0) * G, n * G);
        prefetchRange(cacheC + ((t - 1) * B + b0) * H, n * H);
        if (t > 1) prefetchRange(cacheC + ((t - 2) * B + b0) * H, n * H);
      }
      int64_t m = 0;
      for (int64_t r = 0; r < n; ++r) {
        if (t < s[r] || t >= e[r]) continue;
        const int64_t b = b0 + r, bt = b * T + t, tb = t * B + b;
        float* dhr = &dh[r * H];
        if (g.dY)
          for (int64_t j = 0; j < H; ++j) dhr[j] += g.dY[bt * H + j];
        const bool first = t == s[r];
        const float* cPrev = first ? (a.c0 ? a.c0 + b * H : zeros.data()) : cacheC + (tb - B) * H;
        lstmCellBackward(H, dG + tb * G, cPrev, cacheC + tb * H, dhr, &dc[r * H], dG + tb * G);
        // Slot t-1 holds h_{t-1} (the carried state when t-1 is padded): step t is its last reader.
        if (needHm && dropout && t > 0) {
          float* hp = cacheH + (tb - B) * H;
          for (int64_t j = 0; j < H; ++j) hp[j] *= mask[r * H + j];
        }
        act[m] = r;
        aptr[m] = dG + tb * G;
        out[m] = dropout ? &dhm[r * H] : dhr;
        ++m;
      }
      if (m == 0) continue;
      // dh_{t-1} replaces dh_t: the recurrent product is its only path to the previous step.
      product(m, G, H, aptr.data(), a.wHh, init.data(), out.data());
      if (dropout) {
        for (int64_t q = 0; q < m; ++q) {
          const int64_t r = act[q];
          for (int64_t j = 0; j < H; ++j) dh[r * H + j] = dhm[r * H + j] * mask[r * H + j];
        }
      }
    }
    if (g.dh0) std::memcpy(g.dh0 + b0 * H, dh.data(), n * H * sizeof(float));
    if (g.dc0) std::memcpy(g.dc0 + b0 * H, dc.data(), n * H * sizeof(float));
  });

  if (needHm) recurrentWeightGrad(a, G, dG, cacheH, g.dWHh);
  weightGrads(a, G, dG, g);
}

void foldEmbedding(int64_t V, int64_t E, int64_t G, const float* emb, const float* wIh, const float* bias,
                   float* table) {
  sgemm(false, true, V, G, E, 1.0f, emb, E, wIh, E, 0.0f, table, G);
  if (bias) {
    parallelFor(V, 64, [&](int64_t v0, int64_t v1) {
      for (int64_t v = v0; v < v1; ++v)
        for (int64_t j = 0; j < G; ++j) table[v * G + j] += bias[j];
    });
  }
}

void unfoldGradient(int64_t V, int64_t E, int64_t G, const float* emb, const float* wIh, const float* dTable,
                    float* dEmb, float* dWIh, float* dBias) {
  if (dEmb) sgemm(false, false, V, E, G, 1.0f, dTable, G, wIh, E, 0.0f, dEmb, E);
  if (dWIh) sgemm(true, false, G, E, V, 1.0f, dTable, G, emb, E, 0.0f, dWIh, E);
  if (dBias) columnSums(V, G, dTable, dBias);
}

}  // namespace vigil
