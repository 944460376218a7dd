#include "cpu/iforest.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <vector>

#include "cpu/cpu_features.h"
#include "cpu/philox.h"
#include "cpu/threadpool.h"

namespace vigil {
namespace {

// One tree's random numbers, drawn in sequence from Philox stream (seed, tree): draw i of the tree
// is word i & 3 of block i >> 2, as philoxUniform reads them, and each block is computed once.
class Draws {
 public:
  Draws(uint64_t seed, uint64_t stream) : seed_(seed), stream_(stream) {}

  uint32_t next() {
    if ((count_ & 3) == 0) {
      const uint64_t b = count_ >> 2;
      block_ = philox4x32(static_cast<uint32_t>(b), static_cast<uint32_t>(b >> 32), static_cast<uint32_t>(stream_),
                          static_cast<uint32_t>(stream_ >> 32), static_cast<uint32_t>(seed_),
                          static_cast<uint32_t>(seed_ >> 32));
    }
    return block_.v[count_++ & 3];
  }

  // Uniform in [0, n), n >= 1, exactly: draws under the next power-of-two mask, rejecting the
  // values >= n (fewer than two tries on average).
  uint64_t below(uint64_t n) {
    if (n <= 1) return 0;
    uint64_t mask = n - 1;
    mask |= mask >> 1, mask |= mask >> 2, mask |= mask >> 4, mask |= mask >> 8, mask |= mask >> 16, mask |= mask >> 32;
    for (;;) {
      uint64_t v = next();
      if (mask > 0xFFFFFFFFull) v |= static_cast<uint64_t>(next()) << 32;
      v &= mask;
      if (v < n) return v;
    }
  }

  // Uniform double in [0, 1) with 53 random bits.
  double uniform() {
    const uint64_t hi = next() >> 5, lo = next() >> 6;  // 27 + 26 bits
    return static_cast<double>((hi << 26) | lo) * (1.0 / 9007199254740992.0);
  }

  // N(0, 1) by Box-Muller (the cosine half only: one normal per two uniforms keeps the draw count
  // per node fixed). 1 - u is in (0, 1], so the logarithm is finite.
  double normal() {
    const double u = uniform(), v = uniform();
    return std::sqrt(-2.0 * std::log(1.0 - u)) * std::cos(6.283185307179586476925 * v);
  }

 private:
  uint64_t seed_, stream_;
  uint64_t count_ = 0;
  Philox4 block_{};
};

// The largest float <= t: a float32 x satisfies x <= t exactly when x <= floorToFloat(t), so a
// threshold drawn in double keeps its partition when stored as float32.
float floorToFloat(double t) {
  float f = static_cast<float>(t);
  if (static_cast<double>(f) > t) f = std::nextafter(f, -FLT_MAX);
  return f;
}

// k distinct row indices of [0, n) uniformly (Floyd's algorithm: O(k) draws and memory, whatever n).
void sampleWithoutReplacement(Draws& rng, int64_t n, int64_t k, std::vector<int64_t>& out,
                              std::vector<int64_t>& table) {
  out.clear();
  if (k == n) {
    for (int64_t i = 0; i < n; ++i) out.push_back(i);
    return;
  }
  size_t cap = 16;
  int bits = 4;
  while (cap < static_cast<size_t>(2 * k)) cap <<= 1, ++bits;
  table.assign(cap, -1);
  const size_t mask = cap - 1;
  // Inserts v unless present; returns whether it was inserted.
  auto insert = [&](int64_t v) {
    size_t h = static_cast<size_t>(static_cast<uint64_t>(v) * 0x9E3779B97F4A7C15ull >> (64 - bits));
    while (table[h] != -1) {
      if (table[h] == v) return false;
      h = (h + 1) & mask;
    }
    table[h] = v;
    return true;
  };
  for (int64_t j = n - k; j < n; ++j) {
    const int64_t t = static_cast<int64_t>(rng.below(static_cast<uint64_t>(j) + 1));
    const int64_t v = insert(t) ? t : j;
    if (v == j) insert(j);
    out.push_back(v);
  }
}

// k draws with replacement; the distinct rows, sorted. scikit-learn turns the draws into sample
// weights and its trees only see the rows of non-zero weight, each once: leaf sizes count rows.
void sampleWithReplacement(Draws& rng, int64_t n, int64_t k, std::vector<int64_t>& out) {
  out.resize(static_cast<size_t>(k));
  for (int64_t i = 0; i < k; ++i) out[i] = static_cast<int64_t>(rng.below(static_cast<uint64_t>(n)));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
}

// scikit-learn's splitter calls a feature constant on a node when max <= min + 1e-7 in float32.
bool isConstant(float lo, float hi) { return hi <= lo + 1e-7f; }

struct Frame {
  int64_t pos;
  int depth;
  int32_t begin, end;
};

// Per-thread scratch, reused over the trees of a chunk.
struct Scratch {
  std::vector<int64_t> rows, table;
  std::vector<int32_t> features, candidates, samples, picked;
  std::vector<double> projection;  // an extended node's rows projected on its normal
  std::vector<float> columns;  // [features][samples]: the subsample, one column per feature
  std::vector<Frame> stack;
};

class TreeBuilder {
 public:
  TreeBuilder(int height, int32_t* feature, float* threshold, float* leafValue, int64_t k = 0, int32_t* normalFeature = nullptr,
              float* normal = nullptr)
      : h_(height), inner_((int64_t(1) << height) - 1), feature_(feature), threshold_(threshold), leaf_(leafValue), k_(k),
        normalFeature_(normalFeature), normal_(normal) {}

