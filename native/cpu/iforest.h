// Isolation forest (Liu, Ting & Zhou, ICDM 2008) with scikit-learn's IsolationForest semantics:
// training on seeded subsamples and exact sklearn scores.
//
// Forest layout: every tree is stored as a perfect binary tree of depth `height` (the height
// limit), implicitly indexed: node i's children are 2i+1 and 2i+2, so no child pointers exist and
// a walk always takes exactly `height` steps, without a branch on node kind. Per tree:
//   feature   [2^height - 1]  int32, the split feature (an index into the row)
//   threshold [2^height - 1]  float32, a row goes left iff x[feature] <= threshold
//   leafValue [2^height]      float32, the path length of the leaf: depth + c(leaf size)
// A leaf reached above the height limit becomes a pass-through chain (feature 0, threshold
// FLT_MAX: every finite value goes left) down to the bottom level, whose slots in the leaf's range
// all hold the leaf's value. The forest is the trees' arrays back to back (structure of arrays).
//
// Extended isolation forest (Hariri, Kind & Brunner, IEEE TKDE 2021 / arXiv 2018): a node splits on
// a random hyperplane instead of one feature. With k = extensionLevel + 1 non-zero components per
// normal, node i of a tree also owns slice [i k, (i + 1) k) of two more arrays per tree:
//   normalFeature [(2^height - 1) k]  int32, the features of the normal's non-zero components
//   normal        [(2^height - 1) k]  float32, those components
// and threshold[i] holds the offset b = p . n (p: the intercept point); a row goes left iff
// sum_j normal[j] * x[normalFeature[j]] <= b, the sum taken in double in slice order (float32
// products are exact in double, so the sum's bits do not depend on FMA contraction). feature[i] is
// unused (0). Pass-through nodes have a zero normal (0 <= FLT_MAX: left). extensionLevel 0 is the
// axis-parallel forest, grown and scored by the plain path: the extra arrays exist only for k >= 2.
#pragma once
#include <cstdint>

namespace vigil {

// scikit-learn's max_depth for max_samples rows: ceil(log2(max(maxSamples, 2))).
int iforestHeight(int64_t maxSamples);

// c(n), the average path length of an unsuccessful search in a binary search tree of n keys:
// 2 (ln(n - 1) + Euler's gamma) - 2 (n - 1) / n, with c(0) = c(1) = 0 and c(2) = 1 (sklearn).
double iforestAveragePathLength(int64_t n);

// Grows trees firstTree .. firstTree + trees - 1 of a forest on x [rows, cols]. Tree t draws from
// Philox stream t of `seed` only, so the forest depends on neither the thread count nor the order
// (or the calls) the trees are built in. Per tree: a subset
// of maxFeatures features when maxFeatures < cols (without replacement), then maxSamples rows
// (without replacement, or with replacement when bootstrap: duplicates count once, as sklearn's
// sample weights do); at each node, a feature drawn uniformly among those not constant on the
// node's rows and a threshold drawn uniformly in [min, max) of it. feature/threshold get
// trees * (2^h - 1) values, leafValue trees * 2^h, h = iforestHeight(maxSamples).
// Requires 1 <= maxSamples <= rows, 1 <= maxFeatures <= cols.
//
// extensionLevel > 0 grows an extended forest (normalFeature and normal get trees * (2^h - 1) * k
// values, k = extensionLevel + 1 <= maxFeatures; nullptr otherwise). Per node, after the same
// row and feature subsets: a leaf when every feature of the tree is constant on the node's rows
// (as the axis-parallel rule), else k distinct features of the tree's subset drawn without
// replacement (stored in increasing order), their components ~ N(0, 1) (Box-Muller, rounded to
// float32), the intercept uniform in [min, max] of each of those features on the node's rows, and
// the offset p . n rounded to float32; the node's rows are partitioned with the stored values,
// exactly as scoring will. A side may get no rows: it is a leaf of size 0 (path length = depth).
void iforestFit(const float* x, int64_t rows, int64_t cols, int64_t firstTree, int64_t trees, int64_t maxSamples,
                int64_t maxFeatures, bool bootstrap, uint64_t seed, int32_t* feature, float* threshold, float* leafValue,
                int64_t extensionLevel = 0, int32_t* normalFeature = nullptr, float* normal = nullptr);

// Scores x [rows, cols] with a forest in the layout above (every feature < cols). pathLength[r]
// = E[h(x_r)], the mean over the trees of the leaf's path length; score[r] = 2^(-E[h]/c(maxSamples))
// (0.5 when c = 0), the paper's anomaly score, which is -sklearn's score_samples. Either output may
// be nullptr. Rows are split over the threads and each row sums its trees in order: the results
// are bit-identical for any thread count and on every SIMD path.
// extensionLevel > 0: an extended forest (normalFeature, normal as above; every normalFeature < cols).
void iforestScore(const float* x, int64_t rows, int64_t cols, int64_t trees, int height, const int32_t* feature,
                  const float* threshold, const float* leafValue, int64_t maxSamples, float* pathLength, float* score,
                  int64_t extensionLevel = 0, const int32_t* normalFeature = nullptr, const float* normal = nullptr);

namespace iforest {
// Rows walked together through each tree: their inputs stay in L1 while the trees stream from L2.
constexpr int64_t kBlock = 64;

struct Forest {
  int64_t trees;
  int height;
  const int32_t* feature;
  const float* threshold;
  const float* leafValue;
  // Hyperplane splits: k = extensionLevel + 1 components per node, 0 for an axis-parallel forest.
  int64_t k = 0;
  const int32_t* normalFeature = nullptr;
  const float* normal = nullptr;
  int64_t inner() const { return (int64_t(1) << height) - 1; }
};

// sum[r] = the sum over the trees, in tree order, of row r's leaf value; rows <= kBlock.
void scoreRows(const Forest& f, const float* x, int64_t rows, int64_t cols, double* sum);
void scoreRowsPortable(const Forest& f, const float* x, int64_t rows, int64_t cols, double* sum);
// The hyperplane walk (f.k > 0); scoreRows dispatches to it.
void scoreRowsExtended(const Forest& f, const float* x, int64_t rows, int64_t cols, double* sum);
}  // namespace iforest

#if defined(VIGIL_X86)
namespace avx512 {
// Whether the gather path applies (32-bit offsets within a block); the same bits as the portable path.
bool iforestCanScore(int64_t cols);
void iforestScoreRows(const iforest::Forest& f, const float* x, int64_t rows, int64_t cols, double* sum);
}  // namespace avx512
#endif

}  // namespace vigil
