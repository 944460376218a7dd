// The training-step kernels' grids (activation, loss, dense, embedding, dropout, optimizer and
// clip .cu) as plain host loops, compiled into every build, as host_grid.cc does for the others:
// element grids are a loop over the index calling the same VIGIL_HD function the kernel's thread
// calls; the reductions run their phases for all threads of a block before the next phase. The
// scalars a kernel gets from the host (keep threshold, optimizer step scalars) come from the same
// cpu/ functions the .cu files call.
#include <algorithm>
#include <vector>

#include "cpu/dropout.h"
#include "cpu/optimizer.h"
#include "cuda/activation.h"
#include "cuda/activation_elem.h"
#include "cuda/clip.h"
#include "cuda/clip_elem.h"
#include "cuda/dense.h"
#include "cuda/dense_elem.h"
#include "cuda/dropout.h"
#include "cuda/dropout_elem.h"
#include "cuda/embedding.h"
#include "cuda/embedding_elem.h"
#include "cuda/gemm.h"
#include "cuda/loss.h"
#include "cuda/loss_elem.h"
#include "cuda/optimizer.h"
#include "cuda/optimizer_elem.h"

namespace vigil {
namespace cuda {
namespace host {

namespace {

// launch.cuh's eachKernel: blocks of 256 threads, every thread with an index below n.
template <class F>
void each(int64_t n, F&& f) {
  for (int64_t b0 = 0; b0 < n; b0 += 256)
    for (int64_t i = b0; i < b0 + 256 && i < n; ++i) f(i);
}

// One block of kReduceThreads threads: partial(tid) for every thread, then the tree, then part[0].
template <int kReduceThreads, class Partial, class Step>
double blockSum(Partial partial, Step step) {
  std::vector<double> part(kReduceThreads);
  for (int t = 0; t < kReduceThreads; ++t) part[t] = partial(t);
  for (int stride = kReduceThreads / 2; stride > 0; stride /= 2)
    for (int t = 0; t < kReduceThreads; ++t) step(t, stride, part.data());
  return part[0];
}

}  // namespace

void activationForward(Activation kind, int64_t n, const float* x, float* y) {
  each(n, [&](int64_t i) { act::forwardElement(i, kind, x, y); });
}
void activationBackward(Activation kind, int64_t n, const float* y, const float* dY, float* dX) {
  each(n, [&](int64_t i) { act::backwardElement(i, kind, y, dY, dX); });
}
void softmaxForward(int64_t N, int64_t C, const float* x, float* y) {
  each(N, [&](int64_t r) { act::softmaxRow(r, C, x, y); });
}
void softmaxBackward(int64_t N, int64_t C, const float* y, const float* dY, float* dX) {
  each(N, [&](int64_t r) { act::softmaxBackwardRow(r, C, y, dY, dX); });
}

namespace {
double lossOf(lossk::Kind kind, int64_t N, int64_t C, const float* z, const float* t, const int32_t* labels,
              const float* w, float* grad) {
  std::vector<double> weighted(N);
  const lossk::Rows p{kind, N, C, z, t, labels, w, grad, weighted.data()};
  each(N, [&](int64_t i) { lossk::rowElement(i, p); });
  const double total = blockSum<lossk::kReduceThreads>([&](int t) { return lossk::sumPartial(t, N, weighted.data()); },
                                                      [](int t, int stride, double* part) { lossk::reduceStep(t, stride, part); });
  double out = 0.0;
  lossk::sumStore(0, N, &total, &out);
  return out;
}
}  // namespace

double binaryCrossentropyLogits(int64_t N, int64_t C, const float* z, const float* y, const float* w, float* grad) {
  return lossOf(lossk::Kind::BinaryCrossentropy, N, C, z, y, nullptr, w, grad);
}
double sparseCategoricalCrossentropyLogits(int64_t N, int64_t C, const float* z, const int32_t* labels, const float* w,
                                           float* grad) {
  return lossOf(lossk::Kind::SparseCategoricalCrossentropy, N, C, z, nullptr, labels, w, grad);
}
double categoricalCrossentropyLogits(int64_t N, int64_t C, const float* z, const float* t, const float* w, float* grad) {
  return lossOf(lossk::Kind::CategoricalCrossentropy, N, C, z, t, nullptr, w, grad);
}
double meanSquaredError(int64_t N, int64_t C, const float* p, const float* t, const float* w, float* grad) {
  return lossOf(lossk::Kind::MeanSquared, N, C, p, t, nullptr, w, grad);
}
double meanAbsoluteError(int64_t N, int64_t C, const float* p, const float* t, const float* w, float* grad) {
  return lossOf(lossk::Kind::MeanAbsolute, N, C, p, t, nullptr, w, grad);
}

void denseForward(int64_t N, int64_t in, int64_t out, const float* x, const float* W, const float* b, float* y) {
  sgemm(false, true, N, out, in, 1.0f, x, in, W, in, 0.0f, y, out);
  if (b != nullptr) each(N * out, [&](int64_t e) { densek::biasAddElement(e, out, b, y); });
}

void denseBackward(int64_t N, int64_t in, int64_t out, const float* x, const float* W, const float* dY, float* dX,
                   float* dW, float* db) {
  if (dX != nullptr) sgemm(false, false, N, in, out, 1.0f, dY, out, W, in, 0.0f, dX, in);
  if (dW != nullptr) sgemm(true, false, out, in, N, 1.0f, dY, out, x, in, 0.0f, dW, in);
  if (db != nullptr) each(out, [&](int64_t c) { densek::biasGradColumn(c, N, out, dY, db); });
}

void embeddingForward(int64_t V, int64_t E, int64_t N, const int32_t* ids, const float* table, float* out) {
  each(N * E, [&](int64_t e) { embk::gatherElement(e, E, ids, table, out); });
}
void embeddingBackward(int64_t V, int64_t E, int64_t N, const int32_t* ids, const float* dOut, float* dTable) {
  each(V * E, [&](int64_t e) { embk::scatterElement(e, E, N, ids, dOut, dTable); });
}

namespace {
dropk::Mask maskOf(double rate, uint64_t seed, uint64_t stream) {
  return dropk::Mask{dropout::keepThreshold(rate), static_cast<float>(1.0 / (1.0 - rate)), seed, stream};
}
}  // namespace

void dropoutForward(int64_t n, double rate, uint64_t seed, uint64_t stream, const float* x, float* y, float* mask) {
  const dropk::Mask m = maskOf(rate, seed, stream);
  each((n + 3) / 4, [&](int64_t q) { dropk::forwardGroup(q, n, m, x, y, mask); });
}
void dropoutBackward(int64_t n, double rate, uint64_t seed, uint64_t stream, const float* dY, float* dX) {
  dropoutForward(n, rate, seed, stream, dY, dX, nullptr);
}
void dropoutApplyMask(int64_t n, const float* mask, const float* dY, float* dX) {
  each(n, [&](int64_t i) { dropk::applyMaskElement(i, mask, dY, dX); });
}
void dropoutSequences(int64_t B, int64_t T, int64_t F, const int32_t* lengths, double rate, uint64_t seed,
                      uint64_t stream, const float* x, float* y) {
  const dropk::Mask m = maskOf(rate, seed, stream);
  const int64_t n = B * T * F;
  each((n + 3) / 4, [&](int64_t q) { dropk::sequenceGroup(q, T, F, n, lengths, m, x, y); });
}

void sgdStep(int64_t n, float lr, float momentum, bool nesterov, float* p, const float* g, float* v) {
  const optk::Sgd o{lr, momentum, nesterov, p, momentum != 0.0f ? v : nullptr, g};
  each(n, [&](int64_t i) { optk::sgdElement(i, o); });
}
void adamStep(int64_t n, int64_t t, float lr, float beta1, float beta2, float eps, float* p, const float* g, float* m,
              float* v, float* vHat) {
  const optk::Adam o{adamAlpha(t, lr, beta1, beta2), 1.0f - beta1, 1.0f - beta2, eps, p, m, v, vHat, g};
  each(n, [&](int64_t i) { optk::adamElement(i, o); });
}
void rmspropStep(int64_t n, float lr, float rho, float momentum, float eps, float* p, const float* g, float* v,
                 float* mom, float* avg) {
  const optk::Rmsprop o{lr, rho, 1.0f - rho, momentum, eps, p, v, momentum > 0.0f ? mom : nullptr, avg, g};
  each(n, [&](int64_t i) { optk::rmspropElement(i, o); });
}
void nadamStep(int64_t n, int64_t t, float lr, float beta1, float beta2, float eps, float* p, const float* g, float* m,
               float* v) {
  const NadamScalars c = nadamScalars(t, beta1, beta2);
  const optk::Nadam o{lr, c.cM, c.cG, c.cV, 1.0f - beta1, 1.0f - beta2, eps, p, m, v, g};
  each(n, [&](int64_t i) { optk::nadamElement(i, o); });
}

namespace {
// clip.cu's two grids for one tensor.
double sumSquares(int64_t n, const float* g) {
  const int64_t blocks = clipk::blocksFor(n);
  std::vector<double> partials(blocks);
  for (int64_t b = 0; b < blocks; ++b)
    partials[b] = blockSum<clipk::kReduceThreads>([&](int t) { return clipk::squaresPartial(b, t, blocks, n, g); },
                                                  clipk::reduceStep);
  return blockSum<clipk::kReduceThreads>([&](int t) { return clipk::partialsPartial(t, blocks, partials.data()); },
                                         clipk::reduceStep);
}
}  // namespace

void clipGradients(ClipMode mode, double c, int64_t count, const int64_t* sizes, const float* g, float* out) {
  int64_t total = 0;
  for (int64_t j = 0; j < count; ++j) total += sizes[j];
  if (mode == ClipMode::Value) {
    each(total, [&](int64_t i) { clipk::valueElement(i, c, g, out); });
    return;
  }
  std::vector<double> sums(count);
  int64_t at = 0;
  for (int64_t j = 0; j < count; at += sizes[j], ++j) sums[j] = sumSquares(sizes[j], g + at);
  const bool global = mode == ClipMode::GlobalNorm;
  at = 0;
  for (int64_t j = 0; j < count; at += sizes[j], ++j) {
    const double k = clipk::scaleOf(c, global ? sums.data() : sums.data() + j, global ? count : 1, global);
    each(sizes[j], [&](int64_t i) { clipk::scaleElement(i, k, g + at, out + at); });
  }
}

}  // namespace host
}  // namespace cuda
}  // namespace vigil