  void build(const float* x, int64_t rows, int64_t cols, int64_t maxSamples, int64_t maxFeatures, bool bootstrap,
             Draws& rng, Scratch& s) {
    // Features of this tree: all of them in order, or maxFeatures drawn without replacement.
    s.features.resize(static_cast<size_t>(cols));
    for (int64_t j = 0; j < cols; ++j) s.features[j] = static_cast<int32_t>(j);
    if (maxFeatures < cols) {
      for (int64_t j = 0; j < maxFeatures; ++j)
        std::swap(s.features[j], s.features[j + static_cast<int64_t>(rng.below(static_cast<uint64_t>(cols - j)))]);
      s.features.resize(static_cast<size_t>(maxFeatures));
    }
    const int64_t m = static_cast<int64_t>(s.features.size());
    if (bootstrap) sampleWithReplacement(rng, rows, maxSamples, s.rows);
    else sampleWithoutReplacement(rng, rows, maxSamples, s.rows, s.table);
    const int64_t k = static_cast<int64_t>(s.rows.size());
    s.columns.resize(static_cast<size_t>(m * k));
    for (int64_t i = 0; i < k; ++i) {
      const float* row = x + s.rows[i] * cols;
      for (int64_t j = 0; j < m; ++j) s.columns[j * k + i] = row[s.features[j]];
    }
    s.samples.resize(static_cast<size_t>(k));
    for (int64_t i = 0; i < k; ++i) s.samples[i] = static_cast<int32_t>(i);
    s.candidates.resize(static_cast<size_t>(m));
    for (int64_t j = 0; j < m; ++j) s.candidates[j] = static_cast<int32_t>(j);

    s.stack.clear();
    s.stack.push_back({0, 0, 0, static_cast<int32_t>(k)});
    while (!s.stack.empty()) {
      const Frame f = s.stack.back();
      s.stack.pop_back();
      const int32_t n = f.end - f.begin;
      if (f.depth >= h_ || n <= 1) {
        leaf(f.pos, f.depth, n);
        continue;
      }
      int32_t* idx = s.samples.data();
      if (k_ > 0) {
        hyperplane(f, m, k, rng, s);
        continue;
      }
      // Draw features without replacement until one varies on the node's rows; any permutation of
      // the candidates serves, so the swaps of earlier nodes need no undoing.
      int32_t chosen = -1;
      float lo = 0, hi = 0;
      for (int64_t left = m; left > 0 && chosen < 0; --left) {
        const int64_t j = static_cast<int64_t>(rng.below(static_cast<uint64_t>(left)));
        const int32_t c = s.candidates[j];
        std::swap(s.candidates[j], s.candidates[left - 1]);
        const float* col = s.columns.data() + c * k;
        lo = hi = col[idx[f.begin]];
        for (int32_t i = f.begin + 1; i < f.end; ++i) {
          const float v = col[idx[i]];
          lo = std::min(lo, v);
          hi = std::max(hi, v);
        }
        if (!isConstant(lo, hi)) chosen = c;
      }
      if (chosen < 0) {  // every feature is constant here: the rows cannot be told apart
        leaf(f.pos, f.depth, n);
        continue;
      }
      // Uniform in [lo, hi) as sklearn draws it (in double, hi mapped back to lo).
      double t = static_cast<double>(lo) + (static_cast<double>(hi) - static_cast<double>(lo)) * rng.uniform();
      if (t >= static_cast<double>(hi)) t = lo;
      const float thr = floorToFloat(t);
      const float* col = s.columns.data() + chosen * k;
      int32_t mid = f.begin;
      for (int32_t i = f.begin; i < f.end; ++i) {
        if (col[idx[i]] <= thr) std::swap(idx[i], idx[mid++]);
      }
      feature_[f.pos] = s.features[chosen];
      threshold_[f.pos] = thr;
      // Right pushed first: the left subtree is built (and draws) first.
      s.stack.push_back({2 * f.pos + 2, f.depth + 1, mid, f.end});
      s.stack.push_back({2 * f.pos + 1, f.depth + 1, f.begin, mid});
    }
  }

