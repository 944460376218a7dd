#include "cpu/lstm.h"

#include <algorithm>
#include <cstring>
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

void dropoutRow(const RecurrentArgs& a, int64_t b, float* mask) {
  float scale = 1.0f / (1.0f - a.dropout);
  for (int64_t j = 0; j < a.H; ++j)
    mask[j] = philoxUniform(a.seed, a.stream, static_cast<uint64_t>(b * a.H + j)) >= a.dropout ? scale : 0.0f;
}

void product(int64_t n, int64_t K, int64_t N, const float* const* a, const float* w, const float* const* init,
             float* const* out) {
#if defined(VIGIL_X86)
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

void inputProjection(const RecurrentArgs& a, int64_t G, float* P) {
  const int64_t rows = a.B * a.T;
  sgemm(false, true, rows, G, a.I, 1.0f, a.x, a.I, a.wIh, a.I, 0.0f, P, G);
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

void weightGrads(const RecurrentArgs& a, int64_t G, const float* dG, const float* hmPrev, const RecurrentGrads& g) {
  const int64_t rows = a.B * a.T;
  if (g.dWHh) sgemm(true, false, G, a.H, rows, 1.0f, dG, G, hmPrev, a.H, 0.0f, g.dWHh, a.H);
  if (g.dBias) columnSums(rows, G, dG, g.dBias);
  if (a.tokens == nullptr) {
    if (g.dWIh) sgemm(true, false, G, a.I, rows, 1.0f, dG, G, a.x, a.I, 0.0f, g.dWIh, a.I);
    if (g.dX) sgemm(false, false, rows, a.I, G, 1.0f, dG, G, a.wIh, a.I, 0.0f, g.dX, a.I);
  } else if (g.dTable) {
    // Each thread owns a column range and walks every (b, t) in order: a deterministic scatter-add.
    float* dT = g.dTable;
    parallelFor(G, 16, [&](int64_t c0, int64_t c1) {
      for (int64_t v = 0; v < a.V; ++v)
        for (int64_t j = c0; j < c1; ++j) dT[v * G + j] = 0.0f;
      for (int64_t b = 0; b < a.B; ++b) {
        int64_t s, e;
        validRange(a, b, &s, &e);
        for (int64_t t = s; t < e; ++t) {
          const float* src = dG + (b * a.T + t) * G;
          float* dst = dT + static_cast<int64_t>(a.tokens[b * a.T + t]) * G;
          for (int64_t j = c0; j < c1; ++j) dst[j] += src[j];
        }
      }
    });
  }
}

void lstmCellForward(int64_t H, float* z, float* c, float* h) {
#if defined(VIGIL_X86)
  if (useAvx2()) return avx2::lstmCellForward(H, z, c, h);
#endif
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

// Rows per pool chunk at least: keeps the product's 4-row groups full.
constexpr int64_t kRowGrain = 4;

}  // namespace

void lstmForward(const RecurrentArgs& a, float* cache, float* y, float* hLast, float* cLast) {
  const int64_t B = a.B, T = a.T, H = a.H, G = 4 * H;
  const bool gather = a.tokens != nullptr;
  const bool dropout = a.dropout > 0;
  std::vector<float> wT = transposeWhh(a, G);
  float* cacheG = cache;
  float* cacheC = cache ? cache + B * T * G : nullptr;
  float* cacheH = cache ? cacheC + B * T * H : nullptr;
  // Dense mode: the input projection of every step in one product, into the cache's gate plane
  // when training (the cell then activates it in place) or into scratch.
  std::vector<float> proj;
  float* P = nullptr;
  if (!gather) {
    if (cache) {
      P = cacheG;
    } else {
      proj.resize(B * T * G);
      P = proj.data();
    }
    inputProjection(a, G, P);
  }

  parallelFor(B, kRowGrain, [&](int64_t b0, int64_t b1) {
    const int64_t n = b1 - b0;
    std::vector<float> hs(n * H, 0.0f), cs(n * H, 0.0f), mask, hm, zs;
    std::vector<int64_t> s(n), e(n);
    std::vector<const float*> aptr(n), init(n);
    std::vector<float*> out(n);
    std::vector<int64_t> act(n);
    for (int64_t r = 0; r < n; ++r) {
      const int64_t b = b0 + r;
      validRange(a, b, &s[r], &e[r]);
      if (a.h0) std::memcpy(&hs[r * H], a.h0 + b * H, H * sizeof(float));
      if (a.c0) std::memcpy(&cs[r * H], a.c0 + b * H, H * sizeof(float));
    }
    if (dropout) {
      mask.resize(n * H);
      hm.resize(n * H);
      for (int64_t r = 0; r < n; ++r) dropoutRow(a, b0 + r, &mask[r * H]);
    }
    if (gather && !cache) zs.resize(n * G);

    for (int64_t t = 0; t < T; ++t) {
      int64_t m = 0;
      for (int64_t r = 0; r < n; ++r) {
        const int64_t b = b0 + r, bt = b * T + t;
        if (t < s[r] || t >= e[r]) {
          if (y) std::memset(y + bt * H, 0, H * sizeof(float));
          continue;
        }
        act[m] = r;
        if (dropout) {
          for (int64_t j = 0; j < H; ++j) hm[r * H + j] = hs[r * H + j] * mask[r * H + j];
          aptr[m] = &hm[r * H];
        } else {
          aptr[m] = &hs[r * H];
        }
        init[m] = gather ? a.table + static_cast<int64_t>(a.tokens[bt]) * G : P + bt * G;
        out[m] = cache ? cacheG + bt * G : (gather ? &zs[r * G] : P + bt * G);
        ++m;
      }
      if (m == 0) continue;
      product(m, H, G, aptr.data(), wT.data(), init.data(), out.data());
      for (int64_t q = 0; q < m; ++q) {
        const int64_t r = act[q], bt = (b0 + r) * T + t;
        float* hr = &hs[r * H];
        float* cr = &cs[r * H];
        lstmCellForward(H, out[q], cr, hr);
        if (cache) {
          std::memcpy(cacheC + bt * H, cr, H * sizeof(float));
          std::memcpy(cacheH + bt * H, hr, H * sizeof(float));
        }
        if (y) std::memcpy(y + bt * H, hr, H * sizeof(float));
      }
    }
    if (hLast) std::memcpy(hLast + b0 * H, hs.data(), n * H * sizeof(float));
    if (cLast) std::memcpy(cLast + b0 * H, cs.data(), n * H * sizeof(float));
  });
}

void lstmBackward(const RecurrentArgs& a, const float* cache, const RecurrentGrads& g) {
  const int64_t B = a.B, T = a.T, H = a.H, G = 4 * H;
  const bool dropout = a.dropout > 0;
  const float* cacheG = cache;
  const float* cacheC = cache + B * T * G;
  const float* cacheH = cacheC + B * T * H;
  // Zero at padded steps, so the weight-gradient products over all B*T rows skip them for free.
  std::vector<float> dG(B * T * G, 0.0f);
  const bool needHm = g.dWHh != nullptr;
  std::vector<float> hmPrev(needHm ? B * T * H : 0, 0.0f);
  std::vector<float> zeros(H, 0.0f);

  parallelFor(B, kRowGrain, [&](int64_t b0, int64_t b1) {
    const int64_t n = b1 - b0;
    std::vector<float> dh(n * H, 0.0f), dc(n * H, 0.0f), mask, dhm;
    std::vector<int64_t> s(n), e(n), act(n);
    std::vector<const float*> aptr(n), init(n, nullptr);
    std::vector<float*> out(n);
    for (int64_t r = 0; r < n; ++r) {
      const int64_t b = b0 + r;
      validRange(a, b, &s[r], &e[r]);
      if (g.dHlast) std::memcpy(&dh[r * H], g.dHlast + b * H, H * sizeof(float));
      if (g.dCn) std::memcpy(&dc[r * H], g.dCn + b * H, H * sizeof(float));
    }
    if (dropout) {
      mask.resize(n * H);
      dhm.resize(n * H);
      for (int64_t r = 0; r < n; ++r) dropoutRow(a, b0 + r, &mask[r * H]);
    }
    for (int64_t t = T - 1; t >= 0; --t) {
      int64_t m = 0;
      for (int64_t r = 0; r < n; ++r) {
        if (t < s[r] || t >= e[r]) continue;
        const int64_t b = b0 + r, bt = b * T + t;
        float* dhr = &dh[r * H];
        if (g.dY)
          for (int64_t j = 0; j < H; ++j) dhr[j] += g.dY[bt * H + j];
        const bool first = t == s[r];
        const float* cPrev = first ? (a.c0 ? a.c0 + b * H : zeros.data()) : cacheC + (bt - 1) * H;
        lstmCellBackward(H, cacheG + bt * G, cPrev, cacheC + bt * H, dhr, &dc[r * H], &dG[bt * G]);
        if (needHm) {
          const float* hPrev = first ? (a.h0 ? a.h0 + b * H : zeros.data()) : cacheH + (bt - 1) * H;
          float* dst = &hmPrev[bt * H];
          if (dropout) {
            for (int64_t j = 0; j < H; ++j) dst[j] = hPrev[j] * mask[r * H + j];
          } else {
            std::memcpy(dst, hPrev, H * sizeof(float));
          }
        }
        act[m] = r;
        aptr[m] = &dG[bt * G];
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

  weightGrads(a, G, dG.data(), hmPrev.data(), g);
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
