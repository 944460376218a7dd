// The isolation-forest scoring kernel's work (native/cuda/iforest.cu), shared with its host
// emulation (host_grid.cc). Layout and semantics: cpu/iforest.h.
//
// One thread scores one row through every tree. A block of kRowsPerBlock threads first copies its
// rows into shared memory with consecutive threads reading consecutive floats (phase stage: the
// feature reads of a walk would otherwise be one scattered access per thread per level), waits,
// then walks (phase walk). Rows wider than kMaxStagedCols are walked straight from global memory.
// The forest stays in global memory, where the trees' top levels, read by every thread, stay cached.
//
// The walk and the sum are the CPU's portable walk step for step (sum over trees in tree order,
// in double), so path lengths are the CPU's bits; the score's exp2 is the device's.
#pragma once
#include "cuda/hd.h"

namespace vigil {
namespace cuda {
namespace tile {

constexpr int kRowsPerBlock = 128;
// Staged rows are kRowsPerBlock x (cols | 1) floats: an odd stride puts the rows a warp reads in
// different banks. 95 columns fill 48 KiB, the shared memory a block gets without opting in.
constexpr int64_t kMaxStagedCols = 95;

struct ForestView {
  int64_t trees;
  int height;
  const int32_t* feature;    // [trees, 2^height - 1]
  const float* threshold;    // [trees, 2^height - 1]
  const float* leafValue;    // [trees, 2^height]
};

struct IforestScore {
  ForestView forest;
  const float* x;  // [rows, cols]
  int64_t rows, cols;
  double c;           // c(maxSamples): the path-length normaliser
  float* pathLength;  // [rows] or nullptr
  float* score;       // [rows] or nullptr
};

VIGIL_HD bool iforestStaged(int64_t cols) { return cols <= kMaxStagedCols; }
VIGIL_HD int iforestStride(int64_t cols) { return static_cast<int>(cols | 1); }

// The sum over the trees, in tree order, of the leaf value a row reaches: node i's children are
// 2i + 1 and 2i + 2, and a row goes right iff x[feature] > threshold.
VIGIL_HD double iforestRowSum(const ForestView& f, const float* row) {
  const int64_t inner = (int64_t(1) << f.height) - 1;
  double sum = 0.0;
  for (int64_t t = 0; t < f.trees; ++t) {
    const int32_t* F = f.feature + t * inner;
    const float* T = f.threshold + t * inner;
    int64_t i = 0;
    for (int l = 0; l < f.height; ++l) i = 2 * i + 1 + (row[F[i]] > T[i]);
    sum += static_cast<double>(f.leafValue[t * (inner + 1) + (i - inner)]);
  }
  return sum;
}

// Row r's outputs from its sum: the mean path length, and 2^(-mean / c) (0.5 when c = 0), as
// cpu/iforest.cc writes them.
VIGIL_HD void iforestFinish(const IforestScore& p, int64_t r, double sum) {
  const double mean = sum / static_cast<double>(p.forest.trees);
  if (p.pathLength != nullptr) p.pathLength[r] = static_cast<float>(mean);
  if (p.score != nullptr) p.score[r] = static_cast<float>(p.c > 0.0 ? exp2(-mean / p.c) : 0.5);
}

// Phase stage: this thread's share of the block's rows into staged [kRowsPerBlock][stride].
// Sizes fit in int: at most 128 x 95 elements.
VIGIL_HD void iforestStage(int tid, const IforestScore& p, int64_t r0, float* staged) {
  const int64_t left = p.rows - r0;
  const int n = static_cast<int>(left < kRowsPerBlock ? left : kRowsPerBlock);
  const int cols = static_cast<int>(p.cols), stride = iforestStride(p.cols);
  const float* src = p.x + r0 * p.cols;
  for (int e = tid; e < n * cols; e += kRowsPerBlock) staged[(e / cols) * stride + e % cols] = src[e];
}

// Phase walk: row r0 + tid, from the staged copy (or from x when staged is nullptr).
VIGIL_HD void iforestWalk(int tid, const IforestScore& p, int64_t r0, const float* staged) {
  const int64_t r = r0 + tid;
  if (r >= p.rows) return;
  const float* row = staged != nullptr ? staged + tid * iforestStride(p.cols) : p.x + r * p.cols;
  iforestFinish(p, r, iforestRowSum(p.forest, row));
}

}  // namespace tile
}  // namespace cuda
}  // namespace vigil