 private:
  // An extended node (k_ > 0): a random hyperplane through a random point of the node's bounding box.
  void hyperplane(const Frame& f, int64_t m, int64_t stride, Draws& rng, Scratch& s) {
    int32_t* idx = s.samples.data();
    const int32_t n = f.end - f.begin;
    // The axis-parallel rule for rows that cannot be told apart: a leaf when every feature is constant.
    bool varies = false;
    for (int64_t c = 0; c < m && !varies; ++c) {
      const float* col = s.columns.data() + c * stride;
      float lo = col[idx[f.begin]], hi = lo;
      for (int32_t i = f.begin + 1; i < f.end; ++i) {
        lo = std::min(lo, col[idx[i]]);
        hi = std::max(hi, col[idx[i]]);
      }
      varies = !isConstant(lo, hi);
    }
    if (!varies) {
      leaf(f.pos, f.depth, n);
      return;
    }
    // k_ distinct features of the tree's m (a partial Fisher-Yates shuffle of any permutation),
    // in increasing feature order so that a walk reads the row forwards.
    for (int64_t j = 0; j < k_; ++j)
      std::swap(s.candidates[j], s.candidates[j + static_cast<int64_t>(rng.below(static_cast<uint64_t>(m - j)))]);
    s.picked.assign(s.candidates.begin(), s.candidates.begin() + k_);
    std::sort(s.picked.begin(), s.picked.end(), [&](int32_t a, int32_t b) { return s.features[a] < s.features[b]; });
    int32_t* nf = normalFeature_ + f.pos * k_;
    float* nv = normal_ + f.pos * k_;
    for (int64_t j = 0; j < k_; ++j) {
      nf[j] = s.features[s.picked[j]];
      nv[j] = static_cast<float>(rng.normal());
    }
    // The intercept p, uniform in the node's range of each picked feature; only p . n is kept.
    double offset = 0.0;
    for (int64_t j = 0; j < k_; ++j) {
      const float* col = s.columns.data() + s.picked[j] * stride;
      float lo = col[idx[f.begin]], hi = lo;
      for (int32_t i = f.begin + 1; i < f.end; ++i) {
        lo = std::min(lo, col[idx[i]]);
        hi = std::max(hi, col[idx[i]]);
      }
      const double p = static_cast<double>(lo) + (static_cast<double>(hi) - static_cast<double>(lo)) * rng.uniform();
      offset += static_cast<double>(nv[j]) * p;
    }
    // Stored as float32 (clamped, so that the layout stays finite), and the rows partitioned with
    // the stored values and the walk's sum order: the leaf sizes are those scoring will see.
    const float b = static_cast<float>(std::min<double>(std::max<double>(offset, -FLT_MAX), FLT_MAX));
    s.projection.resize(static_cast<size_t>(n));
    for (int32_t i = 0; i < n; ++i) {
      double v = 0.0;
      for (int64_t j = 0; j < k_; ++j) v += static_cast<double>(nv[j]) * static_cast<double>(s.columns[s.picked[j] * stride + idx[f.begin + i]]);
      s.projection[i] = v;
    }
    int32_t mid = f.begin;
    for (int32_t i = f.begin; i < f.end; ++i) {
      if (s.projection[i - f.begin] <= static_cast<double>(b)) {
        std::swap(idx[i], idx[mid]);
        std::swap(s.projection[i - f.begin], s.projection[mid - f.begin]);
        ++mid;
      }
    }
    feature_[f.pos] = 0;
    threshold_[f.pos] = b;
    // Either side may be empty: a leaf of size 0 then (n <= 1).
    s.stack.push_back({2 * f.pos + 2, f.depth + 1, mid, f.end});
    s.stack.push_back({2 * f.pos + 1, f.depth + 1, f.begin, mid});
  }

