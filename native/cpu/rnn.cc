#include "cpu/rnn.h"

#include <cstring>
#include <memory>
#include <vector>

#include "cpu/threadpool.h"

namespace vigil {

using namespace recurrent;

int64_t rnnCacheSize(int64_t B, int64_t T, int64_t H) { return 2 * B * T * H; }

namespace {
constexpr int64_t kRowGrain = 4;
}

void rnnForward(const RecurrentArgs& a, float* cache, float* y, float* hLast, float*, float* yMax) {
  const int64_t B = a.B, T = a.T, H = a.H;
  const bool gather = a.tokens != nullptr;
  const bool dropout = a.dropout > 0;
  std::vector<float> wT(H * H);
  for (int64_t g = 0; g < H; ++g)
    for (int64_t k = 0; k < H; ++k) wT[k * H + g] = a.wHh[g * H + k];
  std::unique_ptr<float[]> proj;
  float* P = nullptr;
  if (!gather) {
    proj.reset(new float[B * T * H]);
    P = proj.get();
    inputProjection(a, H, P);
  }

  const RowPlan plan = planRows(a, kRowGrain);

  // Chunk c runs rows ids[0..n): row r of the chunk is sequence ids[r].
  auto runRows = [&](const int64_t* ids, int64_t n) {
    std::vector<float> hs(n * H, 0.0f), mask, hm, zs(n * H);
    std::vector<int64_t> s(n), e(n), act(n);
    std::vector<const float*> aptr(n), init(n);
    std::vector<float*> out(n);
    for (int64_t r = 0; r < n; ++r) {
      validRange(a, ids[r], &s[r], &e[r]);
      if (a.h0) std::memcpy(&hs[r * H], a.h0 + ids[r] * H, H * sizeof(float));
      if (yMax) startMax(a, ids[r], yMax);
    }
    if (dropout) {
      mask.resize(n * H);
      hm.resize(n * H);
      for (int64_t r = 0; r < n; ++r) dropoutRow(a, ids[r], &mask[r * H]);
    }
    for (int64_t t = 0; t < T; ++t) {
      int64_t m = 0;
      for (int64_t r = 0; r < n; ++r) {
        const int64_t bt = ids[r] * T + t, tb = t * B + ids[r];
        if (t < s[r] || t >= e[r]) {
          if (y) std::memset(y + bt * H, 0, H * sizeof(float));
          // The backward reads slot t as h_t of the next step's product (recurrentWeightGrad).
          if (cache) std::memcpy(cache + tb * H, &hs[r * H], H * sizeof(float));
          continue;
        }
        act[m] = r;
        if (dropout) {
          for (int64_t j = 0; j < H; ++j) hm[r * H + j] = hs[r * H + j] * mask[r * H + j];
          aptr[m] = &hm[r * H];
        } else {
          aptr[m] = &hs[r * H];
        }
        init[m] = gather ? a.table + static_cast<int64_t>(a.tokens[bt]) * H : P + tb * H;
        // The product cannot write h_t over h_{t-1} (its input): go through zs.
        out[m] = &zs[r * H];
        ++m;
      }
      if (m == 0) continue;
      product(m, H, H, aptr.data(), wT.data(), init.data(), out.data());
      for (int64_t q = 0; q < m; ++q) {
        const int64_t r = act[q], bt = ids[r] * T + t, tb = t * B + ids[r];
        tanhInPlace(H, out[q]);
        std::memcpy(&hs[r * H], out[q], H * sizeof(float));
        if (cache) std::memcpy(cache + tb * H, out[q], H * sizeof(float));
        if (y) std::memcpy(y + bt * H, out[q], H * sizeof(float));
        if (yMax) maxInto(H, out[q], yMax + ids[r] * H);
      }
    }
    if (hLast)
      for (int64_t r = 0; r < n; ++r) std::memcpy(hLast + ids[r] * H, &hs[r * H], H * sizeof(float));
  };
  parallelFor(plan.chunks(), 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) runRows(plan.order.data() + plan.bounds[c], plan.bounds[c + 1] - plan.bounds[c]);
  });
}

void rnnBackward(const RecurrentArgs& a, float* cache, const RecurrentGrads& g) {
  const int64_t B = a.B, T = a.T, H = a.H;
  const bool dropout = a.dropout > 0;
  // The cache is consumed in place (no per-call B*T-row buffers: fresh pages cost more than the
  // math): the dz plane receives the pre-activation gradients, and with dropout each h slot is
  // masked once its own step has read it, leaving hm_t for recurrentWeightGrad.
  float* hPlane = cache;
  float* dG = cache + B * T * H;
  const bool needHm = g.dWHh != nullptr;
  const bool maskInPlace = needHm && dropout;

  parallelFor(B, kRowGrain, [&](int64_t b0, int64_t b1) {
    const int64_t n = b1 - b0;
    std::vector<float> dh(n * H, 0.0f), mask, dhm;
    std::vector<int64_t> s(n), e(n), act(n);
    std::vector<const float*> aptr(n), init(n, nullptr);
    std::vector<float*> out(n);
    for (int64_t r = 0; r < n; ++r) {
      validRange(a, b0 + r, &s[r], &e[r]);
      zeroPaddedRows(a, b0 + r, s[r], e[r], H, dG);
      if (g.dHlast) std::memcpy(&dh[r * H], g.dHlast + (b0 + r) * H, H * sizeof(float));
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
        const int64_t b = b0 + r, bt = b * T + t, tb = t * B + b;
        float* dhr = &dh[r * H];
        float* h = hPlane + tb * H;
        float* dz = dG + tb * H;
        for (int64_t j = 0; j < H; ++j) {
          float d = dhr[j] + (g.dY ? g.dY[bt * H + j] : 0.0f);
          dz[j] = d * (1.0f - h[j] * h[j]);
        }
        if (maskInPlace) {
          for (int64_t j = 0; j < H; ++j) h[j] *= mask[r * H + j];
          // A padded slot before the first valid step carries h0: no step of its own masks it.
          if (t == s[r] && t > 0)
            for (int64_t j = 0; j < H; ++j) h[j - B * H] *= mask[r * H + j];
        }
        act[m] = r;
        aptr[m] = dz;
        out[m] = dropout ? &dhm[r * H] : dhr;
        ++m;
      }
      if (m == 0) continue;
      product(m, H, H, aptr.data(), a.wHh, init.data(), out.data());
      if (dropout) {
        for (int64_t q = 0; q < m; ++q) {
          const int64_t r = act[q];
          for (int64_t j = 0; j < H; ++j) dh[r * H + j] = dhm[r * H + j] * mask[r * H + j];
        }
      }
    }
    if (g.dh0) std::memcpy(g.dh0 + b0 * H, dh.data(), n * H * sizeof(float));
  });

  if (needHm) recurrentWeightGrad(a, H, dG, hPlane, g.dWHh);
  weightGrads(a, H, dG, g);
}

}  // namespace vigil