  // A leaf at `pos` (depth `depth`) holding n rows: pass-through nodes below it, its path length
  // in every bottom slot of its subtree.
  void leaf(int64_t pos, int depth, int64_t n) {
    const float value = static_cast<float>(depth + iforestAveragePathLength(n));
    const int64_t rank = pos - ((int64_t(1) << depth) - 1);  // position within its level
    for (int l = depth; l < h_; ++l) {
      const int64_t first = ((int64_t(1) << l) - 1) + (rank << (l - depth)), count = int64_t(1) << (l - depth);
      std::fill(feature_ + first, feature_ + first + count, 0);
      std::fill(threshold_ + first, threshold_ + first + count, FLT_MAX);
      if (k_ > 0) {  // a zero normal: 0 <= FLT_MAX, left, as the axis-parallel pass-through
        std::fill(normalFeature_ + first * k_, normalFeature_ + (first + count) * k_, 0);
        std::fill(normal_ + first * k_, normal_ + (first + count) * k_, 0.0f);
      }
    }
    const int64_t first = rank << (h_ - depth), count = int64_t(1) << (h_ - depth);
    std::fill(leaf_ + first, leaf_ + first + count, value);
  }

  int h_;
  int64_t inner_;
  int32_t* feature_;
  float* threshold_;
  float* leaf_;
  int64_t k_;
  int32_t* normalFeature_;
  float* normal_;
};

}  // namespace

int iforestHeight(int64_t maxSamples) {
  int h = 1;
  while ((int64_t(1) << h) < maxSamples) ++h;
  return h;
}

double iforestAveragePathLength(int64_t n) {
  if (n <= 1) return 0.0;
  if (n == 2) return 1.0;
  const double d = static_cast<double>(n);
  return 2.0 * (std::log(d - 1.0) + 0.57721566490153286061) - 2.0 * (d - 1.0) / d;
}

void iforestFit(const float* x, int64_t rows, int64_t cols, int64_t firstTree, int64_t trees, int64_t maxSamples,
                int64_t maxFeatures, bool bootstrap, uint64_t seed, int32_t* feature, float* threshold, float* leafValue,
                int64_t extensionLevel, int32_t* normalFeature, float* normal) {
  const int h = iforestHeight(maxSamples);
  const int64_t inner = (int64_t(1) << h) - 1;
  const int64_t k = extensionLevel > 0 ? extensionLevel + 1 : 0;
  parallelFor(trees, 1, [&](int64_t b, int64_t e) {
    Scratch s;
    for (int64_t t = b; t < e; ++t) {
      Draws rng(seed, static_cast<uint64_t>(firstTree + t));
      TreeBuilder(h, feature + t * inner, threshold + t * inner, leafValue + t * (inner + 1), k,
                  k > 0 ? normalFeature + t * inner * k : nullptr, k > 0 ? normal + t * inner * k : nullptr)
          .build(x, rows, cols, maxSamples, maxFeatures, bootstrap, rng, s);
    }
  });
}

namespace iforest {

void scoreRowsPortable(const Forest& f, const float* x, int64_t rows, int64_t cols, double* sum) {
  const int64_t inner = f.inner();
  int64_t node[kBlock];
  for (int64_t r = 0; r < rows; ++r) sum[r] = 0.0;
  for (int64_t t = 0; t < f.trees; ++t) {
    const int32_t* F = f.feature + t * inner;
    const float* T = f.threshold + t * inner;
    const float* L = f.leafValue + t * (inner + 1);
    // Level by level over the block: the rows' walks are independent chains of loads, which the
    // processor overlaps.
    const float* rootX = x + F[0];
    for (int64_t r = 0; r < rows; ++r) node[r] = 1 + (rootX[r * cols] > T[0]);
    for (int l = 1; l < f.height; ++l) {
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t i = node[r];
        node[r] = 2 * i + 1 + (x[r * cols + F[i]] > T[i]);
      }
    }
    for (int64_t r = 0; r < rows; ++r) sum[r] += static_cast<double>(L[node[r] - inner]);
  }
}

void scoreRowsExtended(const Forest& f, const float* x, int64_t rows, int64_t cols, double* sum) {
  const int64_t inner = f.inner(), k = f.k;
  int64_t node[kBlock];
  for (int64_t r = 0; r < rows; ++r) sum[r] = 0.0;
  for (int64_t t = 0; t < f.trees; ++t) {
    const int32_t* NF = f.normalFeature + t * inner * k;
    const float* NV = f.normal + t * inner * k;
    const float* T = f.threshold + t * inner;
    const float* L = f.leafValue + t * (inner + 1);
    for (int64_t r = 0; r < rows; ++r) node[r] = 0;
    // Each row's sum is one chain of k dependent additions: four rows at a time give the processor
    // four independent chains. Every row still adds its terms in slice order, exact products in
    // double: the training's sum, term for term.
    for (int l = 0; l < f.height; ++l) {
      int64_t r = 0;
      for (; r + 4 <= rows; r += 4) {
        const int64_t i0 = node[r], i1 = node[r + 1], i2 = node[r + 2], i3 = node[r + 3];
        const int32_t *f0 = NF + i0 * k, *f1 = NF + i1 * k, *f2 = NF + i2 * k, *f3 = NF + i3 * k;
        const float *n0 = NV + i0 * k, *n1 = NV + i1 * k, *n2 = NV + i2 * k, *n3 = NV + i3 * k;
        const float *x0 = x + r * cols, *x1 = x0 + cols, *x2 = x1 + cols, *x3 = x2 + cols;
        double v0 = 0.0, v1 = 0.0, v2 = 0.0, v3 = 0.0;
        for (int64_t j = 0; j < k; ++j) {
          v0 += static_cast<double>(n0[j]) * static_cast<double>(x0[f0[j]]);
          v1 += static_cast<double>(n1[j]) * static_cast<double>(x1[f1[j]]);
          v2 += static_cast<double>(n2[j]) * static_cast<double>(x2[f2[j]]);
          v3 += static_cast<double>(n3[j]) * static_cast<double>(x3[f3[j]]);
        }
        node[r] = 2 * i0 + 1 + (v0 > static_cast<double>(T[i0]));
        node[r + 1] = 2 * i1 + 1 + (v1 > static_cast<double>(T[i1]));
        node[r + 2] = 2 * i2 + 1 + (v2 > static_cast<double>(T[i2]));
        node[r + 3] = 2 * i3 + 1 + (v3 > static_cast<double>(T[i3]));
      }
      for (; r < rows; ++r) {
        const int64_t i = node[r];
        const int32_t* nf = NF + i * k;
        const float* nv = NV + i * k;
        const float* row = x + r * cols;
        double v = 0.0;
        for (int64_t j = 0; j < k; ++j) v += static_cast<double>(nv[j]) * static_cast<double>(row[nf[j]]);
        node[r] = 2 * i + 1 + (v > static_cast<double>(T[i]));
      }
    }
    for (int64_t r = 0; r < rows; ++r) sum[r] += static_cast<double>(L[node[r] - inner]);
  }
}

void scoreRows(const Forest& f, const float* x, int64_t rows, int64_t cols, double* sum) {
  if (f.k > 0) return scoreRowsExtended(f, x, rows, cols, sum);
#if defined(VIGIL_X86)
  if (useAvx512() && avx512::iforestCanScore(cols)) return avx512::iforestScoreRows(f, x, rows, cols, sum);
#endif
  scoreRowsPortable(f, x, rows, cols, sum);
}

}  // namespace iforest

void iforestScore(const float* x, int64_t rows, int64_t cols, int64_t trees, int height, const int32_t* feature,
                  const float* threshold, const float* leafValue, int64_t maxSamples, float* pathLength, float* score,
                  int64_t extensionLevel, const int32_t* normalFeature, const float* normal) {
  const int64_t k = extensionLevel > 0 ? extensionLevel + 1 : 0;
  const iforest::Forest f{trees, height, feature, threshold, leafValue, k, normalFeature, normal};
  const double c = iforestAveragePathLength(maxSamples);
  // A chunk's work is rows x trees x height steps (x k terms each when extended): small batches
  // stay on the calling thread.
  const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(1, trees * height * std::max<int64_t>(1, k)));
  parallelFor(rows, grain, [&](int64_t b, int64_t e) {
    double sum[iforest::kBlock];
    for (int64_t r0 = b; r0 < e; r0 += iforest::kBlock) {
      const int64_t n = std::min<int64_t>(iforest::kBlock, e - r0);
      iforest::scoreRows(f, x + r0 * cols, n, cols, sum);
      for (int64_t r = 0; r < n; ++r) {
        const double mean = sum[r] / static_cast<double>(trees);
        if (pathLength != nullptr) pathLength[r0 + r] = static_cast<float>(mean);
        // sklearn: 2^(-E[h]/c), and 2^-1 when c = 0 (a forest grown on one row).
        if (score != nullptr) score[r0 + r] = static_cast<float>(c > 0.0 ? std::exp2(-mean / c) : 0.5);
      }
    }
  });
}

}  // namespace vigil
